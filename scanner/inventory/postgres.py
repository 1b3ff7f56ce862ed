"""The PostgreSQL backend: one inventory for an organisation, read by many while a
scan writes to it (``--db postgresql://user@host/dbname``).

psycopg 3 directly, without SQLAlchemy: the inventory's statements are already written
once in the SQL both databases understand (quoted reserved words, ``ON CONFLICT``
upserts, ``RETURNING id``), so what is left to adapt is small and lives here: the
placeholder style (``?`` becomes ``%s``), rows that answer to both a column's name and
its position (as ``sqlite3.Row`` does, which the workflows rely on), the migrations run
under an advisory lock (two processes opening a new database at once must not both
create it), the private "seen" set as a temporary table, and the scan lock as a
session-level advisory lock (released by the server when the coordinator's connection
dies, as ``flock`` is by the kernel).

Passwords are never part of what pvscan prints: give them through ``~/.pgpass``,
``PGPASSWORD`` or a ``PGSERVICEFILE`` service, or in the URL (then only shown masked).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg.adapt import Loader

from pvscan.inventory.keys import ScanLocked, display_target
from pvscan.inventory.schema import PG_MIGRATIONS, SCHEMA_VERSION

#: Advisory lock keys (any two constants; they only need to be pvscan's own).
_MIGRATE_KEY = 0x70767363_616E0001
_SCAN_KEY = 0x70767363_616E0002

ERRORS: tuple[type[BaseException], ...] = (psycopg.Error,)


@functools.lru_cache(maxsize=512)
def _to_pg(sql: str) -> str:
    """``?`` placeholders to psycopg's ``%s`` (and a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class Row(tuple):  # type: ignore[type-arg]
    """A result row by position and by column name, like ``sqlite3.Row``."""

    __slots__ = ()
    _index: dict[str, int] = {}

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


@functools.lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> type[Row]:
    return type("Row", (Row,), {"__slots__": (), "_index": {n: i for i, n in enumerate(names)}})


def _named_rows(cursor: Any) -> Any:
    desc = cursor.description
    if desc is None:
        return tuple
    cls = _row_class(tuple(d.name for d in desc))
    return cls


class _NumericLoader(Loader):
    """``SUM`` over integers is ``numeric`` in PostgreSQL: load it as a Python int (or
    float), as SQLite returns it, instead of ``Decimal`` (which ``json`` refuses)."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        try:
            return int(text)
        except ValueError:
            return float(text)


class PgConnection:
    """The small part of the ``sqlite3.Connection`` interface the inventory uses."""

    def __init__(self, conn: Any):
        self.conn = conn

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Any:
        cur = self.conn.cursor(row_factory=_named_rows)
        if not args:  # no parameters: psycopg sends the text as it is (a ``%`` stays one)
            return cur.execute(sql)
        return cur.execute(_to_pg(sql), args)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        rows = list(rows)
        cur = self.conn.cursor()
        if rows:
            cur.executemany(_to_pg(sql), rows)
        return cur

    def pipeline(self) -> Any:
        return self.conn.pipeline()

    def executescript(self, script: str) -> None:
        self.conn.execute(script)

    def commit(self) -> None:
        self.conn.commit()

    def rollback(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()

    def fileno(self) -> int:
        return int(self.conn.fileno())


def _connect(url: str, autocommit: bool) -> Any:
    conn = psycopg.connect(url, autocommit=autocommit, connect_timeout=15, application_name="pvscan")
    conn.adapters.register_loader("numeric", _NumericLoader)
    return conn


class PostgresBackend:
    name = "postgresql"

    def __init__(self, url: str):
        self.url = url

    def connect(self, readonly: bool) -> PgConnection:
        try:
            raw = _connect(self.url, autocommit=readonly)
        except psycopg.OperationalError as exc:
            # libpq's message names host and port, never the password; say which target.
            raise psycopg.OperationalError(f"{display_target(self.url)}: {exc}") from None
        db = PgConnection(raw)
        if readonly:
            # Readers see committed state statement by statement and never hold a
            # transaction open against the writer.
            raw.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            if not self.has_table(db, "meta"):
                raw.close()
                raise FileNotFoundError(
                    f"no inventory in {display_target(self.url)}: run `pvscan scan` first"
                )
        else:
            self.migrate(db)
        return db

    def migrate(self, db: PgConnection) -> None:
        if self.has_table(db, "meta"):
            row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is not None and int(row[0]) == SCHEMA_VERSION:
                db.execute("CREATE INDEX IF NOT EXISTS findings_hash ON findings(hash)")
                db.commit()
                return
        # One process migrates at a time (the lock ends with the transaction).
        db.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATE_KEY,))
        current = 0
        if self.has_table(db, "meta"):
            row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            current = int(row[0]) if row else 0
        for version in sorted(v for v in PG_MIGRATIONS if v > current):
            db.executescript(PG_MIGRATIONS[version])
        db.execute(
            "INSERT INTO meta(key, value) VALUES('schema_version', ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (str(SCHEMA_VERSION),),
        )
        db.commit()

    def has_table(self, db: PgConnection, name: str) -> bool:
        return db.execute("SELECT to_regclass(?) IS NOT NULL", (name,)).fetchone()[0]

    def begin_seen(self, db: PgConnection) -> None:
        # A temporary table: not WAL-logged, private to this session, gone with it.
        db.execute("CREATE TEMP TABLE IF NOT EXISTS seen(id BIGINT PRIMARY KEY)")
        db.execute("DELETE FROM seen")

    def add_seen(self, db: PgConnection, ids: list[int]) -> None:
        db.execute("INSERT INTO seen(id) SELECT unnest(?::bigint[]) ON CONFLICT DO NOTHING", (ids,))

    def plain_rows(self, db: PgConnection, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        cur = db.conn.cursor()
        return cur.execute(_to_pg(sql), args).fetchall() if args else cur.execute(sql).fetchall()

    def lock(self) -> PgLock:
        return PgLock(self.url)


class PgLock:
    """One scan at a time per database: a session-level advisory lock on a connection
    of its own, which the server releases when that connection ends (also when the
    coordinator is killed)."""

    def __init__(self, url: str):
        self.url = url
        self.conn: Any = None

    def acquire(self) -> list[int]:
        self.conn = _connect(self.url, autocommit=True)
        got = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (_SCAN_KEY,)).fetchone()[0]
        if not got:
            holder = self.conn.execute(
                """SELECT a.client_addr, a.application_name FROM pg_locks l JOIN pg_stat_activity a
                   ON a.pid=l.pid WHERE l.locktype='advisory' AND l.objid=%s AND l.granted LIMIT 1""",
                (_SCAN_KEY & 0xFFFFFFFF,),
            ).fetchone()
            self.conn.close()
            self.conn = None
            where = f" (from {holder[0] or 'this host'})" if holder else ""
            raise ScanLocked(f"another pvscan scan is using {display_target(self.url)}{where}")
        return [int(self.conn.fileno())]

    def release(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
