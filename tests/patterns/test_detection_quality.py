"""Detection quality on documents written unlike the usual templates (issue 15): form
layouts, account numbers that lost a leading zero, payment lists, source code.

Every file is made by the real library (python-docx, openpyxl, reportlab) and scanned
through the whole engine; every number is generated here (``pvscan.testing``).
"""

from __future__ import annotations

import random
from pathlib import Path

import docx
import openpyxl
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from pvscan.identity.numbers import classify_fnr, mod11_ok
from pvscan.testing import fnr_from, make_fnr, make_kontonummer, process_file


def found(path: Path, kind: str = "fodselsnummer") -> list[str]:
    """The values of ``kind`` the engine reports in ``path`` at the default threshold."""
    result = process_file(path)
    return sorted({f.value for f in result.findings if f.type == kind})


def _split(fnr: str) -> tuple[str, str]:
    return fnr[:6], fnr[6:]


# ------------------------------------------------------------------ form layouts
def test_docx_table_birth_date_and_personal_number_in_adjacent_cells(tmp_path: Path) -> None:
    people = [make_fnr(rng=random.Random(i)) for i in range(3)]
    d = docx.Document()
    d.add_paragraph("Påmelding til leirskule")
    t = d.add_table(rows=1, cols=3)
    for cell, head in zip(t.rows[0].cells, ("Namn", "Fødselsdato", "Personnummer"), strict=True):
        cell.text = head
    for n, fnr in enumerate(people):
        row = t.add_row().cells
        row[0].text, (row[1].text, row[2].text) = f"Elev {n}", _split(fnr)
    d.save(tmp_path / "plan.docx")
    assert found(tmp_path / "plan.docx") == sorted(people)


def test_docx_vertical_form_rows(tmp_path: Path) -> None:
    """A two-column form: label cell, value cell; the date is a real date."""
    fnr = fnr_from(17, 5, 84, 234)
    d = docx.Document()
    t = d.add_table(rows=3, cols=2)
    for row, (label, value) in zip(
        t.rows,
        (("Namn", "Kari Nordmann"), ("Fødselsdato", "17.05.1984"), ("Personnummer", fnr[6:])),
        strict=True,
    ):
        row.cells[0].text, row.cells[1].text = label, value
    d.save(tmp_path / "skjema.docx")
    assert found(tmp_path / "skjema.docx") == [fnr]


def test_docx_label_value_paragraphs(tmp_path: Path) -> None:
    fnr = make_fnr(rng=random.Random(11))
    d = docx.Document()
    d.add_paragraph("Søknad om støttekontakt")
    d.add_paragraph(f"Fødselsdato: {fnr[:6]}")
    d.add_paragraph(f"Personnr.: {fnr[6:]}")
    d.save(tmp_path / "soknad.docx")
    assert found(tmp_path / "soknad.docx") == [fnr]


def test_xlsx_fields_stored_as_numbers_lost_leading_zeros(tmp_path: Path) -> None:
    """010190 stored as a number is 10190, and 01234 is 1234: the column header names
    the field, so they are padded."""
    fnr = fnr_from(1, 2, 93, 20)  # individual number 020-: the personal number starts with 0
    assert fnr[6] == "0"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Namn", "Fødselsdato", "Personnummer"])
    ws.append(["Ola", int(fnr[:6]), int(fnr[6:])])
    wb.save(tmp_path / "liste.xlsx")
    assert found(tmp_path / "liste.xlsx") == [fnr]


def test_pdf_form_lines(tmp_path: Path) -> None:
    fnr = make_fnr(rng=random.Random(12))
    path = tmp_path / "skjema.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    for n, line in enumerate(
        ("Registreringsskjema", "Navn: Per Hansen", f"Født: {fnr[:6]}", f"Personnummer: {fnr[6:]}")
    ):
        c.drawString(72, 780 - 20 * n, line)
    c.save()
    assert found(path) == [fnr]


