"""Plain text: encodings, line locations, CSV header context."""

from __future__ import annotations

import codecs

import pytest

from pvscan.testing import extract_file
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
