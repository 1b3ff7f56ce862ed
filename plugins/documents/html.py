"""HTML pages (.html, .htm, .xhtml, and files that sniff as HTML).

Parsed with lxml.html (libxml2's forgiving HTML parser: no network, no entity
expansion). ``script``, ``style``, ``noscript`` and ``template`` content is dropped.
Block elements end a paragraph; table rows become one line with cells joined by " | "
(the first row is the header context of the rows after it). Each paragraph is a
segment ``avsnitt N`` with the previous one as context, the title is ``tittel``.

Encoding: a BOM or a ``charset`` in the first 4 KB decides; otherwise the text
extractor's guess (UTF-8, else cp1252) is used, so a page without a declaration is not
misread as Latin-1 by libxml2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree
from lxml import html as lxml_html

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import CorruptError, Extracted, ItemData, LimitExceeded, Segment, Settings
from pvscan.plugins._docutil import row_segment
from pvscan.util.textcodec import guess_encoding

MAX_HTML_BYTES = 256 * 1024**2
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_SKIP = ("script", "style", "noscript", "template", "head")
_BLOCKS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "tr",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "dl",
    "address",
    "hr",
    "form",
    "fieldset",
    "nav",
    "aside",
    "main",
    "figure",
    "figcaption",
    "caption",
    "body",
    "tbody",
    "thead",
}


def decode_html(data: bytes) -> str:
    enc = None
    m = _CHARSET.search(data[:4096])
    if m:
        enc = m.group(1).decode("ascii", "replace").lower()
        try:
            "".encode(enc)
        except LookupError:
            enc = None
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        enc = None
    text = data.decode(enc or guess_encoding(data[:262144]), "replace")
    return _XML_DECL.sub("", text.lstrip("\ufeff"), count=1)


class _Lines:
    def __init__(self) -> None:
        self.out: list[tuple[str, bool]] = []  # (text, is a table row)
        self.buf: list[str] = []

    def flush(self, row: bool = False) -> None:
        text = " ".join("".join(self.buf).split()) if not row else "".join(self.buf).strip()
        if text:
            self.out.append((text, row))
        self.buf = []


def html_lines(root: etree._Element) -> list[tuple[str, bool]]:
    lines = _Lines()
    cells: list[str] | None = None
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _SKIP:
                # skip the subtree but keep its tail
                continue
            if tag == "tr":
                lines.flush()
                cells = []
            elif tag in ("td", "th") and cells is not None:
                lines.flush()
            elif tag in _BLOCKS:
                lines.flush()
            if not _in_skipped(el) and el.text and tag not in _SKIP:
                lines.buf.append(el.text)
        else:
            if tag in ("td", "th") and cells is not None:
                cells.append(" ".join("".join(lines.buf).split()))
                lines.buf = []
            elif tag == "tr" and cells is not None:
                lines.buf = [" | ".join(c for c in cells if c)]
                lines.flush(row=True)
                cells = None
            elif tag in _BLOCKS:
                lines.flush()
            if el.tail and not _in_skipped(el.getparent()):
                lines.buf.append(el.tail)
    lines.flush()
    return lines.out


def _in_skipped(el: etree._Element | None) -> bool:
    while el is not None:
        if isinstance(el.tag, str) and el.tag.lower() in _SKIP:
            return True
        if not isinstance(el.tag, str):
            return True  # comments and processing instructions
        el = el.getparent()
    return False


class HtmlExtractor(Extractor):
    name = "html"
    version = "1"
    kinds = ("html",)
    extensions = ("html", "htm", "xhtml")

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        if item.size > MAX_HTML_BYTES:
            raise LimitExceeded(f"HTML file is {item.size} bytes, over the limit of {MAX_HTML_BYTES}")
        text = decode_html(item.read())
        if not text.strip():
            return
        try:
            root = lxml_html.document_fromstring(
                text, parser=lxml_html.HTMLParser(no_network=True, huge_tree=False)
            )
        except (etree.ParserError, ValueError) as exc:
            raise CorruptError(f"not readable HTML: {exc}") from exc
        title = root.findtext(".//title")
        if title and title.strip():
            yield Segment(title.strip(), location="tittel")
        prev = ""
        header = ""
        n = 0
        for line, is_row in html_lines(root):
            n += 1
            if is_row:
                cells = line.split(" | ")
                seg = row_segment(
                    [(f"avsnitt {n} celle {i}", c) for i, c in enumerate(cells, 1)], f"avsnitt {n}", header
                )
                if not header:
                    header, seg.context = seg.text, prev[-200:]
                yield seg
            else:
                header = ""
                yield Segment(line, location=f"avsnitt {n}", context=prev[-200:])
            prev = line


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [HtmlExtractor()]
