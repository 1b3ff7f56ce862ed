"""The .pptx extractor on presentations written with python-pptx."""

from __future__ import annotations

from pathlib import Path

from pptx import Presentation
from pptx.util import Inches
from pvscan.model import ItemData, Segment, Settings
from pvscan.plugins.office_pptx import PptxExtractor


def fnr(day: int = 1, month: int = 1, year: int = 90, ind: int = 123) -> str:
    """A valid test fødselsnummer built with the two mod-11 check digits."""
    base = f"{day:02d}{month:02d}{year:02d}{ind:03d}"
    while True:
        d = [int(c) for c in base]
        k1 = 11 - sum(w * x for w, x in zip((3, 7, 6, 1, 8, 9, 4, 5, 2), d, strict=True)) % 11
        k1 = 0 if k1 == 11 else k1
        k2 = 11 - sum(w * x for w, x in zip((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), d + [k1], strict=True)) % 11
        k2 = 0 if k2 == 11 else k2
        if k1 < 10 and k2 < 10:
            return base + f"{k1}{k2}"
        base = base[:6] + f"{int(base[6:]) + 1:03d}"


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
