"""The .pptx extractor on presentations written with python-pptx."""

from __future__ import annotations

from pathlib import Path

from pptx import Presentation
from pptx.util import Inches

from pvscan.model import ItemData, Segment, Settings
from pvscan.plugins.office.pptx import PptxExtractor
from pvscan.testing import fnr_from as fnr


def test_slides_tables_and_notes(tmp_path: Path) -> None:
    a, b, c = fnr(1, 2, 80, 111), fnr(2, 3, 81, 222), fnr(3, 4, 82, 333)
    prs = Presentation()
    s1 = prs.slides.add_slide(prs.slide_layouts[1])
    s1.shapes.title.text = "Møte"
    s2 = prs.slides.add_slide(prs.slide_layouts[5])
    s2.shapes.title.text = "Deltakere"
    box = s2.shapes.add_textbox(Inches(1), Inches(1), Inches(3), Inches(1))
    box.text_frame.text = f"Fødselsnummer {a}"
    table = s2.shapes.add_table(2, 2, Inches(1), Inches(3), Inches(4), Inches(1)).table
    table.cell(0, 0).text, table.cell(0, 1).text = "Navn", "Fnr"
    table.cell(1, 0).text, table.cell(1, 1).text = "Kari", b
    s2.notes_slide.notes_text_frame.text = f"Husk {c}"
    path = tmp_path / "møte.pptx"
    prs.save(str(path))
    item = ItemData(path.name, path=str(path))
    item.kind = "pptx"
    segs = [s for s in PptxExtractor().extract(item, Settings()) if isinstance(s, Segment)]
    assert [s.location for s in segs if a in s.text] == ["lysbilde 2"]
    row = next(s for s in segs if b in s.text)
    assert row.location == "lysbilde 2 tabell 1 rad 2" and row.context == "Navn | Fnr"
    assert [s.location for s in segs if c in s.text] == ["lysbilde 2 notater"]
    assert any(s.location == "lysbilde 1" and "Møte" in s.text for s in segs)
