"""The self-contained HTML report (``pvscan report --format html``).

One file, inline CSS and SVG charts, no script and no external assets. Sections: a
summary, charts by type, folder (worst first), age and owner, the per-unit summary for
managers and the privacy officer, what is new since the last scan, every finding with
its masked value and review status, and the coverage record of the scans.
"""

from __future__ import annotations

import os
from typing import Any

from pvscan import hookimpl
from pvscan.interfaces import ReportWriter
from pvscan.util.i18n import t
from pvscan.util.paths import open_private

from ._common import SENSITIVE, bar_chart, esc, page, reason_label, status_label, type_label, types_text


def _table(
    head: list[str], rows: list[list[Any]], numeric: set[int] = frozenset(), classes: list[str] | None = None
) -> str:
    out = ["<table><thead><tr>", *(f"<th>{esc(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        out.append(f"<tr{cls}>")
        out += [
            f'<td class="n">{esc(c)}</td>' if j in numeric else f"<td>{c}</td>" for j, c in enumerate(row)
        ]
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _agg_table(rows: list[dict[str, Any]], key: str, label: str, lang: str, limit: int = 50) -> str:
    head = [
        label,
        t("wf.col.items", lang),
        t("wf.col.findings", lang),
        t("wf.col.sensitive", lang),
        t("wf.col.handled", lang),
        t("wf.col.new", lang),
    ]
    body = [
        [esc(r[key]), r["items"], r["findings"], r["sensitive"], r["handled"], r["new"]] for r in rows[:limit]
    ]
    return _table(head, body, numeric={1, 2, 3, 4, 5})


def coverage_html(coverage: list[dict[str, Any]], lang: str) -> str:
    parts = []
    for c in coverage:
        parts.append(
            f"<h3>{esc(t('wf.cov.scan', lang, id=c['scan_id'], started=c['started'], finished=c['finished'] or '', host=c['host'], user=c['user']))}</h3>"
        )
        parts.append(f"<p><b>{esc(t('wf.cov.roots', lang))}:</b> {esc(', '.join(c['roots']))}</p>")
        parts.append(
            "<p>"
            + esc(
                t(
                    "wf.cov.counts",
                    lang,
                    files=c["files"],
                    items=c["items"],
                    unscannable=c["unscannable"],
                    parts=len(c["partly_read"]),
                    walk=len(c["walk_errors"]),
                )
            )
            + "</p>"
        )
        nd = c.get("not_documents") or {}
        if nd.get("program") or nd.get("media"):
            parts.append(
                "<p>"
                + esc(t("wf.cov.not_documents", lang, program=nd.get("program", 0), media=nd.get("media", 0)))
                + "</p>"
            )
        if c.get("media"):
            media_rows = [[esc(x["file"]), f"<code>{esc(x['reason'])}</code>"] for x in c["media"]][:500]
            parts.append(f"<details><summary>{esc(t('wf.cov.media', lang))} ({len(c['media'])})</summary>")
            parts.append(_table([t("wf.col.file", lang), ""], media_rows) + "</details>")
        if c["by_reason"]:
            parts.append(
                "<p>"
                + ", ".join(
                    f'<span class="tag">{esc(reason_label(k, lang))}: {v}</span>'
                    for k, v in c["by_reason"].items()
                )
                + "</p>"
            )
        rows = [
            [esc(x["file"]), esc(reason_label(x["category"], lang)), f"<code>{esc(x['reason'])}</code>"]
            for x in c["skipped"] + c["partly_read"] + c["walk_errors"]
        ][:500]
        if rows:
            parts.append(f"<details><summary>{esc(t('wf.cov.skipped', lang))} ({len(rows)})</summary>")
            parts.append(_table([t("wf.col.file", lang), t("wf.col.reason", lang), ""], rows) + "</details>")
        if c["plugins"]:
            parts.append(
                f"<details><summary>{esc(t('wf.cov.plugins', lang))}</summary><p><code>{esc('; '.join(c['plugins']))}</code></p></details>"
            )
    return "".join(parts)


def render(data: Any, lang: str) -> str:
    tt = data.totals
    body = [f"<h1>{esc(t('wf.report.title', lang))}</h1>"]
    body.append(f'<p class="meta">{esc(t("wf.report.generated", lang, when=data.generated, db=data.db))}</p>')
    filters = {k: v for k, v in data.filters.items() if v}
    if filters:
        body.append(
            f'<p class="meta">{esc(t("wf.report.filters", lang, filters=", ".join(f"{k}={v}" for k, v in filters.items())))}</p>'
        )
    body.append(f"<h2>{esc(t('wf.report.summary', lang))}</h2><div class='cards'>")
    for label, value, cls in (
        (t("wf.report.items", lang), tt["items"], ""),
        (t("wf.report.findings", lang), tt["findings"], ""),
        (t("wf.report.sensitive", lang), tt["sensitive_items"], "warn" if tt["sensitive_items"] else ""),
        (t("wf.report.open", lang), tt["open_items"], ""),
        (t("wf.report.handled", lang), tt["handled_items"], "ok"),
    ):
        body.append(f'<div class="card {cls}"><b>{value}</b>{esc(label)}</div>')
    if data.has_history:
        body.append(f'<div class="card"><b>{tt["new_items"]}</b>{esc(t("wf.report.new", lang))}</div>')
    body.append("</div>")
    if not data.items:
        body.append(f"<p>{esc(t('wf.report.nothing', lang))}</p>")
    else:
        body.append('<div class="grid">')
        body.append(
            bar_chart(
                t("wf.report.by_type", lang), [(type_label(k, lang), v) for k, v in data.by_type.items()]
            )
        )
        body.append(
            bar_chart(
                t("wf.report.by_folder", lang),
                [(r["folder"], r["findings"]) for r in data.by_folder],
                "#b3261e",
            )
        )
        body.append(
            bar_chart(
                t("wf.report.by_age", lang),
                [(t(f"wf.age.{k}", lang), v) for k, v in data.by_age.items()],
                "#6a4c93",
            )
        )
        body.append(
            bar_chart(
                t("wf.report.by_owner", lang), [(r["owner"], r["findings"]) for r in data.by_owner], "#2e7d32"
            )
        )
        body.append("</div>")
        body.append(f"<h2>{esc(t('wf.report.by_unit', lang))}</h2>")
        body.append(_agg_table(data.by_unit, "unit", t("wf.col.unit", lang), lang))
        body.append(f"<h2>{esc(t('wf.report.by_folder', lang))}</h2>")
        body.append(_agg_table(data.by_folder, "folder", t("wf.col.folder", lang), lang, limit=25))
        if data.has_history:
            body.append(f"<h2>{esc(t('wf.report.new', lang))} ({len(data.new_since_last)})</h2>")
            body.append(
                _table(
                    [t("wf.col.file", lang), t("wf.col.findings", lang)],
                    [[esc(i.display), esc(types_text(dict(i.types), lang))] for i in data.new_since_last],
                )
            )
        body.append(f"<h2>{esc(t('wf.report.details', lang))}</h2>")
        items = sorted(
            data.items, key=lambda i: (not i.sensitive, -sum(f.count for f in i.findings), i.display)
        )
        rows, classes = [], []
        for it in items:
            for f in it.findings:
                tag = "tag s" if f.type in SENSITIVE else "tag"
                rows.append(
                    [
                        esc(it.display),
                        esc(f.inner),
                        f'<span class="{tag}">{esc(type_label(f.type, lang))}</span>',
                        f"<code>{esc(f.masked)}</code>",
                        esc(f.location),
                        f.count,
                        esc(it.owner),
                        esc(it.mtime),
                        esc(status_label(f.status, lang)) + (f" ({esc(f.reason)})" if f.reason else ""),
                    ]
                )
                classes.append("sensitive" if it.sensitive else "")
        head = ["file", "item", "type", "value", "location", "count", "owner", "modified", "status"]
        body.append(_table([t(f"wf.col.{h}", lang) for h in head], rows, numeric={5}, classes=classes))
    body.append(f"<h2>{esc(t('wf.report.coverage', lang))}</h2>")
    body.append(coverage_html(data.coverage, lang))
    return page(t("wf.report.title", lang), "".join(body), lang)


class HtmlWriter(ReportWriter):
    name = "html"
    version = "1"
    formats = ("html",)
    description = {
        "nb": "Selvstendig HTML-rapport med diagrammer",
        "nn": "Sjølvstendig HTML-rapport med diagram",
        "en": "Self-contained HTML report with charts",
    }

    def write(self, data: Any, out: str, fmt: str, lang: str) -> list[str]:
        path = out if out.endswith(".html") else os.path.join(out, "rapport.html")
        with open_private(path, "w", encoding="utf-8") as fh:
            fh.write(render(data, lang))
        return [path]


@hookimpl
def pvscan_report_writers() -> list[ReportWriter]:
    return [HtmlWriter()]
