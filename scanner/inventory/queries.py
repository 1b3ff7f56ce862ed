"""The read queries the workflows and the coordinator's summary need, as named rows.

Each method is one question ("the live items", "what could not be read under these
roots", "the totals of these roots") so that a workflow never writes SQL and a second
database backend implements the same small set.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pvscan.inventory.keys import under_roots


class Queries:
    """Mixed into :class:`~pvscan.inventory.store.Inventory` (``self.db`` is its connection)."""

    db: Any
    readonly: bool

    # ---------------------------------------------------------------- scans
    def scan_rows(self) -> list[Any]:
        """Every scan, oldest first."""
        return list(self.db.execute("SELECT * FROM scans ORDER BY id"))

    def scanned_roots(self) -> list[str]:
        """Every root any scan has walked."""
        roots: set[str] = set()
        for r in self.db.execute("SELECT DISTINCT roots FROM scans"):
            roots.update(json.loads(r["roots"]))
        return sorted(roots)

    def changed_item_ids(self, scan_id: int) -> set[int]:
        """Items a scan found new or changed."""
        return {
            r["item_id"]
            for r in self.db.execute(
                "SELECT item_id FROM changes WHERE scan_id=? AND change IN ('new','changed')", (scan_id,)
            )
        }

    # ---------------------------------------------------------------- items and findings
    def item_row(self, item_id: int) -> Any:
        return self.db.execute("SELECT * FROM items WHERE id=?", (item_id,)).fetchone()

    def live_items(self) -> Iterator[Any]:
        """Every item not gone, by display name."""
        yield from self.db.execute("SELECT * FROM items WHERE status!='gone' ORDER BY display")

    def all_findings(self) -> Iterator[Any]:
        """Every finding, grouped by item (in item id order)."""
        yield from self.db.execute('SELECT * FROM findings ORDER BY item_id, "inner", id')

    def finding_inners(self, item_id: int, types: tuple[str, ...]) -> list[str]:
        """The inner items of one item that hold findings of ``types``."""
        marks = ",".join("?" * len(types))
        return [
            r["inner"]
            for r in self.db.execute(
                f'SELECT "inner" FROM findings WHERE item_id=? AND type IN ({marks})', (item_id, *types)
            )
        ]

    # ---------------------------------------------------------------- coverage
    def unscannable_under(self, roots: list[str]) -> list[Any]:
        """Items of these roots that could not be read: ``display``, ``reason``."""
        marks = ",".join("?" * len(roots))
        return list(
            self.db.execute(
                f"SELECT display, reason FROM items WHERE root IN ({marks}) AND status='unscannable' ORDER BY display",
                roots,
            )
        )

    def partly_read_under(self, roots: list[str]) -> list[Any]:
        """Parts of readable items that could not be read: ``display``, ``inner``,
        ``reason``, ``category``."""
        marks = ",".join("?" * len(roots))
        return list(
            self.db.execute(
                f"""SELECT i.display, p."inner", p.reason, p.category FROM problems p JOIN items i ON i.id=p.item_id
                    WHERE i.root IN ({marks}) AND i.status='ok' ORDER BY i.display""",
                roots,
            )
        )

    def skipped_under(self, roots: list[str]) -> list[Any]:
        """Items of these roots that are not documents and were not read on purpose
        (programs, media): ``display``, ``reason``."""
        marks = ",".join("?" * len(roots))
        return list(
            self.db.execute(
                f"SELECT display, reason FROM items WHERE root IN ({marks}) AND status='skipped' ORDER BY display",
                roots,
            )
        )

    # ---------------------------------------------------------------- totals
    def totals(self, roots: list[str]) -> dict[str, Any]:
        """Files, inner items, unscannable items, problems and findings per type over
        the live items under ``roots``.

        The totals cost a pass over every finding (hundreds of thousands on a real share);
        on a night where nothing changed they are the same as last time, so they are kept
        in ``meta`` with a cheap fingerprint of the tables and reused when it matches."""
        fp = list(
            self.db.execute(
                """SELECT (SELECT MAX(id) FROM findings), (SELECT COUNT(*) FROM findings),
                          (SELECT MAX(id) FROM problems), (SELECT COUNT(*) FROM problems),
                          (SELECT COUNT(*) FROM items), (SELECT COUNT(*) FROM changes)"""
            ).fetchone()
        )
        key = "counts:" + json.dumps(sorted(roots), ensure_ascii=False)
        cached = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        if cached is not None:
            saved = json.loads(cached["value"])
            if saved.get("fp") == fp:
                return {
                    k: saved.get(k, {})
                    for k in ("files", "items", "unscannable", "problems", "findings", "skipped")
                }
        under, args = under_roots(roots)
        i_under = under.replace("path", "i.path")
        row = self.db.execute(
            f"""SELECT COUNT(*) AS files, COALESCE(SUM(inner_items),0) AS inner_items,
                       COALESCE(SUM(CASE WHEN status='unscannable' THEN 1 ELSE 0 END),0) AS unscannable
                FROM items WHERE ({under}) AND status!='gone'""",
            args,
        ).fetchone()
        skipped: dict[str, int] = {}
        for r in self.db.execute(
            f"SELECT reason, COUNT(*) AS n FROM items WHERE ({under}) AND status='skipped' GROUP BY reason",
            args,
        ):
            category = (r["reason"] or "").split(":", 1)[0]
            skipped[category] = skipped.get(category, 0) + r["n"]
        problems = self.db.execute(
            f"""SELECT COUNT(*) AS n FROM problems p JOIN items i ON i.id=p.item_id
                WHERE ({i_under}) AND i.status!='gone'""",
            args,
        ).fetchone()["n"]
        findings = {
            r["type"]: r["n"]
            for r in self.db.execute(
                f"""SELECT f.type AS type, COUNT(*) AS n FROM findings f JOIN items i ON i.id=f.item_id
                    WHERE ({i_under}) AND i.status!='gone' GROUP BY f.type ORDER BY f.type""",
                args,
            )
        }
        out = {
            "files": row["files"],
            "items": row["files"] + row["inner_items"],
            "unscannable": row["unscannable"],
            "problems": problems,
            "findings": findings,
            "skipped": skipped,
        }
        if self.readonly:  # a reader computes; the next writer keeps the cache
            return out
        with self.transaction():  # type: ignore[attr-defined]
            self.db.execute(
                "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, json.dumps({"fp": fp, **out})),
            )
        return out
