"""``--exclude`` patterns: which can match below a root, and the matcher itself."""

from __future__ import annotations

from pvscan.util.globs import exclusion_matcher, patterns_under


def test_path_patterns_off_the_root_are_left_out() -> None:
    pats = (
        "*.tmp",
        "/srv/pvscan/inventory.sqlite*",
        "/data/share/backup",
        "/data/sh*",
        "/home/kari/.local/share/pvscan",
    )
    assert patterns_under(pats, "/data/share") == ("*.tmp", "/data/share/backup", "/data/sh*")
    assert patterns_under(pats, "/data/share/") == ("*.tmp", "/data/share/backup", "/data/sh*")
    # the inventory inside the scanned home folder stays excluded
    assert patterns_under(pats, "/home/kari") == ("*.tmp", "/home/kari/.local/share/pvscan")
    assert patterns_under(pats, "/") == pats


def test_what_is_kept_matches_as_before() -> None:
    pats = ("*.tmp", "/data/share/backup", "/srv/inv.sqlite*")
    kept = exclusion_matcher(patterns_under(pats, "/data/share"))
    full = exclusion_matcher(pats)
    for path in ("/data/share/a.tmp", "/data/share/backup", "/data/share/brev.docx", "/data/share/backup2"):
        name = path.rsplit("/", 1)[1]
        assert kept(path, name) == full(path, name)
    assert kept("/data/share/backup", "backup") and not kept("/data/share/brev.docx", "brev.docx")
