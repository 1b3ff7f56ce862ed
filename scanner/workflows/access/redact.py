"""Redacted copies: every identifier that is not the requester's is blacked out, in
memory, in text, Word, Excel and PDF files (PDF pages become images with black boxes)."""

from __future__ import annotations

import re

from pvscan.identity import masking
from pvscan.model import Finding
from pvscan.util.paths import create_private, open_private
from pvscan.util.textcodec import decode_text

#: Types blacked out in copies when they are not the requester's.
REDACT_TYPES = ("fodselsnummer", "kontonummer", "epost", "telefon")
BLACK = "\u2588"
TEXT_EXT = ("txt", "csv", "tsv", "log", "md", "text")
COPY_EXT = (*TEXT_EXT, "docx", "docm", "xlsx", "xlsm", "pdf")


_SEP = r"[ \u00a0\u2009\u202f.\-\u2010-\u2013]{0,2}"


def value_pattern(f: Finding) -> str:
    """A regex for the raw forms a finding's normalised value may take in the text."""
    if f.type == "epost":
        return r"(?<![\w.+-])" + re.escape(f.value) + r"(?![\w-])"
    digits = "".join(c for c in f.value if c.isdigit())
    prefix = ""
    if f.type == "telefon":
        if len(digits) > 8 and digits.startswith("47"):
            digits = digits[2:]
        prefix = r"(?:(?:\+|00)47" + _SEP + ")?"
    if not digits:
        return re.escape(f.value)
    head = f"{digits[0]}?" if digits[0] == "0" and len(digits) == 11 else digits[0]
    body = head + "".join(_SEP + d for d in digits[1:])
    if f.type == "kontonummer":
        prefix = r"(?:NO\d\d" + _SEP + ")?"
    return r"(?<!\d)" + prefix + body + r"(?!\d)"


def redaction_regex(findings: list[Finding], mine: set[str]) -> re.Pattern[str] | None:
    pats = sorted(
        {
            value_pattern(f)
            for f in findings
            if f.type in REDACT_TYPES and not f.item and masking.keyed_hash(f.value) not in mine
        },
        key=len,
        reverse=True,
    )
    return re.compile("|".join(pats), re.IGNORECASE) if pats else None


def black(text: str, rx: re.Pattern[str]) -> str:
    return rx.sub(lambda m: "".join(c if c in " \n\r\t" else BLACK for c in m.group(0)), text)


def redact_text(src: str, dst: str, rx: re.Pattern[str]) -> None:
    with open(src, "rb") as fh:
        text = decode_text(fh.read())
    with open_private(dst, "w", encoding="utf-8", newline="") as out:
        out.write(black(text, rx))


def redact_docx(src: str, dst: str, rx: re.Pattern[str]) -> None:
    """Every XML part of the package (body, tables, headers, footers, footnotes,
    comments, document properties). Matches are found per paragraph, so a number split
    over several runs is still blacked out."""
    # Deferred: python-docx and lxml load only when a redacted copy of that format is made.
    import docx
    from docx.opc.part import XmlPart
    from lxml import etree

    w_ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    document = docx.Document(src)
    for part in document.part.package.iter_parts():
        if isinstance(part, XmlPart):
            root = part.element
            blob_part = False
        elif "xml" in (part.content_type or ""):
            try:
                root = etree.fromstring(part.blob)
            except etree.XMLSyntaxError:
                continue
            blob_part = True
        else:
            continue
        changed = False
        for p in root.iter(f"{{{w_ns}}}p"):
            ts = list(p.iter(f"{{{w_ns}}}t"))
            joined = "".join(x.text or "" for x in ts)
            new = black(joined, rx)
            if new == joined:
                continue
            changed = True
            pos = 0
            for x in ts:
                n = len(x.text or "")
                x.text = new[pos : pos + n]
                pos += n
        for el in root.iter():
            if isinstance(el.tag, str) and not el.tag.endswith("}t") and el.text and el.text.strip():
                new = black(el.text, rx)
                if new != el.text:
                    el.text, changed = new, True
        if changed and blob_part:
            part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    create_private(dst)
    document.save(dst)


def redact_xlsx(src: str, dst: str, rx: re.Pattern[str]) -> None:
    # Deferred: openpyxl loads only when a workbook is written.
    import openpyxl

    wb = openpyxl.load_workbook(src)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if isinstance(v, str):
                    new = black(v, rx)
                    if new != v:
                        cell.value = new
                elif isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer():
                    s = str(int(v))
                    if rx.fullmatch(s) or rx.fullmatch(s.zfill(11)):
                        cell.value = BLACK * len(s)
                if cell.comment is not None and rx.search(cell.comment.text or ""):
                    cell.comment.text = black(cell.comment.text, rx)
    create_private(dst)
    wb.save(dst)


def redact_pdf(src: str, dst: str, rx: re.Pattern[str], scale: float = 2.0) -> None:
    """Rasterise each page with black boxes over the matches and add the page's text,
    redacted, as an invisible layer (so the copy stays searchable). Nothing of the
    original content stream survives, so no hidden text can leak."""
    # Deferred: PDFium, Pillow and reportlab load only when a redacted PDF copy is made.
    import pypdfium2 as pdfium
    from PIL import ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    pdf = pdfium.PdfDocument(src)
    create_private(dst)
    c = canvas.Canvas(dst)
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            w, h = page.get_size()
            tp = page.get_textpage()
            text = tp.get_text_range()
            img = page.render(scale=scale).to_pil().convert("RGB")
            draw = ImageDraw.Draw(img)
            for m in rx.finditer(text):
                for j in range(tp.count_rects(m.start(), m.end() - m.start())):
                    left, bottom, right, top = tp.get_rect(j)
                    draw.rectangle(
                        [
                            left * scale - 1,
                            (h - top) * scale - 1,
                            right * scale + 1,
                            (h - bottom) * scale + 1,
                        ],
                        fill="black",
                    )
            c.setPageSize((w, h))
            c.drawImage(ImageReader(img), 0, 0, w, h)
            layer = c.beginText(20, h - 20)
            layer.setTextRenderMode(3)
            layer.setFont("Helvetica", 8)
            for line in rx.sub("[sladdet]", text).splitlines():
                layer.textLine(line.encode("latin-1", "replace").decode("latin-1"))
            c.drawText(layer)
            c.showPage()
            tp.close()
            page.close()
    finally:
        pdf.close()
    c.save()
