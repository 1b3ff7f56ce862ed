"""Plain text: encodings, line locations, CSV header context."""

from __future__ import annotations

import codecs
import random

import pytest

from pvscan.testing import extract_file, make_fnr, process_file
from pvscan.util.textcodec import guess_encoding

TEXT = "Søknad om støtte\nPasienten Åse Ødegård fikk vedtak.\n"


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("cp1252", b""),
        ("latin-1", b""),
    ],
)
def test_encodings(tmp_path, encoding, prefix):
    p = tmp_path / "a.txt"
    p.write_bytes(prefix + TEXT.encode(encoding))
    segs = extract_file(p)
    assert "".join(s.text for s in segs).replace("\n", "") == TEXT.replace("\n", "")
    assert segs[0].location == "linje 1-2"


def test_guess_encoding_cp1252_vs_utf8():
    assert guess_encoding("blåbær".encode()) == "utf-8"
    assert guess_encoding("blåbær – «sitat»".encode("cp1252")) == "cp1252"


def test_csv_header_is_context_for_every_block(tmp_path):
    lines = ["Navn;Fødselsnummer"] + [f"Person {i};X{i}" for i in range(100)]
    p = tmp_path / "liste.csv"
    p.write_text("\r\n".join(lines), encoding="cp1252")
    segs = extract_file(p)
    assert len(segs) == 3
    assert all(s.context == "Navn;Fødselsnummer" for s in segs)
    assert segs[2].location == "linje 81-101"
    assert "Person 99;X99" in segs[2].text


# ---------------------------------------------------------------- extensions that lie
@pytest.mark.parametrize("name", ["utbetaling.xls", "notat.pdf", "brev.docx", "skann.png"])
def test_text_named_as_binary_format_is_read_as_text(tmp_path, name):
    """A CSV saved as .xls or a note renamed .pdf is text: read it, do not call it a
    damaged spreadsheet or PDF."""
    fnr = make_fnr(rng=random.Random(7))
    p = tmp_path / name
    p.write_bytes(f"Navn;Fødselsnummer\nÅse Ødegård;{fnr}\n".encode("cp1252"))
    result = process_file(p)
    assert result.kind == "plaintext" and result.extractor.startswith("text")
    assert not result.problems
    assert [f.value for f in result.findings if f.type == "fodselsnummer"] == [fnr]


def test_documents_named_as_other_formats_read_by_content(tmp_path):
    """A Word document named .pdf and a spreadsheet named .docx are read by their
    bytes (python-docx / openpyxl made them)."""
    import docx
    import openpyxl

    fnr = make_fnr(rng=random.Random(8))
    d = docx.Document()
    d.add_paragraph(f"Fødselsnummer: {fnr}")
    d.save(tmp_path / "vedtak.pdf")
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Fødselsnummer"
    wb.active["A2"] = fnr
    wb.save(tmp_path / "liste.docx")
    for name, kind in (("vedtak.pdf", "docx"), ("liste.docx", "xlsx")):
        result = process_file(tmp_path / name)
        assert result.kind == kind and not result.problems, name
        assert [f.value for f in result.findings if f.type == "fodselsnummer"] == [fnr], name


def test_random_bytes_named_pdf_stay_corrupt(tmp_path):
    """Damaged or random bytes are not text: their extension's reader reports them."""
    p = tmp_path / "skadet.pdf"
    p.write_bytes(random.Random(3).randbytes(5000))
    result = process_file(p)
    assert result.unscannable and result.problems[0].reason.startswith("corrupt:")
