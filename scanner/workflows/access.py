"""Access requests (innsyn, GDPR art. 15): everything the inventory knows about one person.

``access_request`` finds every file and mail item holding the person's numbers by keyed
hash, lists where (file, attachment, location), what else is in the same document
(health data, other categories, how many other persons' numbers), since when, and
writes a case folder: ``oversikt.xlsx``, a printable ``oversikt.html`` and, on request,
copies with other persons' identifiers blacked out.

Redaction needs the raw values of *other* persons' numbers, which the inventory never
holds. The original file is read again (read-only) by the detection engine at export
time; every identifier whose keyed hash is not one of the requester's is blacked out,
in memory, and the copy is then scanned again to check that none is left. Raw values
are never written anywhere but into the (redacted) copy's surroundings.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pvscan.engine.process import Engine
from pvscan.identity import masking
from pvscan.inventory import Inventory
from pvscan.model import Finding, ItemRef, Settings
from pvscan.util.htmlpage import esc, page
from pvscan.util.i18n import t, type_name
from pvscan.util.paths import create_private, open_private
from pvscan.util.textcodec import decode_text
from pvscan.util.workbook import add_sheet
from pvscan.workflows.find import normalise_identifier
from pvscan.workflows.reportdata import IDENTIFIERS, private_dir

#: Types blacked out in copies when they are not the requester's.
REDACT_TYPES = ("fodselsnummer", "kontonummer", "epost", "telefon")
BLACK = "\u2588"
TEXT_EXT = ("txt", "csv", "tsv", "log", "md", "text")
COPY_EXT = (*TEXT_EXT, "docx", "docm", "xlsx", "xlsm", "pdf")


@dataclass
class AccessItem:
    display: str
    path: bytes
    source: str
    kind: str
    owner: str
    mtime: str
    first_seen: str
    locations: list[tuple[str, str, str]] = field(default_factory=list)  # (inner, location, type)
    other_types: Counter[str] = field(default_factory=Counter)
    other_ids: int = 0
    copy: str = ""
    copy_note: str = ""
    residual: int = 0


@dataclass
class AccessResult:
    out: str
    items: list[AccessItem]
    files: list[str]
    masked_ids: list[str]

    @property
    def copies(self) -> int:
        return sum(1 for i in self.items if i.copy)

    @property
    def manual(self) -> int:
        return sum(1 for i in self.items if i.copy_note and not i.copy)


def _date(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9).strftime("%Y-%m-%d") if ns else ""


def collect(db_path: str, identifiers: list[str]) -> tuple[list[AccessItem], set[str]]:
    """The requester's items from the inventory, with the other data in each."""
    mine = {masking.keyed_hash(normalise_identifier(x)) for x in identifiers}
    with Inventory(db_path, readonly=True) as inv:
        started = {r["id"]: (r["started"] or "")[:10] for r in inv.scan_rows()}
        rows = inv.find_by_hash(sorted(mine))
        by_item: dict[int, AccessItem] = {}
        for r in rows:
            it = by_item.get(r["item_id"])
            if it is None:
                meta = inv.item_row(r["item_id"])
                it = by_item[r["item_id"]] = AccessItem(
                    r["display"],
                    bytes(r["path"]),
                    meta["source"],
                    r["kind"] or "",
                    r["owner"] or "",
                    _date(r["mtime_ns"] or 0),
                    started.get(meta["first_seen"], ""),
                )
            loc = (r["inner"], r["location"] or "", r["type"])
            if loc not in it.locations:
                it.locations.append(loc)
        for item_id, it in by_item.items():
            others: set[str] = set()
            for f in inv.findings_for(item_id):
                if f["hash"] in mine:
                    continue
                if f["type"] in IDENTIFIERS:
                    others.add(f["hash"])
                else:
                    it.other_types[f["type"]] += f["count"] or 1
            it.other_ids = len(others)
    return sorted(by_item.values(), key=lambda i: i.display), mine


# --------------------------------------------------------------------------- redaction
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


def make_copy(ref: ItemRef, dst_dir: str, index: int, mine: set[str], engine: Any) -> tuple[str, str, int]:
    """Write a redacted copy; returns (copy path or '', note, residual count)."""
    ext = ref.name.rsplit(".", 1)[-1].lower() if "." in ref.name else ""
    if ref.source != "local":
        return "", f"{ref.source}", 0
    if ext not in COPY_EXT:
        return "", ext or "?", 0
    if not os.path.exists(ref.url):
        return "", "vanished", 0
    result = engine.process(ref)
    rx = redaction_regex(result.findings, mine)
    name = f"{index:03d}_{ref.name}"
    dst = os.path.join(dst_dir, name)
    if ext in TEXT_EXT:
        fn = redact_text
    elif ext in ("docx", "docm"):
        fn = redact_docx
    elif ext in ("xlsx", "xlsm"):
        fn = redact_xlsx
    else:
        fn = redact_pdf
    fn(ref.url, dst, rx or re.compile(r"(?!x)x"))
    # Check the copy: scan it again; no other person's identifier may be left.
    st = os.stat(dst)
    check = engine.process(ItemRef("local", dst, dst, st.st_size, st.st_mtime_ns))
    residual = {
        masking.keyed_hash(f.value)
        for f in check.findings
        if f.type in REDACT_TYPES and masking.keyed_hash(f.value) not in mine
    }
    return dst, name, len(residual)


