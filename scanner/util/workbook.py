"""Workbook sheets as pvscan writes them: bold, coloured header row, frozen, filterable.
Shared by the XLSX report and the access request's overview workbook."""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")


def add_sheet(
    wb: Workbook, title: str, head: list[str], rows: list[list[Any]], widths: list[int] | None = None
) -> Any:
    ws = wb.create_sheet(title[:31])
    ws.append(head)
    for c in ws[1]:
        c.font, c.fill = BOLD, HEAD_FILL
    for r in rows:
        ws.append(r)
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(head))}{len(rows) + 1}"
    for i, w in enumerate(widths or [], start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    return ws
