"""The SQL of the web app (:mod:`pvscan.web`) and the workflows behind it: owner routing,
the aggregates the leader and privacy-officer pages read, the web audit log,
access-request cases and e-mail digest marks.

Why a table of routed items instead of computing owners per request: the owner of an
item comes from configuration rules (home-folder roots, SID mappings, fallback
remediators) that SQL cannot evaluate, and an employee's page must be one indexed range
read (``owner``, then most sensitive and newest first) even with a million findings. The
routing is rebuilt from the inventory by :func:`pvscan.workflows.owners.route`; statuses
are not stored here for good but come from the review marks (which survive re-scans)
every time it is rebuilt.

Why aggregates: the leader and privacy-officer pages must not count a million findings
per request. ``owner_stats`` (one row per person), ``dim_stats`` (files per type, unit,
source) and ``owner_history`` (one row per person and day, for trends) are rebuilt with
the routing and adjusted in the same transaction as every status change.

Portable SQL only (the PostgreSQL backend runs the same statements through an adapter):
``?`` placeholders, columns read by name, ``COALESCE``, ``ON CONFLICT … DO UPDATE``,
dates computed by the caller.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from pvscan.inventory.schema import ROUTED_INDEXES

#: Routed-item columns written by :meth:`Views.replace_routing`, in order.
ROUTED_COLUMNS = (
    "item_id",
    "path",
    "display",
    "name",
    "root",
    "source",
    "owner",
    "unit",
    "via",
    "findings",
    "sensitive",
    "types",
    "mtime_ns",
    "first_scan",
    "first_day",
    "status",
    "status_at",
)

_OWNER_STATS_SELECT = """
SELECT owner, MAX(unit) AS unit,
       SUM(CASE WHEN status='open' THEN 1 ELSE 0 END) AS open_items,
       SUM(CASE WHEN status!='open' THEN 1 ELSE 0 END) AS handled_items,
       SUM(CASE WHEN status='open' AND sensitive=1 THEN 1 ELSE 0 END) AS sensitive_open,
       MIN(CASE WHEN status='open' THEN first_day END) AS oldest_open,
       SUM(CASE WHEN first_day>=? THEN 1 ELSE 0 END) AS new_recent,
       SUM(CASE WHEN first_day>=? AND status!='open' THEN 1 ELSE 0 END) AS new_recent_handled,
       ? AS at