def access_request(
    db_path: str,
    identifiers: list[str],
    out: str,
    copies: bool = False,
    lang: str = "nb",
    settings: Settings | None = None,
    engine: Any = None,
    allow_inside: bool = False,
) -> AccessResult:
    """Build the case folder for an access request and return what was written."""
    if not identifiers:
        raise ValueError("give at least one identifier")
    items, mine = collect(db_path, identifiers)
    out = private_dir(out, db_path, allow_inside)
    if copies and items:
        engine = engine or Engine(settings or Settings())
        copy_dir = private_dir(os.path.join(out, "kopier"), None)
        for n, it in enumerate(items, start=1):
            inner_only = all(loc[0] for loc in it.locations)
            url = os.fsdecode(it.path)
            if inner_only and it.kind in ("mbox", "pst", "zip", "7z", "tar", "gzip"):
                it.copy_note = t("wf.access.copy_manual", lang, reason=it.kind)
                continue
            try:
                st = os.stat(url) if it.source == "local" else None
                ref = ItemRef(
                    it.source, url, it.display, st.st_size if st else 0, st.st_mtime_ns if st else 0
                )
                path, note, residual = make_copy(ref, copy_dir, n, mine, engine)
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the case
                path, note, residual = "", f"{type(exc).__name__}", 0
            if path:
                it.copy, it.residual = path, residual
                it.copy_note = (
                    t("wf.access.copy_check", lang, name=note, n=residual)
                    if residual
                    else t("wf.access.copy_ok", lang, name=note)
                )
            else:
                it.copy_note = t("wf.access.copy_manual", lang, reason=note)
    masked = [masking.mask("fodselsnummer", normalise_identifier(x)) for x in identifiers]
    result = AccessResult(out, items, [], masked)

    html_path = os.path.join(out, "oversikt.html")
    with open_private(html_path, "w", encoding="utf-8") as fh:
        fh.write(render_html(result, lang, copies))
    xlsx_path = os.path.join(out, "oversikt.xlsx")
    write_xlsx(result, xlsx_path, lang, copies)
    result.files = [html_path, xlsx_path] + [i.copy for i in items if i.copy]
    return result


# --------------------------------------------------------------------------- overview
def facts(result: AccessResult, lang: str) -> list[str]:
    types: Counter[str] = Counter()
    for it in result.items:
        for _, _, typ in it.locations:
            types[typ] += 1
        types.update({k: 1 for k in it.other_types})
    folders = {os.path.dirname(i.display) for i in result.items}
    owners = sorted({i.owner for i in result.items if i.owner})
    oldest = min((i.mtime for i in result.items if i.mtime), default="")
    first = min((i.first_seen for i in result.items if i.first_seen), default="")
    return [
        t("wf.access.fact_what", lang, types=", ".join(type_name(k, lang) for k in types)),
        t(
            "wf.access.fact_where",
            lang,
            n=len(result.items),
            folders=len(folders),
            owners=", ".join(owners) or "–",
        ),
        t("wf.access.fact_since", lang, oldest=oldest or "–", first=first or "–"),
        t("wf.access.deadline", lang),
    ]


def _rows(result: AccessResult, lang: str, copies: bool) -> list[list[str]]:
    rows = []
    for it in result.items:
        where = "; ".join(" / ".join(x for x in (inner, loc) if x) or "–" for inner, loc, _ in it.locations)
        what = ", ".join(sorted({type_name(typ, lang) for _, _, typ in it.locations}))
        other = ", ".join(f"{type_name(k, lang)} ({v})" for k, v in it.other_types.items())
        if it.other_ids:
            other = ", ".join(x for x in (other, t("wf.access.others", lang, n=it.other_ids)) if x)
        copy = it.copy_note or (t("wf.access.copy_none", lang) if not copies else "")
        rows.append([it.display, where, what, other, it.owner, it.mtime, it.first_seen, copy])
    return rows


HEAD = ("file", "location", "type", "other", "owner", "modified", "first_seen", "copy")


def render_html(result: AccessResult, lang: str, copies: bool) -> str:
    body = [f"<h1>{esc(t('wf.access.title', lang))}</h1><p>{esc(t('wf.access.intro', lang))}</p>"]
    body.append(f"<p><b>{esc(t('wf.access.ids', lang))}:</b> {esc(', '.join(result.masked_ids))}</p>")
    if not result.items:
        body.append(f"<p>{esc(t('wf.access.none', lang))}</p>")
    body.append(f"<h2>{esc(t('wf.access.facts', lang))}</h2><ul>")
    body += [f"<li>{esc(x)}</li>" for x in facts(result, lang)]
    body.append("</ul>")
    body.append(
        f'<div class="note">{esc(t("wf.access.note_redact", lang))}<br>{esc(t("wf.access.note_send", lang))}</div>'
    )
    body.append(
        "<table><thead><tr>"
        + "".join(f"<th>{esc(t('wf.col.' + h, lang))}</th>" for h in HEAD)
        + "</tr></thead><tbody>"
    )
    for row in _rows(result, lang, copies):
        body.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>")
    body.append("</tbody></table>")
    return page(t("wf.access.title", lang), "".join(body), lang)


def write_xlsx(result: AccessResult, path: str, lang: str, copies: bool) -> None:
    # Deferred: openpyxl loads only when a workbook is written.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = t("wf.access.facts", lang)[:31]
    ws.append([t("wf.access.title", lang)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([t("wf.access.ids", lang), ", ".join(result.masked_ids)])
    for x in facts(result, lang):
        ws.append([x])
    ws.append([t("wf.access.note_redact", lang)])
    ws.append([t("wf.access.note_send", lang)])
    ws.column_dimensions["A"].width = 100
    add_sheet(
        wb,
        t("wf.report.items", lang),
        [t("wf.col." + h, lang) for h in HEAD],
        _rows(result, lang, copies),
        [60, 30, 20, 30, 12, 12, 12, 40],
    )
    create_private(path)
    wb.save(path)
