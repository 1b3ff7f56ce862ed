"""The query layer report writers use: one :class:`ReportData` built from the inventory.

Writers (``pvscan.reports.*`` and third-party ones) get this object and only format it,
so every format shows the same numbers. Values are always the masked ones: the raw
``value`` column is never read here.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from pvscan.engine.manager import make_plugin_manager
from pvscan.interfaces import ReportWriter
from pvscan.inventory import Inventory
from pvscan.model import SENSITIVE
from pvscan.workflows.owners import owner_of
from pvscan.workflows.review import HANDLED, status_for

IDENTIFIERS = ("fodselsnummer", "kontonummer")
AGE_BUCKETS = ("lt1", "1to3", "3to5", "gt5")


@dataclass
class FindingEntry:
    type: str
    masked: str
    location: str
    inner: str
    confidence: str
    count: int
    hash: str
    status: str = "open"
    reason: str = ""


@dataclass
class ItemEntry:
    id: int
    display: str
    folder: str
    unit: str
    root: str
    owner: str
    file_owner: str
    kind: str
    size: int
    mtime: str
    age_years: float
    first_seen: str
    new: bool
    status: str
    findings: list[FindingEntry] = field(default_factory=list)

    @property
    def types(self) -> Counter[str]:
        c: Counter[str] = Counter()
        for f in self.findings:
            c[f.type] += f.count
        return c

    @property
    def sensitive(self) -> bool:
        return any(f.type in SENSITIVE for f in self.findings)


@dataclass
class ReportData:
    generated: str
    lang: str
    db: str
    filters: dict[str, Any]
    items: list[ItemEntry]
    scans: list[dict[str, Any]]
    coverage: list[dict[str, Any]]
    by_type: dict[str, int]
    by_folder: list[dict[str, Any]]
    by_age: dict[str, int]
    by_owner: list[dict[str, Any]]
    by_unit: list[dict[str, Any]]
    new_since_last: list[ItemEntry]
    has_history: bool
    totals: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["new_since_last"] = [i.display for i in self.new_since_last]
        return d


def age_bucket(years: float) -> str:
    if years < 1:
        return "lt1"
    if years < 3:
        return "1to3"
    if years < 5:
        return "3to5"
    return "gt5"


def _unit(display: str, root: str) -> str:
    """The first folder below the scanned root (a department's folder on a share)."""
    rel = display[len(root) :].lstrip("/") if root and display.startswith(root) else display
    parts = rel.split("/")
    return parts[0] if len(parts) > 1 else os.path.basename(root.rstrip("/")) or root


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9).strftime("%Y-%m-%d") if ns else ""


