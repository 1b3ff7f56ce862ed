"""The SQLite inventory: scans, items, findings, problems, and their history.

Design choices, and why:

* **WAL mode and batched transactions.** Results are committed in batches; an item's
  row, its findings and its problems change in one transaction, so a scan killed at
  any moment leaves every item either fully old or fully new. The next scan of the
  same roots resumes the interrupted scan row and skips what was committed.
* **No raw identifiers.** Findings hold a masked value and a keyed hash
  (:mod:`pvscan.identity.masking`); the raw value column is filled only with
  ``--reveal``.
* **Paths as bytes.** File names that are not UTF-8 exist on real shares; ``path`` is
  the ``os.fsencode`` of the source URL so it round-trips exactly, ``display`` is for
  people.
* **Owner-only files.** The database (and its WAL/SHM) are created 0600.
* **Numbered schema.** ``meta.schema_version`` with migrations in ``MIGRATIONS``.
"""

from __future__ import annotations

import contextlib
import getpass
import importlib
import json
import operator
import os
import socket
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NamedTuple

from pvscan.identity.masking import merge_links
from pvscan.inventory.keys import is_postgres, now_iso, path_key, roots_key, under_roots
from pvscan.inventory.marks import Marks
from pvscan.inventory.queries import Queries
from pvscan.inventory.sqlite import ERRORS as SQLITE_ERRORS
from pvscan.inventory.sqlite import SqliteBackend, SqliteLock
from pvscan.inventory.views import Views
from pvscan.model import ItemResult

if TYPE_CHECKING:
    from pvscan.inventory.postgres import PgLock, PostgresBackend

#: The PostgreSQL backend, loaded when an inventory is a ``postgresql://`` URL. psycopg
#: is 22 MB of resident memory; loaded by every scan it was carried by the coordinator
#: and by each worker forked from it (a sixth of the bench's summed memory with OCR).
_POSTGRES = "pvscan.inventory.postgres"


def database_errors() -> tuple[type[BaseException], ...]:
    """What a broken, unreachable or locked database raises, whichever backend is in
    use (PostgreSQL's only once it is loaded: nothing else can raise them)."""
    pg = sys.modules.get(_POSTGRES)
    return SQLITE_ERRORS + pg.ERRORS if pg is not None else SQLITE_ERRORS


def backend_for(target: str) -> SqliteBackend | PostgresBackend:
    if is_postgres(target):
        return importlib.import_module(_POSTGRES).PostgresBackend(target)  # type: ignore[no-any-return]
    return SqliteBackend(target)


def scan_lock(target: str) -> SqliteLock | PgLock:
    """The lock one scan holds on an inventory for its whole run (``acquire`` /
    ``release``), taken before the inventory is opened."""
    return backend_for(target).lock()


class ItemRow(NamedTuple):
    """An item's stamp and state as a re-scan compares them (a named tuple: one is
    made for every walked file)."""

    id: int
    size: int
    mtime_ns: int
    file_id: str
    sig: str
    status: str
    revealed: int
    #: The last scan that read and stored the item. An unchanged item is not written
    #: to on a re-scan (that is what keeps a second night cheap): a completed scan that
    #: did not mark it gone has seen it.
    last_seen: int | None = None

    def stamp(self) -> tuple[int, int, str]:
        return (self.size, self.mtime_ns, self.file_id)


#: The first field of a row (a sort key).
_first = operator.itemgetter(0)


