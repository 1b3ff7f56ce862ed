"""The unstructured-data checklist (the handbook's section 9.1), filled in from the
inventory and from file metadata, for one employee's home folder and mailbox or a share.

Five of the seven questions can be answered from what pvscan knows: whether personal
data is kept, which kinds, how it is stored (where, formats, age), who has access
(owner, group, permission bits, POSIX ACLs where readable), and what must move to a
structured system (special categories such as health must never stay in shares, home
folders or mail). The two about knowing the routines are left for the person to fill in.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
import struct
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pvscan.util.htmlpage import esc, page
from pvscan.util.i18n import t, type_name
from pvscan.util.paths import create_private, open_private
from pvscan.workflows.reportdata import AGE_BUCKETS, IDENTIFIERS, ReportData, age_bucket, build

_ACL_TAGS = {1: "u", 2: "u", 4: "g", 8: "g", 16: "m", 32: "o"}


@dataclass
class Answer:
    question: str
    lines: list[str] = field(default_factory=list)
    fill_in: bool = False


def _name(fn: Any, ident: int) -> str:
    try:
        return fn(ident)[0]
    except KeyError:
        return str(ident)


def read_acl(path: str) -> str:
    """Named user/group entries of a POSIX access ACL ('' if none or unreadable)."""
    try:
        raw = os.getxattr(path, "system.posix_acl_access")
    except (OSError, AttributeError):
        return ""
    out = []
    for off in range(4, len(raw) - 7, 8):
        tag, perm, ident = struct.unpack_from("<HHI", raw, off)
        if tag not in (2, 8):  # the owner/group/other entries are the mode bits already
            continue
        who = _name(pwd.getpwuid, ident) if tag == 2 else _name(grp.getgrgid, ident)
        bits = "".join(c if perm & b else "-" for c, b in (("r", 4), ("w", 2), ("x", 1)))
        out.append(f"{_ACL_TAGS[tag]}:{who}:{bits}")
    return ", ".join(out)


def access_lines(paths: list[str], lang: str, limit: int = 15) -> list[str]:
    lines = []
    for p in paths[:limit]:
        try:
            st = os.stat(p)
        except OSError:
            continue
        line = t(
            "wf.chk.perm",
            lang,
            path=p,
            owner=_name(pwd.getpwuid, st.st_uid),
            group=_name(grp.getgrgid, st.st_gid),
            mode=stat.filemode(st.st_mode),
        )
        if st.st_mode & stat.S_IROTH:
            line += f" – {t('wf.chk.world', lang)}"
        acl = read_acl(p)
        if acl:
            line += f" – {t('wf.chk.acl', lang, acl=acl)}"
        lines.append(line)
    return lines


def answers(data: ReportData, lang: str = "nb") -> list[Answer]:
    q = [Answer(t(f"wf.chk.q{i}", lang)) for i in range(1, 8)]
    files_read = sum(c["files"] for c in data.coverage)
    tt = data.totals
    q[0].lines.append(
        t("wf.chk.yes", lang, items=tt["items"], findings=tt["findings"])
        if data.items
        else t("wf.chk.no", lang, files=files_read)
    )
    q[1].lines += [f"{type_name(k, lang)}: {v}" for k, v in data.by_type.items()]
    if data.items:
        folders = [f"{r['folder']} ({r['items']})" for r in data.by_folder[:10]]
        q[2].lines.append(t("wf.chk.where", lang, folders="; ".join(folders)))
        kinds = Counter(i.kind or "?" for i in data.items)
        q[2].lines.append(
            t("wf.chk.formats", lang, formats=", ".join(f"{k} ({v})" for k, v in kinds.most_common()))
        )
        ages = Counter(age_bucket(i.age_years) for i in data.items)
        oldest = min((i.mtime for i in data.items if i.mtime), default="–")
        q[2].lines.append(
            t(
                "wf.chk.age",
                lang,
                ages=", ".join(f"{t('wf.age.' + b, lang)}: {ages[b]}" for b in AGE_BUCKETS if ages[b]),
                oldest=oldest,
            )
        )
        folders_local = sorted({i.folder for i in data.items if "://" not in i.display})
        q[3].lines += access_lines(folders_local, lang)
        mailboxes = sorted({i.display.split("/", 3)[2] for i in data.items if "://" in i.display})
        q[3].lines += [f"{m}: {t('wf.col.owner', lang).lower()} {data.items[0].owner}" for m in mailboxes]
    sensitive = [i for i in data.items if i.sensitive]
    if sensitive:
        q[4].lines.append(t("wf.chk.move", lang, n=len(sensitive)))
        q[4].lines += [
            f"• {i.display} ({', '.join(type_name(k, lang) for k in i.types if k not in IDENTIFIERS)})"
            for i in sensitive[:50]
        ]
    else:
        q[4].lines.append(t("wf.chk.move_none", lang))
    media = [m["file"] for c in data.coverage for m in c.get("media", [])]
    if media:
        q[2].lines.append(t("wf.chk.media", lang, n=len(media)))
        q[2].lines += [f"• {f}" for f in media[:50]]
    ids_only = [i for i in data.items if not i.sensitive and any(k in IDENTIFIERS for k in i.types)]
    if ids_only:
        q[4].lines.append(t("wf.chk.move_ids", lang, n=len(ids_only)))
    for a in q[5:]:
        a.fill_in = True
        a.lines.append(t("wf.chk.fill", lang))
    return q


def write_checklist(
    db_path: str,
    out_dir: str,
    scope: str,
    roots: list[str] | None = None,
    owner: str | None = None,
    lang: str = "nb",
    item_ids: set[int] | None = None,
) -> tuple[list[str], list[Answer]]:
    """Write ``sjekkliste.docx`` and ``sjekkliste.html`` into ``out_dir``."""
    data = build(db_path, owner=owner, roots=roots, lang=lang, item_ids=item_ids)
    ans = answers(data, lang)
    date = datetime.now().strftime("%Y-%m-%d")
    os.makedirs(out_dir, mode=0o700, exist_ok=True)
    docx_path = os.path.join(out_dir, "sjekkliste.docx")
    html_path = os.path.join(out_dir, "sjekkliste.html")
    _docx(docx_path, ans, scope, date, lang)
    with open_private(html_path, "w", encoding="utf-8") as fh:
        fh.write(_html(ans, scope, date, lang))
    return [docx_path, html_path], ans


def _docx(path: str, ans: list[Answer], scope: str, date: str, lang: str) -> None:
    # Deferred: python-docx loads only when the DOCX checklist is written.
    import docx
    from docx.shared import Pt

    d = docx.Document()
    d.add_heading(t("wf.chk.title", lang), level=1)
    d.add_paragraph(t("wf.chk.scope", lang, scope=scope, date=date))
    table = d.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    table.rows[0].cells[0].text = t("wf.chk.question", lang)
    table.rows[0].cells[1].text = t("wf.chk.answer", lang)
    for c in table.rows[0].cells:
        for r in c.paragraphs[0].runs:
            r.bold = True
    for a in ans:
        row = table.add_row()
        row.cells[0].text = a.question
        cell = row.cells[1]
        cell.text = a.lines[0] if a.lines else ""
        for line in a.lines[1:]:
            cell.add_paragraph(line)
        for p in cell.paragraphs:
            for r in p.runs:
                r.font.size = Pt(9)
    d.add_paragraph()
    d.add_paragraph(t("wf.chk.signed", lang) + " " + "_" * 40)
    create_private(path)
    d.save(path)


def _html(ans: list[Answer], scope: str, date: str, lang: str) -> str:
    rows = "".join(
        f"<tr><th>{esc(a.question)}</th><td{' class=fill' if a.fill_in else ''}>"
        + "<br>".join(esc(x) for x in a.lines)
        + "</td></tr>"
        for a in ans
    )
    body = (
        f"<h1>{esc(t('wf.chk.title', lang))}</h1><p class='meta'>{esc(t('wf.chk.scope', lang, scope=scope, date=date))}</p>"
        f"<table><thead><tr><th>{esc(t('wf.chk.question', lang))}</th><th>{esc(t('wf.chk.answer', lang))}</th></tr></thead>"
        f"<tbody>{rows}</tbody></table><p>{esc(t('wf.chk.signed', lang))} ______________________</p>"
    )
    return page(t("wf.chk.title", lang), body, lang)
