"""The .docx extractor on real documents written with python-docx (plus raw OOXML parts
python-docx cannot write: footnotes, a text box, a tracked deletion)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest

from pvscan.engine.process import Engine
from pvscan.model import CorruptError, ItemData, Segment, Settings
from pvscan.plugins.office.docx import DocxExtractor
from pvscan.plugins.sources.local import LocalSource
from pvscan.testing import fnr_from as fnr


def segments(path: Path) -> list[Segment]:
    item = ItemData(path.name, path=str(path))
    item.kind = "docx"
    return [s for s in DocxExtractor().extract(item, Settings()) if isinstance(s, Segment)]


def where(segs: list[Segment], value: str) -> list[str]:
    return [s.location for s in segs if value in s.text]


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
FOOTNOTES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:footnotes xmlns:w="{W}">
<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>
<w:footnote w:id="2"><w:p><w:r><w:t>Fotnote med {{n}}</w:t></w:r></w:p></w:footnote>
</w:footnotes>"""


def add_parts(path: Path, extra_body: str, footnote_fnr: str) -> None:
    """Rewrite the package with a footnotes part and extra body XML (text box, deletion)."""
    src = zipfile.ZipFile(path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(b"</w:body>", extra_body.encode() + b"</w:body>")
                data = data.replace(b"<w:sectPr", b"<w:p/><w:sectPr", 1) if b"<w:sectPr" in data else data
            dst.writestr(info, data)
        dst.writestr("word/footnotes.xml", FOOTNOTES.replace("{n}", footnote_fnr))
    src.close()
    path.write_bytes(out.getvalue())


@pytest.fixture
def rich_docx(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    n = {
        k: fnr(i + 1, 2, 85, 100 + 7 * i)
        for i, k in enumerate(["body", "table", "header", "footer", "comment", "foot", "box", "deleted"])
    }
    d = docx.Document()
    sec = d.sections[0]
    sec.header.paragraphs[0].text = f"Topp {n['header']}"
    sec.footer.paragraphs[0].text = f"Bunn {n['footer']}"
    d.add_paragraph("Fødselsnummer:")
    p = d.add_paragraph(n["body"])
    d.add_paragraph("")
    d.add_paragraph("Slutt")
    t = d.add_table(rows=3, cols=3)
    for c, h in enumerate(["Navn", "Fødselsnummer", "Merknad"]):
        t.cell(0, c).text = h
    t.cell(1, 0).text = "Kari"
    t.cell(2, 0).text = "Ola"
    t.cell(2, 1).text = n["table"][:6]
    t.cell(2, 2).text = n["table"][6:]
    d.add_comment(p.runs, text=f"Sjekk {n['comment']}", author="Saksbehandler")
    path = tmp_path / "notat.docx"
    d.save(str(path))
    box = (
        f'<w:p xmlns:w="{W}"><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml"><v:textbox>'
        f"<w:txbxContent><w:p><w:r><w:t>Boks {n['box']}</w:t></w:r></w:p></w:txbxContent>"
        f"</v:textbox></v:shape></w:pict></w:r></w:p>"
        f'<w:p xmlns:w="{W}"><w:del w:id="9" w:author="x"><w:r><w:delText>Slettet {n["deleted"]}</w:delText></w:r></w:del></w:p>'
    )
    add_parts(path, box, n["foot"])
    return path, n


def test_every_part_is_read_with_its_location(rich_docx: tuple[Path, dict[str, str]]) -> None:
    path, n = rich_docx
    segs = segments(path)
    assert where(segs, n["body"]) == ["avsnitt 2"]
    assert where(segs, n["header"]) == ["topptekst"]
    assert where(segs, n["footer"]) == ["bunntekst"]
    assert where(segs, n["comment"]) == ["kommentar 1"]
    assert where(segs, n["foot"]) == ["fotnote 2"]
    assert where(segs, n["box"]) == ["tekstboks"]
    assert len(where(segs, n["deleted"])) == 1


def test_paragraph_gets_previous_paragraph_as_context(rich_docx: tuple[Path, dict[str, str]]) -> None:
    path, n = rich_docx
    seg = next(s for s in segments(path) if n["body"] in s.text)
    assert seg.context == "Fødselsnummer:"


def test_table_row_joins_split_number_and_has_header_context(rich_docx: tuple[Path, dict[str, str]]) -> None:
    path, n = rich_docx
    row = next(s for s in segments(path) if s.location == "tabell 1 rad 3")
    assert row.text == f"Ola | {n['table'][:6]} | {n['table'][6:]}"
    assert row.context == "Navn | Fødselsnummer | Merknad"
    assert row.location_at(row.text.index(n["table"][6:])) == "tabell 1 rad 3 celle 3"  # type: ignore[attr-defined]


def test_comment_author_is_context(rich_docx: tuple[Path, dict[str, str]]) -> None:
    path, n = rich_docx
    seg = next(s for s in segments(path) if n["comment"] in s.text)
    assert "Saksbehandler" in seg.context


def test_engine_picks_docx_extractor(rich_docx: tuple[Path, dict[str, str]]) -> None:
    path, _ = rich_docx
    ref = next(LocalSource().walk(str(path), Settings()))
    result = Engine(Settings()).process(ref)
    assert result.kind == "docx"
    assert result.extractor.startswith("docx ")
    assert not result.unscannable and not result.problems


def test_truncated_docx_is_corrupt(rich_docx: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    path, _ = rich_docx
    bad = tmp_path / "kuttet.docx"
    bad.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CorruptError):
        segments(bad)
    ref = next(LocalSource().walk(str(bad), Settings()))
    result = Engine(Settings()).process(ref)
    assert result.unscannable and result.problems[0].reason.startswith("corrupt:")


def test_encrypted_docx_is_reported_encrypted(rich_docx: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    import msoffcrypto.format.ooxml

    path, _ = rich_docx
    enc = tmp_path / "hemmelig.docx"
    with open(path, "rb") as fh, open(enc, "wb") as out:
        msoffcrypto.format.ooxml.OOXMLFile(fh).encrypt("passord1", out)
    ref = next(LocalSource().walk(str(enc), Settings()))
    result = Engine(Settings()).process(ref)
    assert result.kind == "ooxml-encrypted"
    assert result.unscannable
    assert result.problems[0].reason == "encrypted: password required (encrypted Office document)"


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("HEMMELIG")
    d = docx.Document()
    d.add_paragraph("placeholder")
    path = tmp_path / "xxe.docx"
    d.save(str(path))
    src = zipfile.ZipFile(path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(
                    b"?>", f'?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'.encode(), 1
                ).replace(b"placeholder", b"&x;")
            dst.writestr(info, data)
    path.write_bytes(out.getvalue())
    texts = [s.text for s in segments(path)]
    assert not any("HEMMELIG" in t for t in texts)


def test_zero_byte_docx_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "Nytt dokument.docx"
    path.write_bytes(b"")
    result = Engine(Settings()).process(next(LocalSource().walk(str(path), Settings())))
    assert result.unscannable
    assert (
        result.problems[0].reason
        == "corrupt: empty file (0 bytes); the document is damaged or was never written"
    )
