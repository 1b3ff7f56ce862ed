"""OpenDocument text, spreadsheets and presentations (.odt/.ott, .ods/.ots, .odp/.otp).

``content.xml`` and ``styles.xml`` are parsed directly with lxml (no entity expansion, no
DTD, no network) rather than through odfpy's object tree, which is several times slower
and memory-hungry on big spreadsheets. Encrypted packages (``manifest:encryption-data``
in the manifest) are reported as encrypted before anything else is read.

Locations: text ``avsnitt N`` (body paragraphs and headings, with the previous one as
context), ``tabell T rad R`` (cells joined by " | ", header row as context),
``fotnote N``, ``kommentar N``, ``topptekst``/``bunntekst`` (from the master pages);
spreadsheets ``Ark1!rad 3`` per row with cell references ``Ark1!B3`` (repeated empty
cells and rows are skipped without expanding them; numbers as written, dates as
``dd.mm.yyyy``); presentations ``lysbilde N`` and ``lysbilde N notater``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from lxml import etree

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import CorruptError, EncryptedError, Extracted, ItemData, Segment, Settings
from pvscan.plugins._docutil import (
    format_number,
    local,
    open_package,
    parse_xml,
    part_names,
    row_segment,
    sheet_row,
)

from .xlsx import col_letters, sheet_ref

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


class _Notes:
    def __init__(self) -> None:
        self.notes: list[etree._Element] = []
        self.comments: list[etree._Element] = []


def odf_text(el: etree._Element, side: _Notes) -> str:
    """Text of a paragraph-like element: spaces, tabs, line breaks; notes and
    annotations are set aside for their own segments."""
    parts = [el.text or ""]
    for child in el:
        name = local(child.tag)
        if name == "s":
            try:
                n = int(child.get(f"{{{TEXT}}}c") or 1)
            except ValueError:
                n = 1
            parts.append(" " * max(1, min(n, 100)))
        elif name == "tab":
            parts.append("\t")
        elif name == "line-break":
            parts.append("\n")
        elif name == "note":
            side.notes.append(child)
        elif name == "annotation":
            side.comments.append(child)
        elif name in ("p", "h"):
            parts.append("\n" + odf_text(child, side))
        elif isinstance(child.tag, str):
            parts.append(odf_text(child, side))
        parts.append(child.tail or "")
    return "".join(parts)


def block_text(el: etree._Element, side: _Notes) -> str:
    """Paragraphs under ``el`` (cells, notes, frames), one per line; a paragraph's own
    nested frames are part of its text, not read twice."""
    lines: list[str] = []
    for child in el:
        name = local(child.tag)
        if name in ("p", "h"):
            t = odf_text(child, side)
        elif name == "table":
            t = "\n".join(" | ".join(c for c in cells if c) for cells in table_rows(child, side))
        elif isinstance(child.tag, str) and name not in ("creator", "date"):
            t = block_text(child, side)
        else:
            continue
        if t.strip():
            lines.append(t)
    return "\n".join(lines)


def table_rows(tbl: etree._Element, side: _Notes) -> Iterator[list[str]]:
    for row in tbl.iter(f"{{{TABLE}}}table-row"):
        if next(row.iterancestors(f"{{{TABLE}}}table"), None) is not tbl:
            continue  # a row of a nested table: part of its cell's text
        cells = []
        for cell in row:
            if local(cell.tag) in ("table-cell", "covered-table-cell"):
                cells.append(block_text(cell, side))
        yield cells


class _TextBody:
    def __init__(self) -> None:
        self.para = 0
        self.table = 0
        self.prev = ""
        self.side = _Notes()

    def handle(self, el: etree._Element) -> Iterator[Segment]:
        name = local(el.tag)
        if name in ("p", "h"):
            self.para += 1
            text = odf_text(el, self.side)
            if text.strip():
                yield Segment(text, location=f"avsnitt {self.para}", context=self.prev[-200:])
                self.prev = text
        elif name == "table":
            self.table += 1
            header = ""
            for r, cells in enumerate(table_rows(el, self.side), start=1):
                loc = f"tabell {self.table} rad {r}"
                seg = row_segment(
                    [(f"{loc} celle {c}", t) for c, t in enumerate(cells, start=1)], loc, header
                )
                if r == 1:
                    header = seg.text
                if seg.text.strip():
                    yield seg
        elif isinstance(el.tag, str):
            # lists, list items, sections, index bodies: their paragraphs count in order
            for child in el:
                yield from self.handle(child)

    def side_segments(self) -> Iterator[Segment]:
        for n, note in enumerate(self.side.notes, start=1):
            body = next((c for c in note if local(c.tag) == "note-body"), note)
            text = block_text(body, _Notes())
            if text.strip():
                yield Segment(text, location=f"fotnote {n}")
        for n, ann in enumerate(self.side.comments, start=1):
            author = " ".join(c.text or "" for c in ann if local(c.tag) == "creator")
            text = block_text(ann, _Notes())
            if text.strip():
                yield Segment(text, location=f"kommentar {n}", context=author)


def _value(cell: etree._Element) -> str:
    vtype = cell.get(f"{{{OFFICE}}}value-type")
    if vtype in ("float", "percentage", "currency"):
        v = cell.get(f"{{{OFFICE}}}value")
        if v is not None:
            return format_number(v)
    elif vtype == "date":
        v = cell.get(f"{{{OFFICE}}}date-value") or ""
        try:
            d = dt.datetime.fromisoformat(v)
            return d.strftime("%d.%m.%Y") if not (d.hour or d.minute) else d.strftime("%d.%m.%Y %H:%M")
        except ValueError:
            pass
    return block_text(cell, _Notes())


def sheet_segments(tbl: etree._Element) -> Iterator[Segment]:
    sref = sheet_ref(tbl.get(f"{{{TABLE}}}name") or "Ark")
    header = ""
    rnum = 0
    for row in tbl.iter(f"{{{TABLE}}}table-row"):
        try:
            rrep = int(row.get(f"{{{TABLE}}}number-rows-repeated") or 1)
        except ValueError:
            rrep = 1
        rnum += 1
        col = 0
        cells = []
        for cell in row:
            if local(cell.tag) not in ("table-cell", "covered-table-cell"):
                continue
            try:
                crep = int(cell.get(f"{{{TABLE}}}number-columns-repeated") or 1)
            except ValueError:
                crep = 1
            col += 1
            text = _value(cell)
            if text:
                cells.append((f"{sref}!{col_letters(col)}{rnum}", text))
            col += max(crep, 1) - 1
        this = rnum
        rnum += max(rrep, 1) - 1
        if not cells:
            continue
        seg, header = sheet_row(cells, sref, this, header)
        yield seg


class OdfExtractor(Extractor):
    name = "odf"
    version = "1"
    kinds = ("odt", "ods", "odp")
    extensions = ("odt", "ott", "ods", "ots", "odp", "otp", "odg")

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        with open_package(item, settings) as zf:
            names = part_names(zf)
            manifest = names.get("meta-inf/manifest.xml")
            if manifest and b"encryption-data" in zf.read(manifest):
                raise EncryptedError("password required (encrypted OpenDocument file)")
            content = names.get("content.xml")
            if content is None:
                raise CorruptError("no content.xml in the package")
            if "styles.xml" in names:
                yield from _header_footer(parse_xml(zf.read(names["styles.xml"])))
            root = parse_xml(zf.read(content))
            body = next((c for c in root if local(c.tag) == "body"), None)
            if body is None:
                return
            for kind_el in body:
                kind = local(kind_el.tag)
                if kind == "spreadsheet":
                    for tbl in kind_el.iter(f"{{{TABLE}}}table"):
                        yield from sheet_segments(tbl)
                elif kind in ("presentation", "drawing"):
                    pages = [p for p in kind_el if local(p.tag) == "page"]
                    for n, page in enumerate(pages, start=1):
                        yield from _page_segments(page, f"lysbilde {n}")
                else:
                    tb = _TextBody()
                    for child in kind_el:
                        yield from tb.handle(child)
                    yield from tb.side_segments()


def _page_segments(page: etree._Element, where: str) -> Iterator[Segment]:
    notes = [c for c in page if local(c.tag) == "notes"]
    for n in notes:
        page.remove(n)
    tb = _TextBody()
    lines = []
    for child in page:
        for seg in tb.handle(child):
            if seg.location.startswith("tabell"):
                seg.location = f"{where} {seg.location}"
                yield seg
            else:
                lines.append(seg.text)
    if lines:
        yield Segment("\n".join(lines), location=where)
    for n in notes:
        text = block_text(n, _Notes())
        if text.strip():
            yield Segment(text, location=f"{where} notater")


def _header_footer(styles: etree._Element) -> Iterator[Segment]:
    for el in styles.iter():
        name = local(el.tag)
        if name in ("header", "header-first", "header-left", "footer", "footer-first", "footer-left"):
            text = block_text(el, _Notes())
            if text.strip():
                yield Segment(text, location="topptekst" if name.startswith("header") else "bunntekst")


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [OdfExtractor()]
