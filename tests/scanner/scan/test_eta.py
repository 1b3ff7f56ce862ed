"""The progress line has an ETA from the start: from the last scan of the same roots or
a count running ahead of the readers, marked rough until the walk has finished."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pvscan.cli.progress import progress_text
from pvscan.model import Settings
from pvscan.scan import scan
from pvscan.scan.coordinator import LOOKUP_CHUNK
from pvscan.scan.eta import TotalEstimate


def tree(root: Path, n: int) -> Path:
    for i in range(n):
        d = root / f"d{i // 100:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:04d}.txt").write_text(f"notat {i}\n", encoding="utf-8")
    return root


def test_estimate_from_the_last_scan_and_from_a_count(tmp_path: Path) -> None:
    assert TotalEstimate([str(tmp_path)], previous=1000, count_ahead=False).total(10, False) == (1000, True)
    assert TotalEstimate([str(tmp_path)], previous=None, count_ahead=False).total(10, False) == (None, True)
    root = tree(tmp_path / "share", 30)
    est = TotalEstimate([str(root)], previous=None)
    assert est._thread is not None
    est._thread.join(10)
    assert est.total(5, False) == (30, True)
    assert est.total(30, True) == (30, False)  # exact once the walk is done
    est.close()


def test_rescan_shows_a_rough_eta_before_the_walk_ends(tmp_path: Path) -> None:
    root = tree(tmp_path / "share", LOOKUP_CHUNK + 88)
    db = str(tmp_path / "inv.sqlite")
    scan([str(root)], db, settings=Settings(), workers=0)
    records: list[dict[str, Any]] = []
    scan([str(root)], db, settings=Settings(), workers=0, progress=records.append)
    early = [r for r in records if not r["walk_done"]]
    assert early, "a record while the walk is still going"
    first = early[0]
    assert first["files_total"] == LOOKUP_CHUNK + 88 and first["eta_rough"] is True
    assert first["eta_s"] is not None
    line = progress_text(first)
    assert f"/~{LOOKUP_CHUNK + 88}" in line and "grovt anslag" in line
    assert records[-1]["walk_done"] and records[-1]["eta_rough"] is False
    assert "grovt" not in progress_text(records[-1])


def test_the_count_ahead_leaves_out_what_the_walk_leaves_out(tmp_path: Path) -> None:
    """An excluded folder (``--exclude site-packages``) is not counted: the estimate
    is the scan's own size, not four times it."""
    for folder, n in (("lib", 3), ("lib/site-packages", 40), ("doc", 2)):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            (tmp_path / folder / f"f{i}.txt").write_text("x")
    est = TotalEstimate([str(tmp_path)], None, exclude=("site-packages",))
    assert est._thread is not None
    est._thread.join(10)
    assert est.total(0, walk_done=False) == (5, True)
    est.close()