def build(
    db_path: str,
    owner: str | None = None,
    status: str | None = None,
    roots: list[str] | None = None,
    lang: str = "nb",
    only_findings: bool = True,
    item_ids: set[int] | None = None,
) -> ReportData:
    """Read the inventory at ``db_path`` into a :class:`ReportData`.

    ``owner`` keeps items belonging to that user (home folder/mailbox user or file
    owner), ``status`` keeps findings with that review status, ``roots`` keeps items
    under those scanned roots (a prefix match, so a sub-folder works too), ``item_ids``
    keeps only those items (the web app passes a person's routed items).
    """
    with Inventory(db_path, readonly=True) as inv:
        marks = inv.review_marks()
        scans = [dict(r) for r in inv.scan_rows()]
        started = {s["id"]: (s["started"] or "")[:10] for s in scans}
        done = [s for s in scans if s["status"] == "done"]
        last_id = done[-1]["id"] if done else None
        has_history = len(done) > 1
        new_ids: set[int] = set()
        if last_id is not None and has_history:
            new_ids = inv.changed_item_ids(last_id)
        findings: dict[int, list[Any]] = defaultdict(list)
        if item_ids is None:
            for r in inv.all_findings():
                findings[r["item_id"]].append(r)
            live = inv.live_items()
        else:
            # One person's items (the web app's checklist): read only those, not the
            # whole inventory.
            for i in sorted(item_ids):
                findings[i] = inv.findings_for(i)
            rows = [inv.item_row(i) for i in sorted(item_ids)]
            live = iter(
                sorted(
                    (r for r in rows if r is not None and r["status"] != "gone"), key=lambda r: r["display"]
                )
            )
        now = time.time()
        items: list[ItemEntry] = []
        for r in live:
            display, root = r["display"], r["root"]
            if roots and not any(
                display.startswith(x.rstrip("/") + "/") or display == x or root == x for x in roots
            ):
                continue
            if item_ids is not None and r["id"] not in item_ids:
                continue
            own = owner_of(display, root, r["owner"])
            if owner and own != owner:
                continue
            path = bytes(r["path"])
            entries = []
            for f in findings.get(r["id"], []):
                st, why = status_for(marks, path, f["hash"])
                if status and st != status:
                    continue
                entries.append(
                    FindingEntry(
                        f["type"],
                        f["masked"],
                        f["location"] or "",
                        f["inner"],
                        f["confidence"] or "",
                        f["count"] or 1,
                        f["hash"],
                        st,
                        why,
                    )
                )
            if only_findings and not entries:
                continue
            item_status = status_for(marks, path)[0]
            if item_status == "open" and entries and all(e.status != "open" for e in entries):
                item_status = Counter(e.status for e in entries).most_common(1)[0][0]
            mtime_ns = r["mtime_ns"] or 0
            items.append(
                ItemEntry(
                    id=r["id"],
                    display=display,
                    folder=os.path.dirname(display),
                    unit=_unit(display, root),
                    root=root,
                    owner=own,
                    file_owner=r["owner"] or "",
                    kind=r["kind"] or "",
                    size=r["size"] or 0,
                    mtime=_iso(mtime_ns),
                    age_years=max(0.0, (now - mtime_ns / 1e9) / (365.25 * 86400)),
                    first_seen=started.get(r["first_seen"], ""),
                    new=r["id"] in new_ids,
                    status=item_status,
                    findings=entries,
                )
            )
        coverage = _coverage(inv, done[-5:] if done else [], roots)
    by_type: Counter[str] = Counter()
    by_age: Counter[str] = Counter({b: 0 for b in AGE_BUCKETS})
    folders: dict[str, Counter[str]] = defaultdict(Counter)
    owners: dict[str, Counter[str]] = defaultdict(Counter)
    units: dict[str, Counter[str]] = defaultdict(Counter)
    for it in items:
        n = sum(f.count for f in it.findings)
        by_type.update(it.types)
        by_age[age_bucket(it.age_years)] += 1
        for agg, key in ((folders, it.folder), (owners, it.owner or "?"), (units, it.unit)):
            agg[key]["items"] += 1
            agg[key]["findings"] += n
            agg[key]["sensitive"] += int(it.sensitive)
            agg[key]["handled"] += int(it.status in HANDLED)
            agg[key]["new"] += int(it.new)

    def table(agg: dict[str, Counter[str]], label: str) -> list[dict[str, Any]]:
        rows = [
            {label: k, **{c: v[c] for c in ("items", "findings", "sensitive", "handled", "new")}}
            for k, v in agg.items()
        ]
        return sorted(rows, key=lambda x: (-x["sensitive"], -x["findings"], x[label]))

    totals = {
        "items": len(items),
        "findings": sum(by_type.values()),
        "sensitive_items": sum(1 for i in items if i.sensitive),
        "handled_items": sum(1 for i in items if i.status in HANDLED),
        "open_items": sum(1 for i in items if i.status == "open"),
        "new_items": sum(1 for i in items if i.new),
    }
    return ReportData(
        generated=datetime.now().astimezone().isoformat(timespec="seconds"),
        lang=lang,
        db=db_path,
        filters={"owner": owner, "status": status, "roots": roots},
        items=items,
        scans=[
            {k: s[k] for k in ("id", "roots", "started", "finished", "status", "files", "items", "findings")}
            for s in scans
        ],
        coverage=coverage,
        by_type=dict(by_type.most_common()),
        by_folder=table(folders, "folder"),
        by_age=dict(by_age),
        by_owner=table(owners, "owner"),
        by_unit=table(units, "unit"),
        new_since_last=[i for i in items if i.new],
        has_history=has_history,
        totals=totals,
    )


