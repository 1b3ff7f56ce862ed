"""The SQLite backend: one file, the embedded default for one machine.

What differs between the backends is kept to this module and its PostgreSQL twin
(:mod:`pvscan.inventory.postgres`): opening (file modes, pragmas), running the numbered
migrations, the private "seen" set and the scan lock. Every other statement of the
inventory is written once in the SQL both understand.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from typing import Any

from pvscan.inventory.keys import ScanLocked
from pvscan.inventory.schema import MIGRATIONS, SCHEMA_VERSION
from pvscan.util.paths import create_private

#: What a broken or unreachable database raises, for callers that report it.
ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error,)


class SqliteBackend:
    name = "sqlite"

    def __init__(self, path: str):
        self.path = path

    def connect(self, readonly: bool) -> sqlite3.Connection:
        if not readonly and not os.path.exists(self.path):
            parent = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(parent, exist_ok=True)
            create_private(self.path)
        if readonly:
            if not os.path.exists(self.path):
                raise FileNotFoundError(f"no inventory at {self.path}: run `pvscan scan` first")
            uri = "file:" + os.path.abspath(self.path) + "?mode=ro"
            db = sqlite3.connect(uri, uri=True, timeout=30)
        else:
            db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys=ON")
        if not readonly:
            old_umask = os.umask(0o077)  # WAL and SHM files are created owner-only too
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                self.migrate(db)
            finally:
                os.umask(old_umask)
        return db

    def migrate(self, db: sqlite3.Connection) -> None:
        try:
            row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.OperationalError:  # a new database: no meta table yet
            row = None
        if row is not None and int(row[0]) == SCHEMA_VERSION:
            # Up to date: no schema script and no write on every open (a nightly re-scan
            # of an unchanged share is mostly fixed costs like this). Only the hash index
            # a first scan builds at its end (``bulk_load``) may be missing after a kill.
            db.execute("CREATE INDEX IF NOT EXISTS findings_hash ON findings(hash)")
            return
        db.executescript(MIGRATIONS[1])
        row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        current = int(row[0]) if row else 0
        for version in sorted(v for v in MIGRATIONS if v > max(current, 1)):
            db.executescript(MIGRATIONS[version])
        db.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?)", (str(SCHEMA_VERSION),)
        )
        db.commit()

    def has_table(self, db: sqlite3.Connection, name: str) -> bool:
        return (
            db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone()
            is not None
        )

    def begin_seen(self, db: sqlite3.Connection) -> None:
        # A TEMP table lives outside the WAL (no fsync, nothing for readers to see).
        db.execute("CREATE TEMP TABLE IF NOT EXISTS seen(id INTEGER PRIMARY KEY)")
        db.execute("DELETE FROM temp.seen")

    def add_seen(self, db: sqlite3.Connection, ids: list[int]) -> None:
        """One statement per chunk (a JSON array unpacked by SQLite), a few times
        cheaper than one ``INSERT`` per id."""
        try:
            db.execute(
                "INSERT OR IGNORE INTO temp.seen(id) SELECT value FROM json_each(?)", (json.dumps(ids),)
            )
        except sqlite3.OperationalError:  # an SQLite built without JSON support
            db.executemany("INSERT OR IGNORE INTO temp.seen(id) VALUES(?)", [(i,) for i in ids])

    def plain_rows(self, db: sqlite3.Connection, sql: str, args: Any) -> list[tuple[Any, ...]]:
        """Rows as plain tuples (a re-scan's hot path: no named-row objects)."""
        cur = db.cursor()
        cur.row_factory = None
        try:
            return cur.execute(sql, args).fetchall()
        finally:
            cur.close()

    def lock(self) -> SqliteLock:
        return SqliteLock(self.path)


class SqliteLock:
    """An exclusive lock next to the inventory (``<db>.lock``), held for the scan.

    ``flock`` is released by the kernel when the process dies, so a scan killed with
    ``kill -9`` never leaves a stale lock behind.
    """

    def __init__(self, db_path: str):
        self.path = db_path + ".lock"
        self.fd: int | None = None

    def acquire(self) -> list[int]:
        """Take the lock; returns the descriptors a forked worker must close."""
        # The lock is taken before the inventory exists: create its folder (owner-only).
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), mode=0o700, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = ""
            try:
                holder = os.read(self.fd, 100).decode(errors="replace").strip()
            except OSError:
                pass
            os.close(self.fd)
            self.fd = None
            raise ScanLocked(
                f"another pvscan scan is using {self.path[:-5]}" + (f" (pid {holder})" if holder else "")
            ) from None
        os.ftruncate(self.fd, 0)
        os.write(self.fd, str(os.getpid()).encode())
        return [self.fd]

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