def test_form_fields_that_do_not_join_are_not_reported(tmp_path: Path) -> None:
    """No label, a wrong check digit, or an amount next to a date: nothing."""
    fnr = make_fnr(rng=random.Random(13))
    wrong = fnr[:10] + str((int(fnr[10]) + 1) % 10)
    d = docx.Document()
    t = d.add_table(rows=4, cols=3)
    rows = (
        ("Dato", "Bilag", "Beløp"),
        (fnr[:6], fnr[6:], "100"),  # a date and a voucher number: no birth-date label
        ("Fødselsdato", wrong[:6], wrong[6:]),  # labelled, but not a valid number
        ("Født", fnr[:6], "Saksnr " + fnr[6:]),  # the 5 digits are a case number
    )
    for row, cells in zip(t.rows, rows, strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    d.save(tmp_path / "bilag.docx")
    assert found(tmp_path / "bilag.docx") == []


# ------------------------------------------------------------------ accounts
def _zero_account(rng: random.Random) -> str:
    while True:
        k = make_kontonummer(rng, bank=f"0{rng.randint(530, 999)}")
        if mod11_ok(k) and classify_fnr(k) is None:
            return k


def test_xlsx_account_number_that_lost_its_leading_zero(tmp_path: Path) -> None:
    rng = random.Random(21)
    accounts = [_zero_account(rng) for _ in range(3)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Leverandør", "Kontonummer", "Beløp"])
    for n, k in enumerate(accounts):
        ws.append([f"Firma {n}", int(k), 1000 + n])
    ws2 = wb.create_sheet("Utbetaling")
    ws2.append(["Mottakar", "Til konto"])
    ws2.append(["Kari", int(accounts[0])])
    wb.save(tmp_path / "betaling.xlsx")
    assert found(tmp_path / "betaling.xlsx", "kontonummer") == sorted(accounts)
    assert found(tmp_path / "betaling.xlsx") == []


def test_ten_digits_without_account_header_is_not_an_account(tmp_path: Path) -> None:
    k = _zero_account(random.Random(22))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Ordrenr", "Antall"])
    ws.append([int(k), 3])
    wb.save(tmp_path / "ordre.xlsx")
    assert found(tmp_path / "ordre.xlsx", "kontonummer") == []


# ------------------------------------------------------------------ payment lists
def _failing_11(rng: random.Random) -> str:
    """An 11-digit reference that is not a fødselsnummer."""
    while True:
        v = f"{rng.randint(10**10, 10**11 - 1)}"
        if classify_fnr(v) is None:
            return v


def test_kid_column_of_a_remittance_list(tmp_path: Path) -> None:
    """A column of references where a few pass the fødselsnummer checks by chance and
    no KID word stands on the line: those few are not people."""
    rng = random.Random(31)
    lucky = [make_fnr(rng=random.Random(100 + i)) for i in range(2)]
    refs = [_failing_11(rng) for _ in range(18)] + lucky
    rng.shuffle(refs)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Dato", "Innbetalt av", "Sum"])
    for ref in refs:
        ws.append(["01.03.2024", ref, 250])
    wb.save(tmp_path / "remittering.xlsx")
    assert found(tmp_path / "remittering.xlsx") == []
    # the same list as plain text lines, no header at all
    (tmp_path / "innbetalingar.txt").write_text("\n".join(f"Innbetaling {r}  250,00" for r in refs) + "\n")
    assert found(tmp_path / "innbetalingar.txt") == []


def test_person_register_keeps_every_number(tmp_path: Path) -> None:
    """The density rule leaves a column of people alone, and a few invalid numbers
    (typos) in it do not hide the rest."""
    rng = random.Random(32)
    people = [make_fnr(rng=random.Random(200 + i)) for i in range(12)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Namn", "Nummer"])
    for i, p in enumerate(people):
        ws.append([f"Person {i}", p])
    for _ in range(3):
        ws.append(["Feil", _failing_11(rng)])
    wb.save(tmp_path / "register.xlsx")
    assert found(tmp_path / "register.xlsx") == sorted(people)


# ------------------------------------------------------------------ source code
def test_python_source_with_long_constants(tmp_path: Path) -> None:
    """Digit runs in a program's constants are not people, even when one passes."""
    lucky = make_fnr(rng=random.Random(41))
    src = f'''"""Numerical constants."""

import math

_PI_DIGITS = (
    "3.14159265358979323846264338327950288419716939937510"
    "58209749445923078164062862089986280348253421170679"
)
_TABLE = [
    {lucky},
    27182818284,
    16180339887,
]


def scale(x: float) -> float:
    return x * math.pi / {lucky}
'''
    (tmp_path / "konstantar.py").write_text(src)
    assert found(tmp_path / "konstantar.py") == []


def test_labelled_number_in_code_is_still_found(tmp_path: Path) -> None:
    fnr = make_fnr(rng=random.Random(42))
    src = f'TEST_PERSON = {{\n    "fnr": "{fnr}",\n    "name": "Test",\n}}\nprint(TEST_PERSON)\n'
    (tmp_path / "fixture.py").write_text(src)
    assert found(tmp_path / "fixture.py") == [fnr]
