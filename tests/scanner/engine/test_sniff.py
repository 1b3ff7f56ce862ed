"""Type detection by magic bytes, not only by name."""

from __future__ import annotations

import zipfile

import pytest

from pvscan.engine.sniff import sniff
from pvscan.model import ItemData


def kind(name: str, data: bytes) -> str:
    return sniff(ItemData(name, data=data))


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("a.txt", b"", "empty"),
        ("scan.doc", b"%PDF-1.7\n...", "pdf"),
        ("x.pdf", b"{\\rtf1\\ansi hello}", "rtf"),
        ("x.bin", b"\x89PNG\r\n\x1a\n....", "png"),
        ("x", b"\xff\xd8\xff\xe0JFIF", "jpeg"),
        ("mail", b"From: a@b.no\nTo: c@d.no\nSubject: hei\n\nbody", "eml"),
        ("box", b"From a@b.no Mon Jan  1 00:00:00 2024\nFrom: a@b.no\nSubject: x\n\nbody\n", "mbox"),
        ("note.txt", "Fødselsnummer: 123".encode(), "text"),
        ("page.htm", b"<!DOCTYPE html><html><body>x</body></html>", "html"),
        ("x.gz", b"\x1f\x8b\x08\x00rest", "gzip"),
    ],
)
def test_magic(name, data, expected):
    assert kind(name, data) == expected


def test_zip_family(tmp_path):
    p = tmp_path / "renamed.zip"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    assert sniff(ItemData("renamed.zip", path=str(p))) == "docx"
    p2 = tmp_path / "doc.odt"
    with zipfile.ZipFile(p2, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<x/>")
    assert sniff(ItemData("doc.odt", path=str(p2))) == "odt"
    p3 = tmp_path / "plain.docx"
    with zipfile.ZipFile(p3, "w") as z:
        z.writestr("a.txt", "x")
    assert sniff(ItemData("plain.docx", path=str(p3))) == "zip"


def test_truncated_office_file_keeps_its_family(tmp_path):
    p = tmp_path / "broken.xlsx"
    p.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    assert sniff(ItemData("broken.xlsx", path=str(p))) == "xlsx"
