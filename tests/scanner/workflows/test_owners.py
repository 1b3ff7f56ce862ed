"""Owner routing: home-folder rules, mailbox users, SID and DOMAIN\\user aliases, the
file owner, fallback remediators, and what stays undistributed."""

from __future__ import annotations

import pytest

from pvscan.workflows.org import from_dict
from pvscan.workflows.owners import conventional_home_user, route_owner

ORG = from_dict(
    {
        "users": {
            "kari": {"unit": "oppvekst", "email": "kari@kommune.no", "aliases": ["S-1-5-21-1-2-3-1104"]},
            "ola": {"unit": "helse"},
        },
        "roots": [
            {"path": "smb://fil01/home$", "home": "smb://fil01/home$/{user}/"},
            {"path": "/srv/felles", "remediator": "ola"},
        ],
    }
)


@pytest.mark.parametrize(
    "display,root,file_owner,expected",
    [
        ("smb://fil01/home$/kari/Dokumenter/a.docx", "smb://fil01/home$", "", ("kari", "home")),
        ("smb://fil01/home$/KOMMUNE-kari/a.docx", "smb://fil01/home$", "", ("KOMMUNE-kari", "home")),
        ("imaps://kari@mail.kommune.no/INBOX;UID=7", "imaps://kari@mail.kommune.no", "", ("kari", "mailbox")),
        ("imaps://kari@kommune.no@mail/INBOX;UID=7", "imaps://x", "", ("kari", "mailbox")),
        ("/data/home/ola/x/a.txt", "/data", "root", ("ola", "home")),
        ("smb://fil02/felles/a.xlsx", "smb://fil02/felles", "S-1-5-21-1-2-3-1104", ("kari", "owner")),
        ("smb://fil02/felles/a.xlsx", "smb://fil02/felles", "KOMMUNE\\ola", ("ola", "owner")),
        ("/srv/felles/lonn/a.xlsx", "/srv/felles", "root", ("ola", "fallback")),
        ("/srv/annet/a.xlsx", "/srv/annet", "root", ("", "")),
    ],
)
def test_route_owner(display, root, file_owner, expected):
    assert route_owner(ORG, display, root, file_owner) == expected


def test_without_a_user_list_the_file_owner_counts():
    assert route_owner(from_dict({}), "/srv/x/a.txt", "/srv/x", "kari") == ("kari", "owner")


def test_conventional_home_folders():
    assert conventional_home_user("/home/kari/a.docx") == "kari"
    assert conventional_home_user("/Users/kari/Desktop/a.docx") == "kari"
    assert conventional_home_user("/srv/home/readme.txt") == ""
