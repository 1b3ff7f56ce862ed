"""PowerPoint 2007+ presentations (.pptx, .pptm, .ppsx, .potx).

Read straight from the package XML with lxml (no entity expansion, no network), like
the .docx reader: python-pptx needs an object per shape and leaves out grouped shapes'
tables and notes unless walked by hand. Slides come in presentation order
(``presentation.xml``'s slide list), so ``lysbilde 3`` is the third slide a user sees.

Per slide: all text of its shapes (titles, text boxes, grouped shapes, SmartArt text
kept in the slide) as one segment ``lysbilde N``; each table row as a segment
``lysbilde N tabell T rad R`` (cells joined by " | ", header row as context); the
speaker notes as ``lysbilde N notater``. Embedded files (``ppt/embeddings``) are inner
items.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import CorruptError, Extracted, ItemData, Segment, Settings
from pvscan.plugins._docutil import local, open_package, parse_xml, part_names, rels_targets, row_segment

from .docx import embedded_items


def _para(p: etree._Element) -> str:
    out: list[str] = []
    for el in p.iter():
        name = local(el.tag)
        if name == "t" and el.text:
            out.append(el.text)
        elif name == "br":
            out.append("\n")
    return "".join(out)


def _collect(el: etree._Element, paras: list[str], tables: list[etree._Element]) -> None:
    for child in el:
        name = local(child.tag)
        if name == "Fallback":
            continue
        if name == "tbl":
            tables.append(child)
        elif name == "p":
            text = _para(child)
            if text.strip():
                paras.append(text)
        else:
            _collect(child, paras, tables)


def _table_rows(tbl: etree._Element) -> list[list[str]]:
    rows = []
    for tr in tbl:
        if local(tr.tag) != "tr":
            continue
        cells = []
        for tc in tr:
            if local(tc.tag) == "tc":
                cells.append("\n".join(_para(p) for p in tc.iter("{*}p") if _para(p).strip()))
        rows.append(cells)
    return rows


def slide_segments(root: etree._Element, where: str) -> Iterator[Segment]:
    paras: list[str] = []
    tables: list[etree._Element] = []
    _collect(root, paras, tables)
    if paras:
        yield Segment("\n".join(paras), location=where)
    for t, tbl in enumerate(tables, start=1):
        header = ""
        for r, cells in enumerate(_table_rows(tbl), start=1):
            loc = f"{where} tabell {t} rad {r}"
            seg = row_segment([(f"{loc} celle {c}", x) for c, x in enumerate(cells, start=1)], loc, header)
            if r == 1:
                header = seg.text
            if seg.text.strip():
                yield seg


class PptxExtractor(Extractor):
    name = "pptx"
    version = "1"
    kinds = ("pptx",)
    extensions = ("pptx", "pptm", "ppsx", "ppsm", "potx", "potm")

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        with open_package(item, settings) as zf:
            names = part_names(zf)
            pres = names.get("ppt/presentation.xml")
            if pres is None:
                raise CorruptError("no ppt/presentation.xml in the package")
            rels = rels_targets(zf, pres)
            order: list[str] = []
            for el in parse_xml(zf.read(pres)).iter("{*}sldId"):
                rid = next((v for k, v in el.attrib.items() if local(k) == "id" and k.startswith("{")), "")
                target = rels.get(rid, ("", ""))[1].lower()
                if target in names:
                    order.append(names[target])
            seen = set(order)
            # Slides missing from the list (a damaged presentation) are still read.
            order += sorted(
                r
                for low, r in names.items()
                if low.startswith("ppt/slides/slide") and low.endswith(".xml") and r not in seen
            )
            for n, part in enumerate(order, start=1):
                where = f"lysbilde {n}"
                yield from slide_segments(parse_xml(zf.read(part)), where)
                for typ, target in rels_targets(zf, part).values():
                    if typ == "notesSlide" and target.lower() in names:
                        notes = parse_xml(zf.read(names[target.lower()]))
                        # Only the notes body: the slide-image placeholder repeats nothing useful.
                        yield from slide_segments(notes, f"{where} notater")
            yield from embedded_items(zf, "ppt/embeddings/")


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [PptxExtractor()]
