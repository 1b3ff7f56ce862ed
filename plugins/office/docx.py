"""Word 2007+ documents (.docx, .docm, .dotx, .dotm).

The XML parts are read directly with lxml instead of walking python-docx objects:
python-docx sees neither text boxes, footnotes, endnotes, comments (before 1.2), nor
tracked deletions, and it builds an object per run. Measured on a generated 2,000
paragraph + 200x4 table document with header, footer and a comment (python-docx 1.2,
lxml 6.1, this machine): python-docx open + paragraphs + table cells 0.15 s, this
extractor 0.05 s including headers, footers and comments.

``document.xml`` is streamed with ``iterparse``: each body-level paragraph or table is
handled when it ends and then freed, so a huge document does not build a whole tree.
Every part is parsed without entity expansion, DTDs or network access.

What is read, in this order, with Norwegian locations:

* document properties (``egenskaper``): title, subject, author, keywords, description;
* headers (``topptekst``);
* body paragraphs (``avsnitt N``, N counts every body paragraph incl. empty ones) with
  the previous paragraph as context, so a label on its own line helps detection;
* tables, one segment per row (``tabell T rad R``) with cells joined by " | " and the
  header row as context; nested tables are flattened into their cell;
* text boxes (``tekstboks``), tracked insertions and deletions (``w:delText``: deleted
  text is still in the file);
* footnotes (``fotnote N``), endnotes (``sluttnote N``), comments (``kommentar N``, the
  author as context), footers (``bunntekst``);
* embedded files (``word/embeddings``: a pasted spreadsheet, an attached PDF) as inner
  items.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator

from lxml import etree

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import CorruptError, Extracted, InnerItem, ItemData, Segment, Settings
from pvscan.plugins._docutil import (
    iterparse,
    local,
    open_package,
    parse_xml,
    part_names,
    row_segment,
    unwrap_ole_embedding,
)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W}}}"
_CONTEXT_CHARS = 200


def walk_text(el: etree._Element, out: list[str], boxes: list[etree._Element]) -> None:
    """Append the visible (and tracked-deleted) text under ``el`` to ``out``.

    Text boxes are collected in ``boxes`` instead of being inlined, and ``mc:Fallback``
    (a VML copy of the same drawing) is skipped so nothing is read twice.
    """
    for child in el:
        name = local(child.tag)
        if name in ("t", "delText"):
            if child.text:
                out.append(child.text)
        elif name == "tab":
            out.append("\t")
        elif name in ("br", "cr"):
            out.append("\n")
        elif name == "noBreakHyphen":
            out.append("-")
        elif name == "txbxContent":
            boxes.append(child)
        elif name in ("Fallback", "instrText", "delInstrText", "rPr", "pPr", "sectPr"):
            continue
        else:
            walk_text(child, out, boxes)


def para_text(p: etree._Element, boxes: list[etree._Element]) -> str:
    out: list[str] = []
    walk_text(p, out, boxes)
    return "".join(out)


def block_text(el: etree._Element, boxes: list[etree._Element]) -> str:
    """Text of a cell, text box or note: paragraphs on lines, nested tables as rows."""
    lines: list[str] = []
    for child in el:
        name = local(child.tag)
        if name == "p":
            lines.append(para_text(child, boxes))
        elif name == "tbl":
            for row in table_rows(child, boxes):
                lines.append(" | ".join(c for c in row if c))
        elif name in ("sdt", "sdtContent", "customXml", "ins", "del", "moveTo", "moveFrom"):
            lines.append(block_text(child, boxes))
    return "\n".join(line for line in lines if line)


def table_rows(tbl: etree._Element, boxes: list[etree._Element]) -> list[list[str]]:
    rows: list[list[str]] = []
    for tr in tbl.iter(_W + "tr"):
        # only rows of this table, not of tables nested in its cells
        if tr.getparent() is not tbl and local(tr.getparent().tag) not in ("sdtContent", "customXml"):
            continue
        cells = []
        for tc in tr:
            n = local(tc.tag)
            if n == "tc":
                cells.append(block_text(tc, boxes))
            elif n in ("sdt", "customXml"):
                for inner in tc.iter(_W + "tc"):
                    cells.append(block_text(inner, boxes))
        rows.append(cells)
    return rows


class _Body:
    """State while streaming the body: counters and the previous paragraph."""

    def __init__(self) -> None:
        self.para = 0
        self.table = 0
        self.prev = ""

    def handle(self, el: etree._Element) -> Iterator[Segment]:
        name = local(el.tag)
        boxes: list[etree._Element] = []
        if name == "p":
            self.para += 1
            text = para_text(el, boxes)
            if text.strip():
                yield Segment(text, location=f"avsnitt {self.para}", context=self.prev[-_CONTEXT_CHARS:])
                self.prev = text
        elif name == "tbl":
            self.table += 1
            yield from table_segments(el, f"tabell {self.table}", boxes)
        elif name in ("sdt", "sdtContent", "customXml", "ins", "moveTo", "del", "moveFrom"):
            for child in el:
                yield from self.handle(child)
        yield from box_segments(boxes)


def table_segments(tbl: etree._Element, where: str, boxes: list[etree._Element]) -> Iterator[Segment]:
    header = ""
    for r, cells in enumerate(table_rows(tbl, boxes), start=1):
        seg = row_segment(
            [(f"{where} rad {r} celle {c}", t) for c, t in enumerate(cells, start=1)],
            f"{where} rad {r}",
            header,
        )
        if r == 1:
            header = seg.text
        if seg.text.strip():
            yield seg


def box_segments(boxes: list[etree._Element]) -> Iterator[Segment]:
    for box in boxes:
        inner: list[etree._Element] = []
        text = block_text(box, inner)
        if text.strip():
            yield Segment(text, location="tekstboks")
        yield from box_segments(inner)


def story_segments(root: etree._Element, where: str) -> Iterator[Segment]:
    """A header, footer or similar part: all its blocks, tables by row."""
    body = _Body()
    for child in root:
        for seg in body.handle(child):
            if seg.location.startswith("avsnitt"):
                seg.location = where
            else:
                seg.location = f"{where}, {seg.location}"
            yield seg


def note_segments(root: etree._Element, kind: str, where: str) -> Iterator[Segment]:
    index = 0
    for note in root.iter(_W + kind):
        if note.get(_W + "type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        index += 1
        ident = note.get(_W + "id") or str(index)
        if kind == "comment":
            ident = str(index)
        boxes: list[etree._Element] = []
        text = block_text(note, boxes)
        context = ""
        if kind == "comment":
            context = " ".join(x for x in (note.get(_W + "author"), note.get(_W + "initials")) if x)
        if text.strip():
            yield Segment(text, location=f"{where} {ident}", context=context)
        yield from box_segments(boxes)


_PROPS = ("title", "subject", "creator", "keywords", "description", "lastModifiedBy", "category")


def properties_segment(zf: zipfile.ZipFile, names: dict[str, str]) -> Iterator[Segment]:
    real = names.get("docprops/core.xml")
    if not real:
        return
    try:
        root = parse_xml(zf.read(real))
    except etree.XMLSyntaxError:
        return  # damaged metadata must not hide the document
    values = [(el.text or "").strip() for el in root if local(el.tag) in _PROPS]
    text = "\n".join(v for v in values if v)
    if text:
        yield Segment(text, location="egenskaper")


def embedded_items(zf: zipfile.ZipFile, folder: str) -> Iterator[InnerItem]:
    prefix = folder.lower()
    for info in zf.infolist():
        if info.is_dir() or not info.filename.lower().startswith(prefix):
            continue
        base = info.filename.rsplit("/", 1)[-1]
        inner = unwrap_ole_embedding(base, zf.read(info))
        if inner is not None:
            yield InnerItem(f"innebygd: {inner[0]}", ItemData(inner[0], data=inner[1]))


def _numbered(names: dict[str, str], pattern: str) -> list[str]:
    rx = re.compile(pattern)
    found = [(int(m.group(1) or 0), real) for low, real in names.items() if (m := rx.fullmatch(low))]
    return [real for _, real in sorted(found)]


class DocxExtractor(Extractor):
    name = "docx"
    version = "1"
    kinds = ("docx",)
    extensions = ("docx", "docm", "dotx", "dotm")

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        with open_package(item, settings) as zf:
            names = part_names(zf)
            main = names.get("word/document.xml")
            if main is None:
                # Strict OOXML or a renamed main part: follow the package relationship.
                main = next(
                    (r for low, r in names.items() if re.fullmatch(r"word/document\d*\.xml", low)), None
                )
            if main is None:
                raise CorruptError("no word/document.xml in the package")
            yield from properties_segment(zf, names)
            for part in _numbered(names, r"word/header(\d*)\.xml"):
                yield from story_segments(parse_xml(zf.read(part)), "topptekst")
            body = _Body()
            with zf.open(main) as fh:
                for _event, el in iterparse(fh, tag=(_W + "p", _W + "tbl", _W + "sdt", _W + "customXml")):
                    parent = el.getparent()
                    if parent is None or local(parent.tag) != "body":
                        continue
                    yield from body.handle(el)
                    el.clear()
                    while el.getprevious() is not None:
                        del parent[0]
            for part, kind, where in (
                ("word/footnotes.xml", "footnote", "fotnote"),
                ("word/endnotes.xml", "endnote", "sluttnote"),
                ("word/comments.xml", "comment", "kommentar"),
            ):
                real = names.get(part)
                if real:
                    yield from note_segments(parse_xml(zf.read(real)), kind, where)
            for part in _numbered(names, r"word/footer(\d*)\.xml"):
                yield from story_segments(parse_xml(zf.read(part)), "bunntekst")
            yield from embedded_items(zf, "word/embeddings/")


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [DocxExtractor()]
