"""Incremental scans: unchanged items are not read, edits/new/deleted files are seen as
such, --full and a new detector version re-read, a hanging extractor is cut off, and
two scans of one inventory cannot run at once."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pvscan import hookimpl
from pvscan.engine.manager import make_plugin_manager
from pvscan.identity import masking
from pvscan.interfaces import Extractor
from pvscan.inventory import Inventory
from pvscan.model import ItemData, Segment, Settings
from pvscan.scan import ScanLock, ScanLocked, scan
from pvscan.testing import SubstringDetector, make_fnr

RNG = random.Random(5)
A, B, C = (make_fnr(rng=RNG) for _ in range(3))


def M(value: str) -> str:
    """How the inventory shows a value of the test detector's type."""
    return masking.mask("test", value)


PVSCAN = str(Path(sys.executable).with_name("pvscan"))


class Hang(Extractor):
    """A test extractor that never finishes (a poisonous file)."""

    name, version, extensions, priority = "hang", "1", ("hang",), 100

    def extract(self, item: ItemData, settings: Settings):
        time.sleep(3600)
        yield Segment("never")


class _Plugin:
    def __init__(self, version: str = "1"):
        det = SubstringDetector([A, B, C])
        det.version = version  # type: ignore[misc]
        self.det = det

    @hookimpl
    def pvscan_detectors(self, settings):
        return [self.det]

    @hookimpl
    def pvscan_extractors(self):
        return [Hang()]


def pm(version: str = "1"):
    return make_plugin_manager(blocked=["patterns"], extra=[_Plugin(version)])


@pytest.fixture()
def tree(tmp_path, monkeypatch):
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    root = tmp_path / "share"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text(f"Klient {A}\n")
    (root / "sub" / "b.txt").write_text(f"Klient {B}\n")
    (root / "sub" / "tom.txt").write_text("ingenting\n")
    return root


def findings(db: Path) -> set[tuple[str, str]]:
    with Inventory(db) as inv:
        rows = inv.db.execute(
            "SELECT i.display, f.masked FROM findings f JOIN items i ON i.id=f.item_id WHERE i.status!='gone'"
        )
        return {(Path(r[0]).name, r[1]) for r in rows}


def changes(db: Path, scan_id: int) -> dict[str, str]:
    with Inventory(db) as inv:
        return {Path(r["display"]).name: r["change"] for r in inv.changes(scan_id)}


def test_edit_new_delete_are_seen_and_unchanged_is_not_read(tree, tmp_path):
    db = tmp_path / "inv.sqlite"
    s1 = scan([str(tree)], str(db), workers=2, pm=pm())
    assert (s1.read, s1.new, s1.unchanged) == (3, 3, 0)
    assert findings(db) == {("a.txt", M(A)), ("b.txt", M(B))}

    s2 = scan([str(tree)], str(db), workers=2, pm=pm())
    assert (s2.read, s2.unchanged, s2.new, s2.changed, s2.gone) == (0, 3, 0, 0, 0)
    assert findings(db) == {("a.txt", M(A)), ("b.txt", M(B))}

    (tree / "a.txt").write_text(f"Klient {C}\n")  # edited
    (tree / "sub" / "b.txt").unlink()  # deleted
    (tree / "ny.txt").write_text(f"Ny {B}\n")  # new
    s3 = scan([str(tree)], str(db), workers=2, pm=pm())
    assert (s3.read, s3.unchanged, s3.new, s3.changed, s3.gone) == (2, 1, 1, 1, 1)
    assert changes(db, s3.scan_id) == {"a.txt": "changed", "b.txt": "gone", "ny.txt": "new"}
    assert findings(db) == {("a.txt", M(C)), ("ny.txt", M(B))}

    # a deleted file that comes back is new again
    (tree / "sub" / "b.txt").write_text(f"Klient {B}\n")
    s4 = scan([str(tree)], str(db), workers=0, pm=pm())
    assert changes(db, s4.scan_id) == {"b.txt": "new"}


def test_unchanged_files_never_become_references(tree, tmp_path, monkeypatch):
    """A re-scan compares the walk's stamps and builds an ItemRef (owner, mode, name)
    only for what it will read: the second night's cost is the walk."""
    from pvscan.plugins.sources.local import LocalSource

    db = tmp_path / "inv.sqlite"
    scan([str(tree)], str(db), workers=0, pm=pm())
    built: list[str] = []
    ref_for = LocalSource.ref_for

    def counting(self, entry):
        built.append(Path(entry[0]).name)
        return ref_for(self, entry)

    monkeypatch.setattr(LocalSource, "ref_for", counting)
    assert scan([str(tree)], str(db), workers=0, pm=pm()).unchanged == 3
    assert built == []
    (tree / "sub" / "tom.txt").write_text(f"Klient {C}\n")
    assert scan([str(tree)], str(db), workers=0, pm=pm()).read == 1
    assert built == ["tom.txt"]


def test_full_and_a_new_detector_version_read_everything_again(tree, tmp_path):
    db = tmp_path / "inv.sqlite"
    scan([str(tree)], str(db), workers=0, pm=pm())
    assert scan([str(tree)], str(db), workers=0, pm=pm(), full=True).read == 3
    assert scan([str(tree)], str(db), workers=0, pm=pm()).read == 0
    assert scan([str(tree)], str(db), workers=0, pm=pm("2")).read == 3
    assert (
        scan([str(tree)], str(db), workers=0, pm=pm("2"), settings=Settings(min_confidence="high")).read == 3
    )


def test_unlistable_folder_does_not_make_its_files_gone(tree, tmp_path):
    db = tmp_path / "inv.sqlite"
    scan([str(tree)], str(db), workers=0, pm=pm())
    with Inventory(db) as inv:
        kept = inv.mark_gone(10**6, [str(tree)], keep=[str(tree / "sub")])
        assert kept == 1  # only a.txt; sub/ was "not listable"
        status = dict(inv.db.execute("SELECT display, status FROM items"))
    assert status[str(tree / "sub" / "b.txt")] == "ok" and status[str(tree / "a.txt")] == "gone"


def test_hanging_extractor_is_cut_off_by_the_time_limit_and_recorded(tree, tmp_path):
    (tree / "gift.hang").write_text("poison")
    db = tmp_path / "inv.sqlite"
    t0 = time.monotonic()
    s = scan([str(tree)], str(db), workers=2, pm=pm(), settings=Settings(time_limit=1.0))
    assert time.monotonic() - t0 < 20
    assert s.read == 4 and s.unscannable == 1
    with Inventory(db) as inv:
        row = inv.db.execute("SELECT status, reason FROM items WHERE display LIKE '%gift.hang'").fetchone()
    assert row[0] == "unscannable" and row[1].startswith("timeout: not done after 1 s")
    assert findings(db) == {("a.txt", M(A)), ("b.txt", M(B))}


def test_second_scan_of_the_same_inventory_refuses(tree, tmp_path):
    db = tmp_path / "inv.sqlite"
    with ScanLock(str(db)):
        with pytest.raises(ScanLocked, match="another pvscan scan is using"):
            scan([str(tree)], str(db), workers=0, pm=pm())
        # and a real second process: exit code 3 with a clear message
        env = dict(os.environ, PVSCAN_LANG="en")
        res = subprocess.run(
            [PVSCAN, "scan", str(tree), "--db", str(db), "-q"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert res.returncode == 3, res.stderr
        assert "another pvscan scan is using" in res.stderr and f"pid {os.getpid()}" in res.stderr
    # released: scanning works again
    assert scan([str(tree)], str(db), workers=0, pm=pm()).read == 3
