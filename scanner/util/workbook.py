"""Workbook sheets as pvscan writes them: bold, coloured header row, frozen, filterable.
Shared by the XLSX report and the access request's overview workbook."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl import Workbook


def add_sheet(
    wb: Workbook, title: str, head: list[str], rows: list[list[Any]], widths: list[int] | None = None
) -> Any:
    # Deferred: openpyxl (13 MB resident, 0.3 s) loads only when a workbook is written;
    # imported with the commands by every scan, it was carried by each forked worker.
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title[:31])
    ws.append(head)
    for c in ws[1]:
        c.font, c.fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    for r in rows:
        ws.append(r)
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(head))}{len(rows) + 1}"
    for i, w in enumerate(widths or [], start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    return ws
