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


def test_a_copy_long_after_its_original_takes_the_stored_findings(tmp_path: Path) -> None:
    """The copy of a register met after many other files (once: after 20,000 findings,
    when the original's result had been let go) is not read again: its findings are
    the original's stored rows, raw values included with --reveal."""
    root = tmp_path / "share"
    # more findings than were ever held in memory for later copies (20,000)
    people = sorted(
        {
            fnr_from(d, m, y, ind)
            for d in range(1, 29)
            for m in range(1, 13)
            for y in range(100)
            for ind in (100,)
        }
    )[:20_500]
    register = root / "a" / "register.csv"
    register.parent.mkdir(parents=True)
    register.write_text("navn;fnr\n" + "".join(f"Person;{p}\n" for p in people), encoding="utf-8")
    for i in range(30):  # other files between the original and its copy
        letter(root / "m" / f"brev{i:02d}.txt", extra=f"Brev nummer {i}.")
    copy = root / "z" / "register - Kopi.csv"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(register, copy)
    db = str(tmp_path / "inv.sqlite")
    summary = scan([str(root)], db, settings=Settings(reveal=True), workers=0)
    assert summary.counters.get("duplicates.copies") == 1
    assert summary.read == 32
    with Inventory(db, readonly=True) as inv:
        by_path = {os.fsdecode(i["path"]): i["id"] for i in inv.items_in()}
        values = {
            p: sorted(f["value"] for f in inv.findings_for(by_path[p])) for p in (str(register), str(copy))
        }
    assert values[str(register)] == sorted(people)
    assert values[str(copy)] == values[str(register)]


def test_exceptions_of_the_copys_own_path_apply_to_it(tmp_path: Path) -> None:
    root = tmp_path / "share"
    original = letter(root / "a" / "brev.txt")
    copy = root / "b" / "brev.txt"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(original, copy)
    db = str(tmp_path / "inv.sqlite")
    scan([str(root)], db, settings=Settings(), workers=0)
    with Inventory(db) as inv:
        item = next(i for i in inv.items_in() if os.fsdecode(i["path"]) == str(copy))
        fnr = next(f for f in inv.findings_for(item["id"]) if f["type"] == "fodselsnummer")
        inv.set_review(
            item["path"], fnr["hash"], "false_positive", "test", "tester", "2026-12-03", exception=True
        )
        inv.commit()
    scan([str(root)], db, settings=Settings(), workers=0, full=True)
    found = findings_by_path(db)
    assert any(t == "fodselsnummer" for t, _, _ in found[str(original)])
    assert not any(t == "fodselsnummer" for t, _, _ in found[str(copy)])
