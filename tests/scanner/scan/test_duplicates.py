"""Identical files read once: every copy is in the inventory with its own path and
owner and the same findings as the original, but only the original is parsed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pvscan.inventory import Inventory
from pvscan.model import Settings
from pvscan.scan import scan
from pvscan.scan.duplicates import MIN_SIZE
from pvscan.testing import fnr_from

N = fnr_from(5, 6, 71, 300)


def letter(path: Path, extra: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = f"Vedtak om sjukmelding for fødselsnummer {N}. {extra}\n" + "Fyllstoff i brevet. " * 300
    assert len(body.encode()) > MIN_SIZE
    path.write_text(body, encoding="utf-8")
    return path


def findings_by_path(db: str) -> dict[str, list[tuple[str, str, str]]]:
    out: dict[str, list[tuple[str, str, str]]] = {}
    with Inventory(db, readonly=True) as inv:
        for item in inv.items_in():
            out[os.fsdecode(item["path"])] = sorted(
                (f["type"], f["hash"], f["location"] or "") for f in inv.findings_for(item["id"])
            )
    return out


@pytest.mark.parametrize("workers", [0, 2])
def test_copies_are_listed_with_their_own_path_and_owner(tmp_path: Path, workers: int) -> None:
    root = tmp_path / "share"
    original = letter(root / "a" / "brev.txt")
    copies = [root / "a" / "Kopi av brev.txt", root / "z-backup" / "2024" / "brev.txt"]
    for c in copies:
        c.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, c)
    letter(root / "a" / "anna.txt", extra="Eit anna brev.")  # same size class, other bytes
    if os.geteuid() == 0:
        os.chown(copies[1], 4321, 4321)  # a copy owned by someone else
    db = str(tmp_path / "inv.sqlite")
    summary = scan([str(root)], db, settings=Settings(), workers=workers)
    assert summary.counters.get("duplicates.copies") == 2
    assert summary.read == 4
    found = findings_by_path(db)
    assert set(found) == {str(p) for p in [original, *copies, root / "a" / "anna.txt"]}
    assert found[str(original)] and all(found[str(c)] == found[str(original)] for c in copies)
    with Inventory(db, readonly=True) as inv:
        owners = {os.fsdecode(i["path"]): (i["owner"], i["uid"]) for i in inv.items_in()}
    if os.geteuid() == 0:
        assert owners[str(copies[1])][1] == 4321
        assert owners[str(copies[1])] != owners[str(original)]


def test_a_copy_with_another_extension_is_read_itself(tmp_path: Path) -> None:
    """The extension can choose the reader, so it is part of what makes a copy."""
    root = tmp_path / "share"
    original = letter(root / "brev.txt")
    shutil.copyfile(original, root / "brev.csv")
    summary = scan([str(root)], str(tmp_path / "inv.sqlite"), settings=Settings(), workers=0)
    assert not summary.counters.get("duplicates.copies")
    assert summary.read == 2
