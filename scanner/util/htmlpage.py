"""The page shell of every HTML pvscan writes (reports, access-request overviews,
deletion plans, the checklist): escaping, inline CSS, a language tag.

Everything is inline: a page is one file that opens offline and can be mailed to the
privacy officer as it is, with no external assets to leak or break.
"""

from __future__ import annotations

import html

CSS = """
:root{--ink:#1d2733;--muted:#5b6776;--line:#d8dee6;--accent:#1f5fa8;--warn:#b3261e;--ok:#2e7d32;--bg:#f6f8fa}
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);margin:0;background:#fff}
main{max-width:1100px;margin:0 auto;padding:24px}h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.2em;margin:1.6em 0 .5em;border-bottom:2px solid var(--line);padding-bottom:4px}
.meta{color:var(--muted);font-size:.9em}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:150px}.card b{display:block;font-size:1.5em}
.card.warn b{color:var(--warn)}.card.ok b{color:var(--ok)}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:.92em}th,td{border:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
th{background:var(--bg)}td.n{text-align:right;font-variant-numeric:tabular-nums}tr.sensitive td:first-child{border-left:4px solid var(--warn)}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}.chart{border:1px solid var(--line);border-radius:8px;padding:8px}
.chart h3{font-size:1em;margin:0 0 6px}.tag{display:inline-block;border-radius:4px;padding:0 5px;font-size:.85em;background:#e8eef6}.tag.s{background:#fde7e5;color:var(--warn)}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:8px 12px;margin:10px 0}.fill{min-height:3em}code{font-size:.9em}
@media print{main{max-width:none;padding:0}.chart{break-inside:avoid}h2{break-after:avoid}a{color:inherit}}
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def page(title: str, body: str, lang: str) -> str:
    code = {"nb": "nb", "nn": "nn", "en": "en"}.get(lang, "nb")
    return (
        f'<!DOCTYPE html>\n<html lang="{code}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>{body}</main></body></html>\n"
    )
