"""The XLSX report for caseworkers: a summary sheet, every finding (filterable, frozen
header), per folder, per unit, and the coverage record."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from pvscan import hookimpl
from pvscan.interfaces import ReportWriter
from pvscan.util.i18n import t
from pvscan.util.paths import create_private
from pvscan.util.workbook import add_sheet

from ._common import reason_label, status_label, type_label

if TYPE_CHECKING:
    from openpyxl import Workbook


def build_workbook(data: Any, lang: str) -> Workbook:
    # Deferred: openpyxl loads only when a report is written (see pvscan.util.workbook).
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = t("wf.report.summary", lang)[:31]
    ws.append([t("wf.report.title", lang)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([t("wf.report.generated", lang, when=data.generated, db=data.db)])
    tt = data.totals
    for label, v in (
        (t("wf.report.items", lang), tt["items"]),
        (t("wf.report.findings", lang), tt["findings"]),
        (t("wf.report.sensitive", lang), tt["sensitive_items"]),
        (t("wf.report.open", lang), tt["open_items"]),
        (t("wf.report.handled", lang), tt["handled_items"]),
    ):
        ws.append([label, v])
    ws.append([])
    ws.append([t("wf.report.by_type", lang)])
    for k, v in data.by_type.items():
        ws.append([type_label(k, lang), v])
    ws.column_dimensions["A"].width = 50
    cols = [
        "file",
        "item",
        "type",
        "value",
        "location",
        "count",
        "owner",
        "unit",
        "modified",
        "first_seen",
        "status",
        "reason",
    ]
    rows = []
    for it in data.items:
        for f in it.findings:
            rows.append(
                [
                    it.display,
                    f.inner,
                    type_label(f.type, lang),
                    f.masked,
                    f.location,
                    f.count,
                    it.owner,
                    it.unit,
                    it.mtime,
                    it.first_seen,
                    status_label(f.status, lang),
                    f.reason,
                ]
            )
    add_sheet(
        wb,
        t("wf.report.findings", lang),
        [t(f"wf.col.{c}", lang) for c in cols],
        rows,
        [60, 25, 20, 18, 18, 8, 14, 18, 12, 12, 16, 20],
    )
    agg = ["items", "findings", "sensitive", "handled", "new"]
    add_sheet(
        wb,
        t("wf.col.folder", lang),
        [t("wf.col.folder", lang)] + [t(f"wf.col.{c}", lang) for c in agg],
        [[r["folder"]] + [r[c] for c in agg] for r in data.by_folder],
        [60],
    )
    add_sheet(
        wb,
        t("wf.col.unit", lang),
        [t("wf.col.unit", lang)] + [t(f"wf.col.{c}", lang) for c in agg],
        [[r["unit"]] + [r[c] for c in agg] for r in data.by_unit],
        [30],
    )
    cov = []
    for c in data.coverage:
        for x in c["skipped"] + c["partly_read"] + c["walk_errors"]:
            cov.append([c["scan_id"], x["file"], reason_label(x["category"], lang), x["reason"]])
    add_sheet(
        wb,
        t("wf.cov.skipped", lang),
        ["#", t("wf.col.file", lang), t("wf.col.reason", lang), ""],
        cov,
        [6, 60, 25, 60],
    )
    return wb


class XlsxWriter(ReportWriter):
    name = "xlsx"
    version = "1"
    formats = ("xlsx",)
    description = {
        "nb": "Regneark for saksbehandlere",
        "nn": "Rekneark for saksbehandlarar",
        "en": "Spreadsheet for caseworkers",
    }

    def write(self, data: Any, out: str, fmt: str, lang: str) -> list[str]:
        path = out if out.endswith(".xlsx") else os.path.join(out, "rapport.xlsx")
        create_private(path)
        build_workbook(data, lang).save(path)
        return [path]


@hookimpl
def pvscan_report_writers() -> list[ReportWriter]:
    return [XlsxWriter()]