def _coverage(inv: Inventory, scans: list[dict[str, Any]], roots: list[str] | None) -> list[dict[str, Any]]:
    """What each recent scan read and what it could not, with reasons and detector
    versions: the record a municipality shows the supervisory authority."""
    out = []
    for s in scans:
        scan_roots = json.loads(s["roots"])
        if roots and not any(r.startswith(x) or x.startswith(r) for r in scan_roots for x in roots):
            continue
        skipped = [
            {
                "file": r["display"],
                "reason": r["reason"] or "",
                "category": (r["reason"] or "").split(":", 1)[0],
            }
            for r in inv.unscannable_under(scan_roots)
        ]
        parts = [
            {
                "file": r["display"] + (" / " + r["inner"] if r["inner"] else ""),
                "reason": r["reason"],
                "category": r["category"] or "",
            }
            for r in inv.partly_read_under(scan_roots)
        ]
        walk = [
            {"file": r["display"], "reason": r["reason"], "category": r["reason"].split(":", 1)[0]}
            for r in inv.walk_errors(s["id"])
        ]
        not_documents = inv.skipped_under(scan_roots)
        by_kind: Counter[str] = Counter((r["reason"] or "").split(":", 1)[0] for r in not_documents)
        media = [
            {"file": r["display"], "reason": r["reason"] or ""}
            for r in not_documents
            if (r["reason"] or "").startswith("media:")
        ]
        cats: Counter[str] = Counter(x["category"] for x in skipped + parts + walk)
        out.append(
            {
                "scan_id": s["id"],
                "roots": scan_roots,
                "started": s["started"],
                "finished": s["finished"],
                "host": s.get("host") or "",
                "user": s.get("user") or "",
                "files": s["files"] or 0,
                "items": s["items"] or 0,
                "unscannable": len(skipped),
                "skipped": skipped,
                "partly_read": parts,
                "walk_errors": walk,
                "not_documents": {"program": by_kind.get("program", 0), "media": by_kind.get("media", 0)},
                "media": media,
                "by_reason": dict(cats.most_common()),
                "plugins": json.loads(s["plugins"] or "[]"),
            }
        )
    return out


class InsideScannedTree(ValueError):
    """An output folder would land inside a scanned root (and be scanned next time)."""


def private_dir(out: str, db_path: str | None = None, allow_inside: bool = False) -> str:
    """Create ``out`` owner-only (0700) and refuse a folder inside a scanned root unless
    ``allow_inside``: case folders and reports hold personal data and must not be
    picked up by the next scan of a share, nor be readable by colleagues."""
    out = os.path.abspath(os.path.expanduser(out))
    if db_path and not allow_inside and os.path.exists(db_path):
        with Inventory(db_path, readonly=True) as inv:
            for r in inv.scanned_roots():
                if "://" not in r and (out == r or out.startswith(r.rstrip("/") + "/")):
                    raise InsideScannedTree(f"{out} is inside the scanned folder {r}; choose another folder")
    os.makedirs(out, mode=0o700, exist_ok=True)
    os.chmod(out, 0o700)
    return out


def report_writers(pm: Any = None) -> dict[str, ReportWriter]:
    """Format name -> the report writer plugin that writes it."""
    pm = pm or make_plugin_manager()
    return {f: w for group in pm.hook.pvscan_report_writers() for w in group or () for f in w.formats}
