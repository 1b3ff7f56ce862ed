"""Review status, ownership and false-positive exceptions.

Findings rows are rewritten on every re-scan of an item, so a review decision cannot
live on a findings row. It is keyed by what stays stable: the item's path (the same
``path`` key the inventory uses) and the keyed hash of the value (``''`` for a
decision about the whole item). Statuses:

``open``            not handled yet (the default; no row needed)
``false_positive``  not personal data; also becomes an *exception* later scans honour
``deleted``         deleted or moved to quarantine by ``pvscan delete``
``archived``        moved to the case archive (a structured system)
``kept``            kept on purpose, with a reason (legal hold, arkivlova)

An exception is a (hash, path) pair, or (hash, NULL) for "this value everywhere";
:func:`apply_exceptions` drops matching rows before the inventory stores them.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
from collections.abc import Iterable
from typing import Any

from .inventory import Inventory, now_iso, path_key

STATUSES = ("open", "false_positive", "deleted", "archived", "kept")
HANDLED = ("false_positive", "deleted", "archived", "kept")


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in a container
        return str(os.getuid())


def has_table(db: sqlite3.Connection, name: str) -> bool:
    return (
        db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone()
        is not None
    )


def apply_exceptions(
    db: sqlite3.Connection, item_path: bytes, rows: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Drop finding rows (as built by ``Inventory.store_result``; the hash is column 4)
    whose value is marked as a false positive for this item or everywhere."""
    if not rows:
        return rows
    # Almost every inventory has no exceptions: one cheap probe per item instead of a
    # look-up of every hash the item holds.
    try:
        if db.execute("SELECT 1 FROM exceptions LIMIT 1").fetchone() is None:
            return rows
    except sqlite3.OperationalError:  # an inventory from before the workflows (schema 1)
        return rows
    hashes = {r[4] for r in rows}
    marks = ",".join("?" * len(hashes))
    found = {
        h
        for (h,) in db.execute(
            f"SELECT hash FROM exceptions WHERE hash IN ({marks}) AND (path IS NULL OR path=?)",
            (*hashes, item_path),
        )
    }
    return [r for r in rows if r[4] not in found] if found else rows


# --------------------------------------------------------------------------- ownership
def owner_of(display: str, root: str, file_owner: str | None) -> str:
    """Who a finding belongs to: the user whose home folder or mailbox holds it, else
    the file owner. ``/home/kari/…`` and ``imaps://kari@host/…`` belong to kari."""
    if "://" in display:
        rest = display.split("://", 1)[1]
        if "@" in rest.split("/", 1)[0]:
            return rest.split("@", 1)[0]
        return file_owner or ""
    parts = display.split("/")
    for base in ("home", "Users"):
        if len(parts) > 2 and parts[1] == base and parts[2]:
            return parts[2]
    return file_owner or ""


# --------------------------------------------------------------------------- marks
def set_status(
    inv: Inventory,
    path: str,
    status: str,
    reason: str = "",
    value_hash: str = "",
    everywhere: bool = False,
    user: str | None = None,
) -> None:
    """Record a review decision for an item (``value_hash=''``) or one value in it.

    A ``false_positive`` for a value also adds an exception (for this file, or for
    every file with ``everywhere``) and removes the finding from the inventory now,
    so reports agree before the next scan.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
    if status == "kept" and not reason:
        raise ValueError("a keep mark needs a reason (e.g. 'arkivlova', 'rettstvist')")
    user = user or current_user()
    key = path_key(path)
    with inv.transaction() as db:
        db.execute(
            """INSERT INTO reviews(path, hash, status, reason, user, at) VALUES(?,?,?,?,?,?)
               ON CONFLICT(path, hash) DO UPDATE SET status=excluded.status, reason=excluded.reason,
               user=excluded.user, at=excluded.at""",
            (key, value_hash, status, reason, user, now_iso()),
        )
        if status == "false_positive" and value_hash:
            db.execute(
                "INSERT INTO exceptions(hash, path, reason, user, at) VALUES(?,?,?,?,?)",
                (value_hash, None if everywhere else key, reason, user, now_iso()),
            )
            if everywhere:
                db.execute("DELETE FROM findings WHERE hash=?", (value_hash,))
            else:
                db.execute(
                    "DELETE FROM findings WHERE hash=? AND item_id IN (SELECT id FROM items WHERE path=?)",
                    (value_hash, key),
                )


def statuses(db: sqlite3.Connection) -> dict[tuple[bytes, str], tuple[str, str]]:
    """All review decisions: (path, hash) -> (status, reason)."""
    if not has_table(db, "reviews"):
        return {}
    return {
        (bytes(r[0]), r[1]): (r[2], r[3] or "")
        for r in db.execute("SELECT path, hash, status, reason FROM reviews")
    }


def status_for(
    marks: dict[tuple[bytes, str], tuple[str, str]], path: bytes, value_hash: str = ""
) -> tuple[str, str]:
    """The status of a value in an item: its own mark, else the item's, else open."""
    return marks.get((path, value_hash)) or marks.get((path, "")) or ("open", "")


def exceptions(db: sqlite3.Connection) -> list[sqlite3.Row]:
    if not has_table(db, "exceptions"):
        return []
    return list(db.execute("SELECT * FROM exceptions ORDER BY id"))


def hashes_for(values: Iterable[str]) -> list[str]:
    from .find import normalise_identifier
    from .patterns import masking

    return [masking.keyed_hash(normalise_identifier(v)) for v in values]
