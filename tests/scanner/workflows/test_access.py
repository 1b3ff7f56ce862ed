"""Access request end to end with real files: scan, find one person, redacted copies."""

from __future__ import annotations

import os
import random
import stat

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from pvscan.cli import main
from pvscan.scan import scan
from pvscan.testing import make_fnr, make_kontonummer
from pvscan.workflows.access import access_request

RNG = random.Random(4711)
A = make_fnr(rng=RNG)  # the requester
B = make_fnr(rng=RNG)  # another person in the same documents
C = make_fnr(rng=RNG, variant="dnr")  # a third person
D = make_fnr(rng=RNG)  # someone in unrelated files only
ACCT_B = make_kontonummer(RNG, bank="1206")


def _docx(path, paragraphs, header=None):
    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    if header:
        d.sections[0].header.paragraphs[0].text = header
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Pårørende"
    table.cell(0, 1).text = f"fnr {C}"
    d.save(path)


@pytest.fixture()
def share(tmp_path, monkeypatch):
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PVSCAN_LANG", "nb")
    root = tmp_path / "share"
    (root / "helse").mkdir(parents=True)
    (root / "okonomi").mkdir()
    (root / "helse" / "notat.txt").write_text(
        f"Pasientnotat\nFødselsnummer: {A[:6]} {A[6:]}\nDiagnose: diabetes, innlagt på sykehus.\n"
        f"Mor: fødselsnummer {B}\nKontonummer for refusjon {ACCT_B[:4]}.{ACCT_B[4:6]}.{ACCT_B[6:]}\n",
        encoding="utf-8",
    )
    _docx(
        root / "helse" / "vedtak.docx",
        ["Vedtak om hjemmetjeneste", f"Søker: fødselsnummer {A}", f"Ektefelle fødselsnummer {B}"],
        header=f"Saksbehandler ref. fnr {B}",
    )
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Ark1"
    ws.append(["Navn", "Fødselsnummer", "Kontonummer"])
    ws.append(["Søker", A, ""])
    ws.append(["Annen", B, ACCT_B])
    ws.append(["Tredje", C, ""])
    wb.save(root / "okonomi" / "utbetaling.xlsx")
    c = canvas.Canvas(str(root / "okonomi" / "brev.pdf"))
    c.drawString(72, 760, f"Brev til fødselsnummer {A}")
    c.drawString(72, 740, f"Kopi: fødselsnummer {B}")
    c.save()
    (root / "okonomi" / "annen.txt").write_text(
        f"Bare en annen person: fødselsnummer {D}\n", encoding="utf-8"
    )
    (root / "tom.txt").write_text("Ingenting her.\n", encoding="utf-8")
    db = str(tmp_path / "inv.sqlite")
    s = scan([str(root)], db, workers=0)
    assert s.findings.get("fodselsnummer", 0) >= 8, s.findings
    return root, db


PLANTED_A = {"notat.txt", "vedtak.docx", "utbetaling.xlsx", "brev.pdf"}


def test_finds_every_planted_document_and_none_for_other(share, tmp_path):
    root, db = share
    res = access_request(db, [A], str(tmp_path / "sak_a"))
    assert {os.path.basename(i.display) for i in res.items} == PLANTED_A
    notat = next(i for i in res.items if i.display.endswith("notat.txt"))
    assert notat.other_types["helse"] >= 1  # health data in the same document
    assert notat.other_ids == 2  # B's fnr and B's account
    res_d = access_request(db, [D[:6] + " " + D[6:]], str(tmp_path / "sak_d"))
    assert [os.path.basename(i.display) for i in res_d.items] == ["annen.txt"]
    # The overview has the reply-letter facts and never a raw number.
    html = (tmp_path / "sak_a" / "oversikt.html").read_text(encoding="utf-8")
    assert "Fakta til svarbrevet" in html and "Hvor: 4 filer" in html and "Siden når" in html
    for raw in (A, B, C, D):
        assert raw not in html
    wb = openpyxl.load_workbook(tmp_path / "sak_a" / "oversikt.xlsx")
    sheet = wb.worksheets[1]
    files = {os.path.basename(r[0].value) for r in sheet.iter_rows(min_row=2)}
    assert files == PLANTED_A
    assert stat.S_IMODE(os.stat(tmp_path / "sak_a").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "sak_a" / "oversikt.xlsx").st_mode) == 0o600


def _text_of(path: str) -> str:
    if path.endswith(".txt"):
        return open(path, encoding="utf-8").read()
    if path.endswith(".docx"):
        d = docx.Document(path)
        parts = [p.text for p in d.paragraphs]
        parts += [c.text for t in d.tables for row in t.rows for c in row.cells]
        parts += [p.text for p in d.sections[0].header.paragraphs]
        return "\n".join(parts)
    if path.endswith(".xlsx"):
        wb = openpyxl.load_workbook(path)
        return "\n".join(
            str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None
        )
    if path.endswith(".pdf"):
        return "\n".join(p.extract_text() for p in PdfReader(path).pages)
    raise AssertionError(path)


def test_redacted_copies_keep_requester_and_hide_others(share, tmp_path):
    root, db = share
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    res = access_request(db, [A], str(tmp_path / "sak"), copies=True)
    copies = [i.copy for i in res.items if i.copy]
    assert {os.path.basename(c).split("_", 1)[1] for c in copies} == PLANTED_A
    for c in copies:
        text = _text_of(c).replace(" ", "")
        assert A in text, c
        for other in (B, C, ACCT_B, D):
            assert other not in text, (c, other)
        assert stat.S_IMODE(os.stat(c).st_mode) == 0o600
    assert all(i.residual == 0 for i in res.items)
    # Originals untouched.
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_cli_access_request_and_refuses_output_inside_share(share, tmp_path):
    root, db = share
    r = CliRunner().invoke(main, ["access-request", "--fnr", A, "--db", db, "--out", str(root / "sak")])
    assert r.exit_code == 2 and "inside" in r.output
    r = CliRunner().invoke(
        main, ["access-request", "--fnr", A, "--db", db, "--out", str(tmp_path / "sak"), "--copies"]
    )
    assert r.exit_code == 0, r.output
    assert "4 filer/e-poster, 4 sladdede kopier" in r.output
    assert not (root / "sak").exists()
