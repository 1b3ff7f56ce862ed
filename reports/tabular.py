"""Machine-readable reports for IT: CSV (one row per finding) and JSON (everything,
including the coverage record and the per-unit summary). Values are masked."""

from __future__ import annotations

import csv
import json
import os
from typing import Any

from pvscan import hookimpl
from pvscan.interfaces import ReportWriter
from pvscan.util.paths import open_private

CSV_COLUMNS = (
    "file",
    "item",
    "type",
    "value",
    "location",
    "count",
    "confidence",
    "owner",
    "unit",
    "kind",
    "modified",
    "first_seen",
    "status",
    "reason",
    "new",
)


def finding_rows(data: Any) -> list[dict[str, Any]]:
    rows = []
    for it in data.items:
        for f in it.findings:
            rows.append(
                {
                    "file": it.display,
                    "item": f.inner,
                    "type": f.type,
                    "value": f.masked,
                    "location": f.location,
                    "count": f.count,
                    "confidence": f.confidence,
                    "owner": it.owner,
                    "unit": it.unit,
                    "kind": it.kind,
                    "modified": it.mtime,
                    "first_seen": it.first_seen,
                    "status": f.status,
                    "reason": f.reason,
                    "new": int(it.new),
                }
            )
    return rows


class CsvJsonWriter(ReportWriter):
    name = "tabular"
    version = "1"
    formats = ("csv", "json")
    description = {"nb": "CSV og JSON for IT", "nn": "CSV og JSON for IT", "en": "CSV and JSON for IT"}

    def write(self, data: Any, out: str, fmt: str, lang: str) -> list[str]:
        path = out if out.endswith("." + fmt) else os.path.join(out, f"rapport.{fmt}")
        if fmt == "csv":
            with open_private(path, "w", encoding="utf-8-sig", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, delimiter=";")
                w.writeheader()
                w.writerows(finding_rows(data))
        else:
            doc = data.as_json()
            with open_private(path, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, ensure_ascii=False, indent=1, default=str)
        return [path]


@hookimpl
def pvscan_report_writers() -> list[ReportWriter]:
    return [CsvJsonWriter()]
