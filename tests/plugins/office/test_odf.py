"""The OpenDocument extractor on files written with odfpy."""

from __future__ import annotations

from pathlib import Path

from odf.draw import Frame, Page, TextBox
from odf.opendocument import OpenDocumentPresentation, OpenDocumentSpreadsheet, OpenDocumentText
from odf.style import MasterPage, PageLayout
from odf.table import Table, TableCell, TableRow
from odf.text import P

from pvscan.engine.process import Engine
from pvscan.model import ItemData, Segment, Settings
from pvscan.plugins.office.odf import OdfExtractor
from pvscan.plugins.sources.local import LocalSource
from pvscan.testing import fnr_from as fnr


def segments(path: Path) -> list[Segment]:
    result = Engine(Settings()).process(next(LocalSource().walk(str(path), Settings())))
    assert not result.unscannable, result.problems
    item = ItemData(path.name, path=str(path))
    item.kind = result.kind
    return [s for s in OdfExtractor().extract(item, Settings()) if isinstance(s, Segment)]


def row(*values: str) -> TableRow:
    tr = TableRow()
    for v in values:
        cell = TableCell()
        cell.addElement(P(text=v))
        tr.addElement(cell)
    return tr


def test_odt_paragraphs_and_table(tmp_path: Path) -> None:
    a, b = fnr(1, 1, 60, 150), fnr(2, 2, 62, 250)
    doc = OpenDocumentText()
    doc.text.addElement(P(text="Personalia"))
    doc.text.addElement(P(text=f"Fødselsnummer {a}"))
    t = Table(name="Tabell1")
    t.addElement(row("Navn", "Fnr"))
    t.addElement(row("Kari", b))
    doc.text.addElement(t)
    path = tmp_path / "notat.odt"
    doc.save(str(path))
    segs = segments(path)
    seg = next(s for s in segs if a in s.text)
    assert seg.location == "avsnitt 2" and seg.context == "Personalia"
    r = next(s for s in segs if b in s.text)
    assert r.location == "tabell 1 rad 2" and r.context == "Navn | Fnr"


def test_ods_rows_with_cell_refs_and_numbers(tmp_path: Path) -> None:
    a = fnr(14, 4, 44, 444)
    doc = OpenDocumentSpreadsheet()
    t = Table(name="Ark1")
    t.addElement(row("Navn", "Fnr"))
    tr = TableRow()
    tr.addElement(TableCell(valuetype="string"))
    c = TableCell(valuetype="float", value=int(a))
    c.addElement(P(text=a))
    tr.addElement(TableCell(numbercolumnsrepeated=3))
    tr.addElement(c)
    t.addElement(tr)
    doc.spreadsheet.addElement(t)
    path = tmp_path / "liste.ods"
    doc.save(str(path))
    segs = segments(path)
    seg = next(s for s in segs if a in s.text)
    assert seg.location == "Ark1!E2" and seg.text == a


def test_odp_slides(tmp_path: Path) -> None:
    a = fnr(5, 5, 55, 555)
    doc = OpenDocumentPresentation()
    layout = PageLayout(name="pl")
    doc.automaticstyles.addElement(layout)
    master = MasterPage(name="m", pagelayoutname=layout)
    doc.masterstyles.addElement(master)
    for text in ("Første", f"Andre {a}"):
        page = Page(masterpagename=master)
        frame = Frame(width="10cm", height="2cm", x="1cm", y="1cm")
        box = TextBox()
        box.addElement(P(text=text))
        frame.addElement(box)
        page.addElement(frame)
        doc.presentation.addElement(page)
    path = tmp_path / "møte.odp"
    doc.save(str(path))
    assert [s.location for s in segments(path) if a in s.text] == ["lysbilde 2"]
