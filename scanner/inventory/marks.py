"""Review marks, false-positive exceptions and keep marks: the SQL of the decisions
people make about findings.

Findings rows are rewritten on every re-scan of an item, so a decision is keyed by what
stays stable: the item's path key and the keyed hash of the value (``''`` for the whole
item). An exception is a (hash, path) pair, or (hash, NULL) for "this value
everywhere"; :meth:`Marks.apply_exceptions` drops matching rows before they are stored.
"""

from __future__ import annotations

from typing import Any


class Marks:
    """Mixed into :class:`~pvscan.inventory.store.Inventory` (``self.db`` is its connection)."""

    db: Any
    _no_exceptions: bool

    def has_table(self, name: str) -> bool:
        raise NotImplementedError  # the backend's question: see Inventory.has_table

    def apply_exceptions(self, item_path: bytes, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Drop finding rows (as built by ``store_result``; the hash is column 4) whose
        value is marked as a false positive for this item or everywhere."""
        if not rows:
            return rows
        # Almost every inventory has no exceptions: one cheap probe per batch (until the
        # next commit) instead of a look-up of every hash each item holds.
        if self._no_exceptions:
            return rows
        if self.db.execute("SELECT 1 FROM exceptions LIMIT 1").fetchone() is None:
            self._no_exceptions = True
            return rows
        hashes = {r[4] for r in rows}
        marks = ",".join("?" * len(hashes))
        found = {
            r["hash"]
            for r in self.db.execute(
                f"SELECT hash FROM exceptions WHERE hash IN ({marks}) AND (path IS NULL OR path=?)",
                (*hashes, item_path),
            )
        }
        return [r for r in rows if r[4] not in found] if found else rows

    def set_review(
        self,
        key: bytes,
        value_hash: str,
        status: str,
        reason: str,
        user: str,
        at: str,
        exception: bool = False,
        everywhere: bool = False,
    ) -> None:
        """Record one decision; with ``exception``, also add the false-positive exception
        (for this path, or ``everywhere``) and drop the matching findings now, so reports
        agree before the next scan. One transaction."""
        with self.transaction() as db:  # type: ignore[attr-defined]
            db.execute(
                """INSERT INTO reviews(path, hash, status, reason, "user", at) VALUES(?,?,?,?,?,?)
                   ON CONFLICT(path, hash) DO UPDATE SET status=excluded.status, reason=excluded.reason,
                   "user"=excluded."user", at=excluded.at""",
                (key, value_hash, status, reason, user, at),
            )
            if not exception:
                return
            db.execute(
                'INSERT INTO exceptions(hash, path, reason, "user", at) VALUES(?,?,?,?,?)',
                (value_hash, None if everywhere else key, reason, user, at),
            )
            if everywhere:
                db.execute("DELETE FROM findings WHERE hash=?", (value_hash,))
            else:
                db.execute(
                    "DELETE FROM findings WHERE hash=? AND item_id IN (SELECT id FROM items WHERE path=?)",
                    (value_hash, key),
                )

    def review_marks(self) -> dict[tuple[bytes, str], tuple[str, str]]:
        """All review decisions: (path key, hash) -> (status, reason)."""
        if not self.has_table("reviews"):
            return {}
        return {
            (bytes(r["path"]), r["hash"]): (r["status"], r["reason"] or "")
            for r in self.db.execute("SELECT path, hash, status, reason FROM reviews")
        }

    def exception_rows(self) -> list[Any]:
        if not self.has_table("exceptions"):
            return []
        return list(self.db.execute("SELECT * FROM exceptions ORDER BY id"))

    def set_keep_mark(self, key: bytes, reason: str, user: str, at: str, until: str | None) -> None:
        with self.transaction() as db:  # type: ignore[attr-defined]
            db.execute(
                """INSERT INTO keep_marks(path, reason, "user", at, until) VALUES(?,?,?,?,?)
                   ON CONFLICT(path) DO UPDATE SET reason=excluded.reason, "user"=excluded."user", at=excluded.at,
                   until=excluded.until""",
                (key, reason, user, at, until),
            )

    def remove_keep_mark(self, key: bytes) -> bool:
        with self.transaction() as db:  # type: ignore[attr-defined]
            return db.execute("DELETE FROM keep_marks WHERE path=?", (key,)).rowcount > 0

    def keep_mark_rows(self) -> list[Any]:
        """Every keep mark: ``path`` (key), ``reason``, ``until``."""
        return list(self.db.execute("SELECT path, reason, until FROM keep_marks"))
