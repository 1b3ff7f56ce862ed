"""Access-request cases (the web app's) by every key a caseworker has: numbers, a
name, an e-mail address, a phone number, one per line."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest

from pvscan.inventory import Inventory
from pvscan.scan import scan
from pvscan.testing import make_fnr
from pvscan.workflows.cases import case_hits, open_case
from pvscan.workflows.find import guess_key
from pvscan.workflows.org import Org


def _docx(path: Path, lines: list[str]) -> None:
    d = docx.Document()
    for line in lines:
        d.add_paragraph(line)
    d.save(str(path))


def test_each_line_is_read_as_its_kind():
    assert guess_key("ingrid.solberg@kommune.no").kind == "epost"
    assert guess_key("Ingrid Solberg").kind == "navn"
    assert guess_key("+47 912 34 567").kind == "telefon"
    assert guess_key("912 34 567").kind == "telefon"
    assert guess_key("NO93 8601 1117 947").kind == "kontonummer"
    fnr = make_fnr()
    assert guess_key(f"{fnr[:6]} {fnr[6:]}").kind == "fnr"
    with pytest.raises(ValueError):
        guess_key(fnr[:10] + str((int(fnr[10]) + 1) % 10))  # wrong check digit


def test_a_case_by_name_finds_the_letter_without_a_number(tmp_path, monkeypatch):
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    root = tmp_path / "srv"
    root.mkdir()
    _docx(root / "brev.docx", ["Hei, gjeld Ingrid Solberg.", "Vi har motteke søknaden din om bustøtte."])
    _docx(root / "anna.docx", ["Hei, gjeld Ingrid Solheim.", "Vi har motteke søknaden din."])
    db = str(tmp_path / "inv.sqlite")
    scan([str(root)], db, workers=0)
    org = Org(cases_dir=str(tmp_path / "innsyn"))
    with Inventory(db) as inv:
        case_id = open_case(db, inv, org, ["Ingrid Solberg"], "siri")
        hits = case_hits(inv, case_id)
        row = inv.case_row(case_id)
    assert {Path(h.display).name for h in hits} == {"brev.docx"}
    assert {h.type for h in hits} == {"navn"}
    assert "Ingrid" not in row["masked"] and "Solberg" not in row["masked"]
    assert all("Solberg" not in h for h in json.loads(row["hashes"]))
