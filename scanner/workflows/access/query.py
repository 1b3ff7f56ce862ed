"""The access request's query: the requester's items from the inventory, where each
holds the person's identifiers and what else it holds."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from pvscan.identity import masking
from pvscan.inventory import Inventory
from pvscan.workflows.find import normalise_identifier
from pvscan.workflows.reportdata import IDENTIFIERS


@dataclass
class AccessItem:
    display: str
    path: bytes
    source: str
    kind: str
    owner: str
    mtime: str
    first_seen: str
    locations: list[tuple[str, str, str]] = field(default_factory=list)  # (inner, location, type)
    other_types: Counter[str] = field(default_factory=Counter)
    other_ids: int = 0
    copy: str = ""
    copy_note: str = ""
    residual: int = 0


@dataclass
class AccessResult:
    out: str
    items: list[AccessItem]
    files: list[str]
    masked_ids: list[str]

    @property
    def copies(self) -> int:
        return sum(1 for i in self.items if i.copy)

    @property
    def manual(self) -> int:
        return sum(1 for i in self.items if i.copy_note and not i.copy)


def _date(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9).strftime("%Y-%m-%d") if ns else ""


def collect(db_path: str, identifiers: list[str]) -> tuple[list[AccessItem], set[str]]:
    """The requester's items from the inventory, with the other data in each."""
    mine = {masking.keyed_hash(normalise_identifier(x)) for x in identifiers}
    with Inventory(db_path, readonly=True) as inv:
        started = {r["id"]: (r["started"] or "")[:10] for r in inv.scan_rows()}
        rows = inv.find_by_hash(sorted(mine))
        by_item: dict[int, AccessItem] = {}
        for r in rows:
            it = by_item.get(r["item_id"])
            if it is None:
                meta = inv.item_row(r["item_id"])
                it = by_item[r["item_id"]] = AccessItem(
                    r["display"],
                    bytes(r["path"]),
                    meta["source"],
                    r["kind"] or "",
                    r["owner"] or "",
                    _date(r["mtime_ns"] or 0),
                    started.get(meta["first_seen"], ""),
                )
            loc = (r["inner"], r["location"] or "", r["type"])
            if loc not in it.locations:
                it.locations.append(loc)
        for item_id, it in by_item.items():
            others: set[str] = set()
            for f in inv.findings_for(item_id):
                if f["hash"] in mine:
                    continue
                if f["type"] in IDENTIFIERS:
                    others.add(f["hash"])
                else:
                    it.other_types[f["type"]] += f["count"] or 1
            it.other_ids = len(others)
    return sorted(by_item.values(), key=lambda i: i.display), mine
