"""Shared pieces of the built-in report writers: labels and inline SVG charts (the page
shell itself is :mod:`pvscan.util.htmlpage`, shared with the workflows' pages)."""

from __future__ import annotations

from collections.abc import Iterable

from pvscan.model import SENSITIVE
from pvscan.util.htmlpage import esc, page
from pvscan.util.i18n import t, type_name

__all__ = [
    "SENSITIVE",
    "bar_chart",
    "esc",
    "page",
    "reason_label",
    "status_label",
    "type_label",
    "types_text",
]


def bar_chart(title: str, rows: Iterable[tuple[str, int]], color: str = "#1f5fa8", max_rows: int = 12) -> str:
    """A horizontal bar chart as inline SVG (no script, prints well)."""
    data = [(str(k), int(v)) for k, v in rows][:max_rows]
    if not data:
        return ""
    top = max(v for _, v in data) or 1
    bar_h, gap, label_w, width = 18, 6, 190, 520
    height = len(data) * (bar_h + gap) + gap
    parts = [
        f'<svg role="img" aria-label="{esc(title)}" viewBox="0 0 {width} {height}" width="{width}" style="max-width:100%;height:auto" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="12" font-family="system-ui,Arial,sans-serif">'
    ]
    for i, (label, v) in enumerate(data):
        y = gap + i * (bar_h + gap)
        w = max(2, int((width - label_w - 60) * v / top))
        short = label if len(label) <= 30 else "…" + label[-29:]
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end"><title>{esc(label)}</title>{esc(short)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" rx="3" fill="{color}"/>'
            f'<text x="{label_w + w + 4}" y="{y + 13}">{v}</text>'
        )
    parts.append("</svg>")
    return f'<div class="chart"><h3>{esc(title)}</h3>{"".join(parts)}</div>'


def type_label(type_: str, lang: str) -> str:
    return type_name(type_, lang)


def status_label(status: str, lang: str) -> str:
    return t(f"wf.status.{status}", lang)


def reason_label(category: str, lang: str) -> str:
    text = t(f"wf.reason.{category}", lang)
    return category if text == f"wf.reason.{category}" else text


def types_text(counts: dict[str, int], lang: str) -> str:
    return ", ".join(f"{type_label(k, lang)} ({v})" for k, v in counts.items())
