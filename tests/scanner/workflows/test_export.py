"""The JSON Lines export: every finding exactly as ``json.dumps`` writes its record
(the bench contract), also for names that are not valid UTF-8 and with ``--reveal``."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from pvscan.inventory import Inventory
from pvscan.model import Settings
from pvscan.scan import scan
from pvscan.testing import fnr_from
from pvscan.workflows.export import write_jsonl

N1, N2 = fnr_from(1, 2, 83, 200), fnr_from(9, 10, 55, 300)


def export(tmp_path: Path, reveal: bool) -> tuple[list[str], list[dict]]:
    root = tmp_path / "share"
    root.mkdir()
    (root / "liste.csv").write_text(
        f"navn;fnr\nKari Nordmann;{N1}\nOla Hansen;{N2}\nOla Hansen;{N2}\n", "utf-8"
    )
    odd = os.path.join(os.fsencode(root), b"caf\xe9 brev.txt")
    with open(odd, "w", encoding="utf-8") as fh:
        fh.write(f"Fødselsnummer: {N1}\n")
    db = str(tmp_path / "inv.sqlite")
    summary = scan([str(root)], db, settings=Settings(reveal=reveal), workers=0)
    out = io.StringIO()
    with Inventory(db, readonly=True) as inv:
        write_jsonl(out, inv, summary.roots, reveal, summary.as_dict(), summary.scan_id)
    lines = out.getvalue().splitlines()
    return lines, [json.loads(x) for x in lines]


@pytest.mark.parametrize("reveal", [False, True])
def test_lines_are_what_json_dumps_writes(tmp_path: Path, reveal: bool) -> None:
    lines, recs = export(tmp_path, reveal)
    for line, rec in zip(lines, recs, strict=True):
        expected = json.dumps(rec, ensure_ascii=False)
        try:
            expected.encode("utf-8")
        except UnicodeEncodeError:
            expected = json.dumps(rec, ensure_ascii=True)
        assert line == expected
    fnrs = [r for r in recs if r.get("type") == "fodselsnummer"]
    odd = [r for r in fnrs if r["file"].endswith("brev.txt")]
    assert len(odd) == 1 and "\udce9" in odd[0]["file"]
    assert "\\udce9" in next(x for x in lines if "brev.txt" in x and "fodselsnummer" in x)
    values = sorted(r["value"] for r in fnrs)
    if reveal:
        assert values == sorted([N1, N1, N2])
    else:
        assert values == sorted([N1[:6] + "*****", N1[:6] + "*****", N2[:6] + "*****"])
    twice = next(r for r in fnrs if r["file"].endswith("liste.csv") and r["value"].startswith(N2[:6]))
    assert twice.get("count", 1) in (1, 2)
    assert all(len(r["hash"]) == 32 for r in fnrs)
    assert recs[-1]["type"] == "summary"