class Inventory(Marks, Queries, Views):
    """A connection to one inventory: an SQLite file, or a PostgreSQL database when
    ``target`` is a ``postgresql://`` URL. Not shared between processes."""

    def __init__(self, target: str | os.PathLike[str], readonly: bool = False):
        self.path = os.fspath(target)
        self.readonly = readonly
        #: Id of the item the last :meth:`store_result` wrote.
        self.last_item_id = 0
        self._protect: tuple[Any, Callable[[str, str], tuple[str, str]], Callable[[str], str]] | None = None
        self._seen = False
        #: Set when this batch found no false-positive exceptions (see ``apply_exceptions``).
        self._no_exceptions = False
        self.backend: SqliteBackend | PostgresBackend = backend_for(self.path)
        self._remote = is_postgres(self.path)
        self.db: Any = self.backend.connect(readonly)

    def close(self) -> None:
        self.db.close()

    def commit(self) -> None:
        """End the open batch (the coordinator stores many items per transaction)."""
        self.db.commit()
        self._no_exceptions = False

    def __enter__(self) -> Inventory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pipeline(self) -> Any:
        """Statements whose results nobody waits for, sent together (PostgreSQL)."""
        return self.db.pipeline() if self._remote else contextlib.nullcontext()

    def fileno(self) -> int | None:
        """The connection's socket (PostgreSQL), which a forked worker must close."""
        return self.db.fileno() if self._remote else None

    def has_table(self, name: str) -> bool:
        return self.backend.has_table(self.db, name)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        try:
            yield self.db
            self.db.commit()
            self._no_exceptions = False
        except BaseException:
            self.db.rollback()
            raise

    # ---------------------------------------------------------------- scans
    def start_scan(
        self, roots: list[str], settings_sig: str, settings: dict[str, Any], plugins: list[str], full: bool
    ) -> tuple[int, bool]:
        """Return (scan id, resumed). An unfinished scan of the same roots and settings
        is resumed rather than started anew."""
        key = roots_key(roots)
        row = self.db.execute(
            "SELECT id FROM scans WHERE roots=? AND settings_sig=? AND status IN ('running','interrupted') ORDER BY id DESC LIMIT 1",
            (key, settings_sig),
        ).fetchone()
        if row:
            with self.transaction():
                self.db.execute("UPDATE scans SET status='running' WHERE id=?", (row[0],))
            return int(row[0]), True
        try:
            user = getpass.getuser()
        except Exception:  # noqa: BLE001
            user = ""
        with self.transaction():
            cur = self.db.execute(
                'INSERT INTO scans(roots, settings_sig, settings, plugins, started, status, host, "user", "full") '
                "VALUES(?,?,?,?,?,?,?,?,?) RETURNING id",
                (
                    key,
                    settings_sig,
                    json.dumps(settings, default=str),
                    json.dumps(plugins),
                    now_iso(),
                    "running",
                    socket.gethostname(),
                    user,
                    int(full),
                ),
            )
            scan_id = int(cur.fetchone()[0])
        return scan_id, False

    def finish_scan(self, scan_id: int, status: str, counts: dict[str, int]) -> None:
        cols = ", ".join(f"{k}=?" for k in counts)
        with self.transaction():
            self.db.execute(
                f"UPDATE scans SET status=?, finished=?{', ' + cols if cols else ''} WHERE id=?",
                (status, now_iso(), *counts.values(), scan_id),
            )

    def scan(self, scan_id: int) -> Any:
        return self.db.execute("SELECT * FROM scans WHERE id=?", (scan_id,)).fetchone()

    # ---------------------------------------------------------------- source state
    def source_state(self, root: str) -> str | None:
        """What a source saved for ``root`` after the last completed scan."""
        row = self.db.execute("SELECT state FROM source_state WHERE root=?", (root,)).fetchone()
        return row["state"] if row else None

    def save_source_state(self, root: str, state: str, scan_id: int) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO source_state(root, state, scan_id, at) VALUES(?,?,?,?) ON CONFLICT(root) "
                "DO UPDATE SET state=excluded.state, scan_id=excluded.scan_id, at=excluded.at",
                (root, state, scan_id, now_iso()),
            )

    # ---------------------------------------------------------------- items
    _ROW_COLS = "id, size, mtime_ns, file_id, sig, status, revealed, last_seen"

    def lookup(self, url: str) -> ItemRow | None:
        r = self.db.execute(f"SELECT {self._ROW_COLS} FROM items WHERE path=?", (path_key(url),)).fetchone()
        return ItemRow(*r) if r else None

    def reusable_many(
        self, keys: list[bytes], sig: str, reveal: bool, stored_in: int | None = None
    ) -> dict[bytes, tuple[bytes, int, int, int, str]]:
        """``path -> (path, id, size, mtime_ns, file_id)`` of the items at ``keys`` whose stored
        result can stand if their stamp is unchanged: not gone, stored with result
        signature ``sig``, with raw values when ``reveal`` asks for them, and (a
        resumed ``--full`` scan) stored by scan ``stored_in``.

        A re-scan asks this for every file of the share, so the conditions are tested
        by SQLite and each item comes back as the plain row SQLite returns (the path
        first, so the mapping is built without slicing rows). The walker hands over a
        few hundred entries at a time (one query per chunk, memory bounded by the
        chunk), in path order (see ``Source.entries``): then one range scan of the path
        index (``BETWEEN`` first and last) serves them, else the keys are looked up one
        by one (``IN``). The result may hold items between the keys that were not asked
        for (files gone or excluded since); callers look up the keys they have."""
        if not keys:
            return {}
        cond = "status!='gone' AND sig=?"
        args: list[Any] = [sig]
        if reveal:
            cond += " AND revealed<>0"
        if stored_in is not None:
            cond += " AND last_seen=?"
            args.append(stored_in)
        rows = self.backend.plain_rows  # plain tuples: a re-scan's hot path
        cols = "path, id, size, mtime_ns, file_id"
        if all(a < b for a, b in zip(keys, keys[1:], strict=False)):
            sql = f"SELECT {cols} FROM items WHERE path BETWEEN ? AND ? AND {cond}"
            out = {r[0]: r for r in rows(self.db, sql, (keys[0], keys[-1], *args))}
        else:
            out = {}
            for i in range(0, len(keys), 900):  # under SQLite's variable limit everywhere
                part = keys[i : i + 900]
                sql = f"SELECT {cols} FROM items WHERE path IN ({','.join('?' * len(part))}) AND {cond}"
                out.update((r[0], r) for r in rows(self.db, sql, (*part, *args)))
        return out

    # ---------------------------------------------------------------- seen set
    def begin_seen(self) -> None:
        """A private, non-durable set of the item ids this run has walked.

        A TEMP table lives outside the WAL (no fsync, nothing for readers to see) and
        on disk, so it does not grow the process with the size of the share. It only
        needs to last one process: a resumed scan walks the whole tree again."""
        self.backend.begin_seen(self.db)
        self._seen = True

    def add_seen(self, ids: list[int]) -> None:
        """Add walked item ids to the seen set (one statement per chunk)."""
        self.backend.add_seen(self.db, ids)

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Build the findings' hash index once at the end when the inventory has no
        findings yet (the first scan of a share), instead of row by row.

        Every finding's keyed hash is random, so keeping ``findings_hash`` up to date
        during the first scan is an insert at a random place of a growing B-tree: a third
        of the coordinator's storing time on the dev corpus (321k findings: 2.5 s), while
        building it afterwards takes 0.4 s. A scan killed in between loses nothing: every
        writable open recreates a missing index (the backend's ``migrate``), and a search meanwhile
        is only slower, not wrong. Later scans, which add to a filled inventory, keep the
        index as it is."""
        empty = self.db.execute("SELECT 1 FROM findings LIMIT 1").fetchone() is None
        if empty:
            with self.transaction():
                self.db.execute("DROP INDEX IF EXISTS findings_hash")
        try:
            yield
        finally:
            if empty:
                with self.transaction():
                    self.db.execute("CREATE INDEX IF NOT EXISTS findings_hash ON findings(hash)")

    def clear_walk_errors(self, scan_id: int) -> None:
        """A resumed scan walks again and records its walk errors afresh."""
        self.db.execute("DELETE FROM walk_errors WHERE scan_id=?", (scan_id,))

    def record_walk_error(self, scan_id: int, root: str, display: str, reason: str) -> None:
        self.db.execute(
            "INSERT INTO walk_errors(scan_id, root, display, reason) VALUES(?,?,?,?)",
            (scan_id, root, display, reason),
        )

    def store_result(
        self, scan_id: int, root: str, res: ItemResult, sig: str, reveal: bool, masker: Any
    ) -> str:
        """Write one item's result (caller commits). Returns 'new' or 'changed'."""
        ref = res.ref
        key = path_key(ref.url)
        meta = dict(ref.meta)
        status = "unscannable" if res.unscannable else "skipped" if res.skipped else "ok"
        reason = res.problems[0].reason if res.unscannable and res.problems else res.skipped or None
        values = (
            ref.display,
            root,
            ref.source,
            ref.size,
            ref.mtime_ns,
            ref.file_id,
            ref.owner,
            meta.get("uid"),
            meta.get("gid"),
            meta.get("mode"),
            res.kind,
            res.extractor,
            sig,
            status,
            reason,
            res.inner_items,
            int(reveal),
            scan_id,
            scan_id,
            now_iso(),
            round(res.elapsed, 4),
        )
        # A new item (every item of a first scan) is one statement: the insert either
        # makes the row or, when the path is known, does nothing and returns nothing.
        new = self.db.execute(
            """INSERT INTO items(display, root, source, size, mtime_ns, file_id, owner, uid, gid, mode, kind, extractor,
               sig, status, reason, inner_items, revealed, last_seen, scanned_in, scanned_at, elapsed, path, first_seen, changed_in)
               VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(path) DO NOTHING RETURNING id""",
            (*values, key, scan_id, scan_id),
        ).fetchone()
        old = None
        if new is not None:
            item_id = int(new[0])
            change = "new"
        else:
            old = self.db.execute(
                "SELECT id, size, mtime_ns, file_id, status FROM items WHERE path=?", (key,)
            ).fetchone()
            item_id = int(old[0])
            content_changed = tuple(old[1:4]) != (ref.size, ref.mtime_ns, ref.file_id)
            came_back = old[4] == "gone"
            change = "new" if came_back else "changed" if content_changed else "rescanned"
        rows = self.apply_exceptions(
            key,
            self._copied_rows(item_id, res.copy_of)
            if res.copy_of
            else self._finding_rows(item_id, res, reveal, masker),
        )
        # The rest needs no answer from the database: with PostgreSQL one round trip
        # (a pipeline) instead of one per statement; SQLite runs it as it comes.
        with self._pipeline():
            if old is not None:
                self.db.execute(
                    """UPDATE items SET display=?, root=?, source=?, size=?, mtime_ns=?, file_id=?, owner=?, uid=?, gid=?, mode=?,
                       kind=?, extractor=?, sig=?, status=?, reason=?, inner_items=?, revealed=?, last_seen=?, scanned_in=?,
                       scanned_at=?, elapsed=?, gone_in=NULL WHERE id=?""",
                    (*values, item_id),
                )
                if content_changed:
                    self.db.execute("UPDATE items SET changed_in=? WHERE id=?", (scan_id, item_id))
                self.db.execute("DELETE FROM findings WHERE item_id=?", (item_id,))
                self.db.execute("DELETE FROM problems WHERE item_id=?", (item_id,))
            self.db.executemany(
                """INSERT INTO findings(item_id, "inner", type, masked, hash, location, confidence, detector, variant, alt_type, count, value)
                   VALUES(?,?,?,?,?,?,?,?,?,?,?,?)""",
                rows,
            )
            self.db.executemany(
                'INSERT INTO problems(item_id, "inner", reason, category) VALUES(?,?,?,?)',
                [(item_id, p.item, p.reason, p.reason.split(":", 1)[0]) for p in res.problems],
            )
            if change != "rescanned":
                self.db.execute(
                    "INSERT INTO changes(scan_id, item_id, change) VALUES(?,?,?) "
                    "ON CONFLICT(scan_id, item_id) DO UPDATE SET change=excluded.change",
                    (scan_id, item_id, change),
                )
        self.last_item_id = item_id
        return change

    #: How many (type, value) -> (masked, hash) pairs the coordinator remembers. The same
    #: person's number recurs across a share's files (on the 5,000-file dev corpus 321k
    #: findings hold 143k distinct values); a bounded memo skips the HMAC and the mask
    #: for a repeat while keeping the coordinator's memory flat (a few MB).
    MASK_MEMO = 1 << 15

    def _finding_rows(
        self, item_id: int, res: ItemResult, reveal: bool, masker: Any
    ) -> list[tuple[Any, ...]]:
        """The findings rows of one item: equal findings (same inner item, type, value and
        location) become one row with a count, each with its masked value and keyed hash.
        A name's row keeps what stood beside each of its finds there (the linked facts
        of all of them, :func:`~pvscan.identity.masking.merge_links`)."""
        agg: dict[tuple[str, str, str, str], list[Any]] = {}
        for f in res.findings:
            k = (f.item, f.type, f.value, f.location)
            if k in agg:
                agg[k][-1] += 1
                if f.type == "navn" and f.variant:
                    first = agg[k][0]
                    merged = merge_links(first.variant, f.variant)
                    if merged != first.variant:
                        agg[k][0] = replace(first, variant=merged)
                continue
            agg[k] = [f, 1]
        if not agg:
            return []
        protect, links = self._protector(masker)
        rows = []
        for (inner, type_, value, location), (f, count) in agg.items():
            masked, hashed = protect(type_, value)
            rows.append(
                (
                    item_id,
                    inner,
                    type_,
                    masked,
                    hashed,
                    location,
                    f.confidence,
                    f.detector,
                    links(f.variant) if type_ == "navn" and f.variant else f.variant,
                    f.alt_type,
                    count,
                    value if reveal else None,
                )
            )
        return rows

    def _copied_rows(self, item_id: int, original_url: str) -> list[tuple[Any, ...]]:
        """The finding rows of a byte-identical copy: those stored for its original
        (earlier in this scan, see :mod:`pvscan.scan.duplicates`), for ``item_id``.

        One indexed read instead of masking and hashing the findings again, and the
        coordinator need not hold findings in memory for copies that may come later.
        A value the reviewer marked as a false positive for the original alone was not
        stored there, so it is left out of the copy too; exceptions of the copy's own
        path are applied as for any item."""
        stored = self.backend.plain_rows(
            self.db,
            'SELECT "inner", type, masked, hash, location, confidence, detector, variant, alt_type, count, value '
            "FROM findings WHERE item_id=(SELECT id FROM items WHERE path=?) ORDER BY id",
            (path_key(original_url),),
        )
        return [(item_id, *r) for r in stored]

    def _protector(self, masker: Any) -> tuple[Callable[[str, str], tuple[str, str]], Callable[[str], str]]:
        """``(type, value) -> (masked, keyed hash)`` and ``variant -> protected links``
        for ``masker``, both memoised (bounded).

        The installation key is loaded once per inventory connection, not per finding: a
        lookup of the key file costs a path resolution and a ``stat`` each time (it was
        once per name finding, a tenth of the coordinator's time)."""
        if self._protect is not None and self._protect[0] is masker:
            return self._protect[1], self._protect[2]
        hkey = masker.load_key()
        memo: dict[tuple[str, str], tuple[str, str]] = {}
        mask, keyed_hash, cap = masker.mask, masker.keyed_hash, self.MASK_MEMO

        def protect(type_: str, value: str) -> tuple[str, str]:
            k = (type_, value)
            out = memo.get(k)
            if out is None:
                if len(memo) >= cap:
                    memo.clear()
                out = memo[k] = (mask(type_, value), keyed_hash(value, hkey))
            return out

        link_memo: dict[str, str] = {}
        protect_links = masker.protect_links

        def links(variant: str) -> str:
            out = link_memo.get(variant)
            if out is None:
                if len(link_memo) >= cap:
                    link_memo.clear()
                out = link_memo[variant] = protect_links(variant, hkey)
            return out

        self._protect = (masker, protect, links)
        return protect, links

    def mark_gone(self, scan_id: int, roots: list[str], keep: Iterable[str] = ()) -> int:
        """Items under ``roots`` this run did not walk are gone (deleted or moved).

        Uses the ``seen`` set of :meth:`begin_seen` when there is one (else
        ``last_seen``). Paths in ``keep`` and everything below them are spared: a
        folder the walker could not list this time (permissions, a flaky share) is not
        evidence that its files were deleted. Set-based SQL, so a night where a whole
        department's folder moved costs a few statements, not one per file."""
        has_seen = self._seen
        # By path, not by the ``root`` column: an item last stored by a scan of a
        # sub-folder is still under this root.
        under, args = under_roots(roots)
        cond = f"({under}) AND status!='gone'"
        if has_seen:
            cond += " AND id NOT IN (SELECT id FROM seen) AND (last_seen IS NULL OR last_seen<?)"
        else:
            cond += " AND (last_seen IS NULL OR last_seen<?)"
        args.append(scan_id)
        for k in keep:
            p = path_key(k.rstrip("/"))
            cond += " AND path!=? AND NOT (path>=? AND path<?)"
            args += [p, p + b"/", p + b"0"]  # '0' is the byte after '/'
        with self.transaction():
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS gone_now(id BIGINT PRIMARY KEY)")
            self.db.execute("DELETE FROM gone_now")
            self.db.execute(f"INSERT INTO gone_now(id) SELECT id FROM items WHERE {cond}", args)
            n = self.db.execute("SELECT COUNT(*) FROM gone_now").fetchone()[0]
            if n:
                sub = "SELECT id FROM gone_now"
                self.db.execute(f"UPDATE items SET status='gone', gone_in=? WHERE id IN ({sub})", (scan_id,))
                self.db.execute(f"DELETE FROM findings WHERE item_id IN ({sub})")
                self.db.execute(f"DELETE FROM problems WHERE item_id IN ({sub})")
                self.db.execute(
                    f"INSERT INTO changes(scan_id, item_id, change) SELECT ?, id, 'gone' FROM ({sub}) AS g "
                    "WHERE true ON CONFLICT(scan_id, item_id) DO UPDATE SET change=excluded.change",
                    (scan_id,),
                )
        return int(n)

    # ---------------------------------------------------------------- queries
    def items_in(self, roots: list[str] | None = None, include_gone: bool = False) -> Iterator[Any]:
        sql = "SELECT * FROM items"
        cond, args = [], []
        if roots:
            cond.append(f"root IN ({','.join('?' * len(roots))})")
            args += roots
        if not include_gone:
            cond.append("status!='gone'")
        if cond:
            sql += " WHERE " + " AND ".join(cond)
        yield from self.db.execute(sql + " ORDER BY display", args)

    def findings_for(self, item_id: int) -> list[Any]:
        return list(
            self.db.execute('SELECT * FROM findings WHERE item_id=? ORDER BY "inner", id', (item_id,))
        )

    def export_rows(self, item_id: int) -> list[tuple[Any, ...]]:
        """One item's findings for the JSON Lines export, as plain tuples in the order
        of :meth:`findings_for`: ``(inner, type, value, masked, hash, location,
        confidence, variant, alt_type, count)`` (no named-row objects: the export reads
        every finding of the inventory)."""
        # In id order the item's index gives the rows as they lie (no sort in the
        # database); a stable sort by inner item then makes the order (inner, id).
        rows = self.backend.plain_rows(
            self.db,
            'SELECT "inner", type, value, masked, hash, location, confidence, variant, alt_type, count '
            "FROM findings WHERE item_id=? ORDER BY id",
            (item_id,),
        )
        rows.sort(key=_first)
        return rows

    def problems_for(self, item_id: int) -> list[Any]:
        return list(self.db.execute("SELECT * FROM problems WHERE item_id=? ORDER BY id", (item_id,)))

    def walk_errors(self, scan_id: int) -> list[Any]:
        return list(self.db.execute("SELECT * FROM walk_errors WHERE scan_id=? ORDER BY id", (scan_id,)))

    def find_by_hash(self, hashes: list[str]) -> list[Any]:
        marks = ",".join("?" * len(hashes))
        return list(
            self.db.execute(
                f"""SELECT f.*, i.display, i.path, i.owner, i.mtime_ns, i.size, i.kind, i.status AS item_status
                    FROM findings f JOIN items i ON i.id=f.item_id
                    WHERE f.hash IN ({marks}) AND i.status!='gone' ORDER BY i.display, f."inner", f.id""",
                hashes,
            )
        )

    def changes(self, scan_id: int) -> list[Any]:
        return list(
            self.db.execute(
                "SELECT c.change, i.* FROM changes c JOIN items i ON i.id=c.item_id WHERE c.scan_id=? ORDER BY i.display",
                (scan_id,),
            )
        )
