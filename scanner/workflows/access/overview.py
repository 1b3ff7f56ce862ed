"""The case overview, as a printable HTML page and a workbook."""

from __future__ import annotations

import os
from collections import Counter

from pvscan.util.htmlpage import esc, page
from pvscan.util.i18n import t, type_name
from pvscan.util.paths import create_private
from pvscan.util.workbook import add_sheet
from pvscan.workflows.access.query import NAME, NAME_BIRTH, NAME_OTHER, AccessItem, AccessResult

_HOW = {
    NAME: "wf.access.how_name",
    NAME_BIRTH: "wf.access.how_name_birth",
    NAME_OTHER: "wf.access.how_name_other",
}


def how_found(it: AccessItem, lang: str) -> str:
    """How an item was found, for the caseworker: the kinds of key that matched, and a
    name alone marked as weaker evidence to confirm."""
    if it.evidence in _HOW:
        return t(_HOW[it.evidence], lang)
    return ", ".join(type_name(_TYPE.get(k, k), lang) for k in sorted(it.found_by))


#: Search-key kinds as finding types (for their display names).
_TYPE = {"fnr": "fodselsnummer", "dnr": "fodselsnummer", "hnr": "fodselsnummer", "syntetisk": "fodselsnummer"}


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
    ] + ([t("wf.access.weak", lang, n=result.weak)] if result.weak else [])


def _rows(result: AccessResult, lang: str, copies: bool) -> list[list[str]]:
    rows = []
    for it in result.items:
        where = "; ".join(" / ".join(x for x in (inner, loc) if x) or "–" for inner, loc, _ in it.locations)
        what = ", ".join(sorted({type_name(typ, lang) for _, _, typ in it.locations}))
        other = ", ".join(f"{type_name(k, lang)} ({v})" for k, v in it.other_types.items())
        if it.other_ids:
            other = ", ".join(x for x in (other, t("wf.access.others", lang, n=it.other_ids)) if x)
        copy = it.copy_note or (t("wf.access.copy_none", lang) if not copies else "")
        rows.append(
            [it.display, how_found(it, lang), where, what, other, it.owner, it.mtime, it.first_seen, copy]
        )
    return rows


HEAD = ("file", "how", "location", "type", "other", "owner", "modified", "first_seen", "copy")


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
    for it, row in zip(result.items, _rows(result, lang, copies), strict=True):
        # A hit by name alone is shaded: the caseworker confirms it before handing it out.
        weak = ' style="background:#fff3cd"' if it.weak else ""
        body.append(f"<tr{weak}>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>")
    body.append("</tbody></table>")
    if result.namesakes:
        body.append(
            f"<h2>{esc(t('wf.access.namesakes', lang))}</h2><p>{esc(t('wf.access.namesakes_note', lang))}</p><ul>"
        )
        body += [f"<li>{esc(it.display)}</li>" for it in result.namesakes]
        body.append("</ul>")
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
        [60, 30, 30, 20, 30, 12, 12, 12, 40],
    )
    if result.namesakes:
        add_sheet(
            wb,
            t("wf.access.namesakes", lang)[:31],
            [t("wf.col.file", lang), t("wf.col.how", lang)],
            [[it.display, how_found(it, lang)] for it in result.namesakes],
            [60, 60],
        )
    create_private(path)
    wb.save(path)