FROM routed_items WHERE owner!='' {where} GROUP BY owner"""


class Views:
    """Mixed into :class:`~pvscan.inventory.store.Inventory` (``self.db`` is its connection)."""

    db: sqlite3.Connection

    # ---------------------------------------------------------------- routing input
    def routing_rows(self) -> Iterator[sqlite3.Row]:
        """Every live item holding findings, with what routing needs; also an item whose
        findings were all marked false positives (so its owner still sees it handled)."""
        yield from self.db.execute(
            """SELECT i.id, i.path, i.display, i.root, i.source, i.owner, i.uid, i.mtime_ns, i.first_seen
               FROM items i WHERE i.status!='gone'
               AND (EXISTS (SELECT 1 FROM findings f WHERE f.item_id=i.id)
                    OR EXISTS (SELECT 1 FROM reviews r WHERE r.path=i.path AND r.hash=''
                               AND r.status='false_positive'))
               ORDER BY i.id"""
        )

    def finding_type_counts(self, item_ids: Iterable[int] | None = None) -> Iterator[sqlite3.Row]:
        """``item_id``, ``type``, ``n`` (findings, counting repeats) for every item, or for ``item_ids``."""
        if item_ids is None:
            yield from self.db.execute(
                "SELECT item_id, type, SUM(COALESCE(count, 1)) AS n FROM findings GROUP BY item_id, type"
            )
            return
        for item_id in item_ids:
            yield from self.db.execute(
                "SELECT item_id, type, SUM(COALESCE(count, 1)) AS n FROM findings WHERE item_id=? GROUP BY item_id, type",
                (item_id,),
            )

    def item_statuses(self) -> dict[bytes, str]:
        """Item-level review status by path key (value-level marks are left out)."""
        return {
            bytes(r["path"]): r["status"]
            for r in self.db.execute("SELECT path, status FROM reviews WHERE hash=''")
        }

    def assignments(self) -> dict[bytes, str]:
        """Items the privacy officer handed to a person (path key -> user); routing
        honours them before every rule."""
        return {bytes(r["path"]): r["owner"] for r in self.db.execute("SELECT path, owner FROM assignments")}

    def assign(
        self, item_id: int, owner: str, unit: str, by: str, at: str, recent_day: str, today: str
    ) -> bool:
        """Hand one routed item to ``owner`` (kept across re-routing), in one transaction."""
        with self.transaction() as db:  # type: ignore[attr-defined]
            row = db.execute("SELECT path, owner FROM routed_items WHERE item_id=?", (item_id,)).fetchone()
            if row is None:
                return False
            db.execute(
                """INSERT INTO assignments(path, owner, assigned_by, at) VALUES(?,?,?,?)
                   ON CONFLICT(path) DO UPDATE SET owner=excluded.owner, assigned_by=excluded.assigned_by,
                   at=excluded.at""",
                (row["path"], owner, by, at),
            )
            db.execute(
                "UPDATE routed_items SET owner=?, unit=?, via='assigned' WHERE item_id=?",
                (owner, unit, item_id),
            )
            for who in {row["owner"], owner} - {""}:
                self._refresh_owner(db, who, recent_day, today, at)
            return True

    def last_scan_id(self) -> int:
        row = self.db.execute("SELECT MAX(id) AS id FROM scans").fetchone()
        return int(row["id"] or 0)

    # ---------------------------------------------------------------- routing output
    def replace_routing(
        self,
        rows: Iterable[tuple[Any, ...]],
        types: Iterable[tuple[int, str, int]],
        recent_day: str,
        today: str,
        at: str,
    ) -> None:
        """Replace the routed items (``ROUTED_COLUMNS`` tuples) and their type counts,
        then rebuild every aggregate, in one transaction."""
        cols = ", ".join(ROUTED_COLUMNS)
        marks = ", ".join("?" * len(ROUTED_COLUMNS))
        with self.transaction() as db:  # type: ignore[attr-defined]
            db.execute("DELETE FROM routed_items")
            db.execute("DELETE FROM routed_types")
            # Every row is replaced: building the indexes once afterwards is several
            # times faster than keeping four of them up to date row by row.
            for name in ROUTED_INDEXES:
                db.execute(f"DROP INDEX IF EXISTS {name}")
            db.executemany(f"INSERT INTO routed_items({cols}) VALUES({marks})", rows)
            db.executemany("INSERT INTO routed_types(item_id, type, n) VALUES(?,?,?)", types)
            for name, definition in ROUTED_INDEXES.items():
                db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")
            db.execute("DELETE FROM owner_stats")
            db.execute(
                "INSERT INTO owner_stats(owner, unit, open_items, handled_items, sensitive_open, oldest_open, "
                "new_recent, new_recent_handled, at)" + _OWNER_STATS_SELECT.format(where=""),
                (recent_day, recent_day, at),
            )
            db.execute(
                """INSERT INTO owner_history(day, owner, unit, open_items, handled_items)
                   SELECT ?, owner, unit, open_items, handled_items FROM owner_stats WHERE 1=1
                   ON CONFLICT(day, owner) DO UPDATE SET unit=excluded.unit, open_items=excluded.open_items,
                   handled_items=excluded.handled_items""",
                (today,),
            )
            db.execute("DELETE FROM dim_stats")
            for dim, sql in (
                ("unit", "SELECT unit AS key, {counts} FROM routed_items GROUP BY unit"),
                ("source", "SELECT source AS key, {counts} FROM routed_items GROUP BY source"),
                (
                    "sensitive_source",
                    "SELECT source AS key, {counts} FROM routed_items WHERE sensitive=1 GROUP BY source",
                ),
                (
                    "type",
                    "SELECT t.type AS key, {counts} FROM routed_types t JOIN routed_items r ON r.item_id=t.item_id GROUP BY t.type",
                ),
            ):
                counts = (
                    "SUM(CASE WHEN status='open' THEN 1 ELSE 0 END) AS o, "
                    "SUM(CASE WHEN status!='open' THEN 1 ELSE 0 END) AS h"
                )
                db.execute(
                    f"INSERT INTO dim_stats(dim, key, open_items, handled_items) SELECT ?, key, o, h FROM ({sql.format(counts=counts)}) s",
                    (dim,),
                )
            # The coverage record (what could not be read, and why) as an aggregate too: it
            # counts over every item and problem, too much for a page request.
            db.execute(
                """INSERT INTO dim_stats(dim, key, open_items, handled_items)
                   SELECT 'coverage', reason, SUM(n), 0 FROM (
                       SELECT COALESCE(reason, '?') AS reason, COUNT(*) AS n FROM items
                       WHERE status='unscannable' GROUP BY COALESCE(reason, '?')
                       UNION ALL SELECT COALESCE(category, reason) AS reason, COUNT(*) AS n FROM problems
                       GROUP BY COALESCE(category, reason)) c GROUP BY reason"""
            )

    def set_routed_status(
        self, item_id: int, status: str, at: str, recent_day: str, today: str
    ) -> str | None:
        """Set one routed item's status and adjust every aggregate in the same
        transaction; returns the previous status (``None``: no such item)."""
        with self.transaction() as db:  # type: ignore[attr-defined]
            row = db.execute(
                "SELECT owner, unit, source, sensitive, status FROM routed_items WHERE item_id=?", (item_id,)
            ).fetchone()
            if row is None:
                return None
            old = row["status"]
            db.execute("UPDATE routed_items SET status=?, status_at=? WHERE item_id=?", (status, at, item_id))
            was_open, is_open = old == "open", status == "open"
            if was_open != is_open:
                d_open = 1 if is_open else -1
                keys: list[tuple[str, str]] = [("unit", row["unit"]), ("source", row["source"])]
                if row["sensitive"]:
                    keys.append(("sensitive_source", row["source"]))
                keys += [
                    ("type", r["type"])
                    for r in db.execute("SELECT type FROM routed_types WHERE item_id=?", (item_id,))
                ]
                for dim, key in keys:
                    db.execute(
                        "UPDATE dim_stats SET open_items=open_items+?, handled_items=handled_items-? WHERE dim=? AND key=?",
                        (d_open, d_open, dim, key),
                    )
            if row["owner"]:
                self._refresh_owner(db, row["owner"], recent_day, today, at)
            return str(old)

    def _refresh_owner(
        self, db: sqlite3.Connection, owner: str, recent_day: str, today: str, at: str
    ) -> None:
        db.execute("DELETE FROM owner_stats WHERE owner=?", (owner,))
        db.execute(
            "INSERT INTO owner_stats(owner, unit, open_items, handled_items, sensitive_open, oldest_open, "
            "new_recent, new_recent_handled, at)" + _OWNER_STATS_SELECT.format(where="AND owner=?"),
            (recent_day, recent_day, at, owner),
        )
        db.execute(
            """INSERT INTO owner_history(day, owner, unit, open_items, handled_items)
               SELECT ?, owner, unit, open_items, handled_items FROM owner_stats WHERE owner=?
               ON CONFLICT(day, owner) DO UPDATE SET unit=excluded.unit, open_items=excluded.open_items,
               handled_items=excluded.handled_items""",
            (today, owner),
        )

    def update_routed_counts(
        self, item_id: int, findings: int, types: list[tuple[str, int]], type_list: str
    ) -> None:
        """After a value was marked a false positive: the item's remaining findings; a
        type the item no longer holds leaves the per-type aggregate."""
        with self.transaction() as db:  # type: ignore[attr-defined]
            row = db.execute("SELECT status FROM routed_items WHERE item_id=?", (item_id,)).fetchone()
            if row is None:
                return
            col = "open_items" if row["status"] == "open" else "handled_items"
            keep = {k for k, _n in types}
            for r in db.execute("SELECT type FROM routed_types WHERE item_id=?", (item_id,)).fetchall():
                if r["type"] not in keep:
                    db.execute(f"UPDATE dim_stats SET {col}={col}-1 WHERE dim='type' AND key=?", (r["type"],))
            db.execute(
                "UPDATE routed_items SET findings=?, types=? WHERE item_id=?", (findings, type_list, item_id)
            )
            db.execute("DELETE FROM routed_types WHERE item_id=?", (item_id,))
            db.executemany(
                "INSERT INTO routed_types(item_id, type, n) VALUES(?,?,?)",
                [(item_id, k, n) for k, n in types],
            )

    # ---------------------------------------------------------------- employee
    def _routed_filter(
        self, owner: str | None, status: str, type_: str, q: str, older_than_ns: int | None
    ) -> tuple[str, list[Any]]:
        conds: list[str] = []
        args: list[Any] = []
        if owner is not None:
            conds.append("owner=?")
            args.append(owner)
        if status == "open":
            conds.append("status='open'")
        elif status == "handled":
            conds.append("status!='open'")
        elif status and status != "all":
            conds.append("status=?")
            args.append(status)
        if type_:
            # Correlated, so it is a primary-key probe per item of this person, never a
            # list of every item of the organisation with that type.
            conds.append(
                "EXISTS (SELECT 1 FROM routed_types t WHERE t.item_id=routed_items.item_id AND t.type=?)"
            )
            args.append(type_)
        if q:
            conds.append("LOWER(display) LIKE ?")
            args.append("%" + q.lower().replace("%", "").replace("_", "") + "%")
        if older_than_ns is not None:
            conds.append("mtime_ns<?")
            args.append(older_than_ns)
        return " AND ".join(conds) or "1=1", args

    def routed_page(
        self,
        owner: str | None,
        status: str = "open",
        type_: str = "",
        q: str = "",
        older_than_ns: int | None = None,
        limit: int = 25,
        offset: int = 0,
    ) -> tuple[list[sqlite3.Row], int]:
        """One page of routed items (of ``owner``, or ``''`` for the undistributed ones),
        most sensitive and newest first, and the number matching in all."""
        where, args = self._routed_filter(owner, status, type_, q, older_than_ns)
        rows = list(
            self.db.execute(
                f"SELECT * FROM routed_items WHERE {where} ORDER BY sensitive DESC, mtime_ns DESC, item_id LIMIT ? OFFSET ?",
                (*args, limit, offset),
            )
        )
        total = self.db.execute(f"SELECT COUNT(*) AS n FROM routed_items WHERE {where}", args).fetchone()["n"]
        return rows, int(total)

    def routed_item(self, item_id: int) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM routed_items WHERE item_id=?", (item_id,)).fetchone()

    def routed_ids(self, owner: str) -> set[int]:
        return {
            r["item_id"] for r in self.db.execute("SELECT item_id FROM routed_items WHERE owner=?", (owner,))
        }

    def routed_types_of(self, owner: str) -> list[str]:
        """The finding types among ``owner``'s items (for the filter list)."""
        return [
            r["type"]
            for r in self.db.execute(
                """SELECT DISTINCT t.type FROM routed_types t JOIN routed_items r ON r.item_id=t.item_id
                   WHERE r.owner=? ORDER BY t.type""",
                (owner,),
            )
        ]

    def item_findings(self, item_id: int) -> list[sqlite3.Row]:
        """An item's findings as a page may show them: masked value and keyed hash, never ``value``."""
        return list(
            self.db.execute(
                """SELECT id, "inner", type, masked, hash, location, confidence, COALESCE(count, 1) AS count
                   FROM findings WHERE item_id=? ORDER BY "inner", id""",
                (item_id,),
            )
        )

    def finding_samples(self, item_ids: list[int], per_item: int = 3) -> dict[int, list[sqlite3.Row]]:
        """The first few findings (masked value, type, location) of each of ``item_ids``
        (one page of the employee's list), for a short masked context per file."""
        out: dict[int, list[sqlite3.Row]] = {i: [] for i in item_ids}
        if not item_ids:
            return out
        marks = ",".join("?" * len(item_ids))
        for r in self.db.execute(
            f"""SELECT item_id, type, masked, location, "inner" FROM findings
                WHERE item_id IN ({marks}) ORDER BY item_id, id""",
            item_ids,
        ):
            if len(out[r["item_id"]]) < per_item:
                out[r["item_id"]].append(r)
        return out

    # ---------------------------------------------------------------- leader and privacy officer
    def owner_stats_rows(self, units: list[str] | None) -> list[sqlite3.Row]:
        """Per person: open and handled items, oldest open, recent; for ``units`` (None: all)."""
        if units is None:
            return list(self.db.execute("SELECT * FROM owner_stats ORDER BY unit, owner"))
        if not units:
            return []
        marks = ",".join("?" * len(units))
        return list(
            self.db.execute(f"SELECT * FROM owner_stats WHERE unit IN ({marks}) ORDER BY unit, owner", units)
        )

    def history(self, units: list[str] | None, since_day: str) -> list[sqlite3.Row]:
        """Open and handled items per day since ``since_day``, summed over ``units`` (None: all)."""
        if units is not None and not units:
            return []
        cond, args = "day>=?", [since_day]
        if units is not None:
            cond += f" AND unit IN ({','.join('?' * len(units))})"
            args += units
        return list(
            self.db.execute(
                f"""SELECT day, SUM(open_items) AS open_items, SUM(handled_items) AS handled_items
                    FROM owner_history WHERE {cond} GROUP BY day ORDER BY day""",
                args,
            )
        )

    def dim_stats_rows(self, dim: str) -> list[sqlite3.Row]:
        return list(
            self.db.execute(
                "SELECT key, open_items, handled_items FROM dim_stats WHERE dim=? ORDER BY open_items DESC, key",
                (dim,),
            )
        )

    def overdue_count(self, root: str | None, unit: str | None, older_than_ns: int) -> int:
        """Open items under ``root`` (or of ``unit``) last changed before ``older_than_ns``."""
        if root is not None:
            sql, args = "root=?", [root]
        elif unit is not None:
            sql, args = "unit=?", [unit]
        else:
            sql, args = "1=1", []
        row = self.db.execute(
            f"SELECT COUNT(*) AS n FROM routed_items WHERE {sql} AND status='open' AND mtime_ns<?",
            (*args, older_than_ns),
        ).fetchone()
        return int(row["n"])

    # ---------------------------------------------------------------- audit log
    def audit(self, at: str, actor: str, action: str, target: str = "", detail: str = "") -> None:
        """Append one record of who viewed or changed what (never a raw identifier)."""
        with self.transaction() as db:  # type: ignore[attr-defined]
            db.execute(
                "INSERT INTO web_audit(at, actor, action, target, detail) VALUES(?,?,?,?,?)",
                (at, actor, action, target, detail),
            )

    def audit_rows(self, limit: int = 50, offset: int = 0) -> tuple[list[sqlite3.Row], int]:
        rows = list(
            self.db.execute("SELECT * FROM web_audit ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset))
        )
        total = self.db.execute("SELECT COUNT(*) AS n FROM web_audit").fetchone()["n"]
        return rows, int(total)

    # ---------------------------------------------------------------- access-request cases
    def add_case(self, opened_by: str, at: str, masked: str, hashes: str, folder: str, hits: int) -> int:
        with self.transaction() as db:  # type: ignore[attr-defined]
            row = db.execute(
                "INSERT INTO access_cases(opened_by, at, masked, hashes, folder, hits) VALUES(?,?,?,?,?,?) RETURNING id",
                (opened_by, at, masked, hashes, folder, hits),
            ).fetchone()
            return int(row["id"])

    def case_row(self, case_id: int) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM access_cases WHERE id=?", (case_id,)).fetchone()

    def case_rows(self, limit: int = 20) -> list[sqlite3.Row]:
        return list(self.db.execute("SELECT * FROM access_cases ORDER BY id DESC LIMIT ?", (limit,)))

    # ---------------------------------------------------------------- digests
    def digest_mark(self, owner: str) -> int:
        row = self.db.execute("SELECT last_scan FROM digests WHERE owner=?", (owner,)).fetchone()
        return int(row["last_scan"]) if row else 0

    def set_digest_mark(self, owner: str, last_scan: int, at: str) -> None:
        with self.transaction() as db:  # type: ignore[attr-defined]
            db.execute(
                """INSERT INTO digests(owner, last_scan, at) VALUES(?,?,?)
                   ON CONFLICT(owner) DO UPDATE SET last_scan=excluded.last_scan, at=excluded.at""",
                (owner, last_scan, at),
            )

    def owners_with_open(self) -> list[str]:
        return [
            r["owner"]
            for r in self.db.execute(
                "SELECT DISTINCT owner FROM routed_items WHERE owner!='' AND status='open' ORDER BY owner"
            )
        ]

    def new_open_since(self, owner: str, after_scan: int) -> list[sqlite3.Row]:
        """``owner``'s open items first found by a scan after ``after_scan``."""
        return list(
            self.db.execute(
                """SELECT * FROM routed_items WHERE owner=? AND status='open' AND first_scan>?
                   ORDER BY sensitive DESC, mtime_ns DESC""",
                (owner, after_scan),
            )
        )
