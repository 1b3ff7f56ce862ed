"""Review status and false-positive exceptions persist across scans."""

from __future__ import annotations

import random

import pytest
from click.testing import CliRunner

from pvscan.cli import main
from pvscan.inventory import Inventory
from pvscan.scan import scan
from pvscan.testing import make_fnr
from pvscan.workflows.find import find
from pvscan.workflows.owners import owner_of
from pvscan.workflows.reportdata import build
from pvscan.workflows.review import hashes_for, set_status

RNG = random.Random(7)
A, B = make_fnr(rng=RNG), make_fnr(rng=RNG)


@pytest.fixture()
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    root = tmp_path / "share"
    root.mkdir()
    (root / "x.txt").write_text(f"Fødselsnummer {A}\nfødselsnummer {B}\n", encoding="utf-8")
    (root / "y.txt").write_text(f"Fødselsnummer {A}\n", encoding="utf-8")
    db = str(tmp_path / "inv.sqlite")
    scan([str(root)], db, workers=0)
    return root, db


def test_false_positive_in_one_file_is_honoured_by_later_scans(env):
    root, db = env
    r = CliRunner().invoke(
        main,
        [
            "review",
            str(root / "x.txt"),
            "--fnr",
            A,
            "--status",
            "false_positive",
            "--db",
            db,
            "--reason",
            "testnummer",
        ],
    )
    assert r.exit_code == 0, r.output
    for full in (False, True):
        scan([str(root)], db, workers=0, full=full)
        files = sorted(h.file.rsplit("/", 1)[1] for h in find(db, [A]))
        assert files == ["y.txt"]
        assert [h.file.rsplit("/", 1)[1] for h in find(db, [B])] == ["x.txt"]


def test_false_positive_everywhere(env):
    root, db = env
    with Inventory(db) as inv:
        set_status(
            inv, str(root / "y.txt"), "false_positive", "ikke et fnr", hashes_for([A])[0], everywhere=True
        )
    scan([str(root)], db, workers=0, full=True)
    assert find(db, [A]) == []


def test_status_persists_and_filters_reports(env):
    root, db = env
    with Inventory(db) as inv:
        set_status(inv, str(root / "y.txt"), "archived", "flyttet til sak 2026/1")
        with pytest.raises(ValueError):
            set_status(inv, str(root / "y.txt"), "kept")  # needs a reason
    scan([str(root)], db, workers=0, full=True)
    data = build(db, status="archived")
    assert [i.display.rsplit("/", 1)[1] for i in data.items] == ["y.txt"]
    assert data.totals["handled_items"] == 1
    assert [i.display.rsplit("/", 1)[1] for i in build(db, status="open").items] == ["x.txt"]


def test_owner_of():
    assert owner_of("/home/kari/doc.txt", "/home/kari", "root") == "kari"
    assert owner_of("imaps://ola@mail.example/INBOX;UID=3", "imaps://ola@mail.example", "") == "ola"
    assert owner_of("/srv/share/a.txt", "/srv/share", "per") == "per"
