"""The inventory's schema, as numbered migrations (``meta.schema_version``).

A new database runs every script in order; an old one runs those above its version.
Never edit a released script: add the next number.
"""

import re

SCHEMA_VERSION = 4

MIGRATIONS: dict[int, str] = {
    1: """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS scans(
    id INTEGER PRIMARY KEY,
    roots TEXT NOT NULL,
    settings_sig TEXT NOT NULL,
    settings TEXT,
    plugins TEXT,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    host TEXT, user TEXT, full INTEGER DEFAULT 0,
    files INTEGER DEFAULT 0, items INTEGER DEFAULT 0,
    new INTEGER DEFAULT 0, changed INTEGER DEFAULT 0, unchanged INTEGER DEFAULT 0, gone INTEGER DEFAULT 0,
    unscannable INTEGER DEFAULT 0, findings INTEGER DEFAULT 0, bytes INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items(
    id INTEGER PRIMARY KEY,
    path BLOB NOT NULL UNIQUE,
    display TEXT NOT NULL,
    root TEXT NOT NULL,
    source TEXT NOT NULL,
    size INTEGER, mtime_ns INTEGER, file_id TEXT,
    owner TEXT, uid INTEGER, gid INTEGER, mode INTEGER,
    kind TEXT, extractor TEXT, sig TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    inner_items INTEGER DEFAULT 0,
    revealed INTEGER DEFAULT 0,
    first_seen INTEGER, last_seen INTEGER, scanned_in INTEGER, changed_in INTEGER, gone_in INTEGER,
    scanned_at TEXT, elapsed REAL
);
CREATE INDEX IF NOT EXISTS items_root ON items(root, last_seen);
CREATE TABLE IF NOT EXISTS findings(
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    inner TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL,
    masked TEXT NOT NULL,
    hash TEXT NOT NULL,
    location TEXT,
    confidence TEXT,
    detector TEXT,
    variant TEXT,
    alt_type TEXT,
    count INTEGER DEFAULT 1,
    value TEXT
);
CREATE INDEX IF NOT EXISTS findings_hash ON findings(hash);
CREATE INDEX IF NOT EXISTS findings_item ON findings(item_id);
CREATE TABLE IF NOT EXISTS problems(
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    inner TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL,
    category TEXT
);
CREATE INDEX IF NOT EXISTS problems_item ON problems(item_id);
CREATE TABLE IF NOT EXISTS walk_errors(
    id INTEGER PRIMARY KEY,
    scan_id INTEGER NOT NULL,
    root TEXT, display TEXT NOT NULL, reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS changes(
    scan_id INTEGER NOT NULL,
    item_id INTEGER NOT NULL,
    change TEXT NOT NULL,
    PRIMARY KEY(scan_id, item_id)
);
""",
    # Workflows (pvscan.workflows.review / pvscan.workflows.deletion): review status that survives
    # re-scans (keyed by item path + value hash), false-positive exceptions, keep marks.
    2: """
CREATE TABLE IF NOT EXISTS reviews(
    id INTEGER PRIMARY KEY,
    path BLOB NOT NULL,
    hash TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    reason TEXT, user TEXT, at TEXT NOT NULL,
    UNIQUE(path, hash)
);
CREATE TABLE IF NOT EXISTS exceptions(
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    path BLOB,
    reason TEXT, user TEXT, at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS exceptions_hash ON exceptions(hash);
CREATE TABLE IF NOT EXISTS keep_marks(
    id INTEGER PRIMARY KEY,
    path BLOB NOT NULL UNIQUE,
    reason TEXT NOT NULL, user TEXT, at TEXT NOT NULL, until TEXT
);
""",
    # Per-root state a source keeps between completed scans (Graph delta links).
    3: """
CREATE TABLE IF NOT EXISTS source_state(
    root TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    scan_id INTEGER,
    at TEXT NOT NULL
);
""",
    # The web app (pvscan.web): each item with findings routed to the person who must
    # handle it, with the aggregates the leader and privacy-officer pages read (kept up to
    # date by every action, rebuilt by ``pvscan serve``/``pvscan route``), its own audit
    # log, access-request cases (keyed hashes and masked values only) and digest marks.
    # Portable SQL: the same script runs on PostgreSQL.
    4: """
CREATE TABLE IF NOT EXISTS routed_items(
    item_id INTEGER PRIMARY KEY,
    path BLOB NOT NULL,
    display TEXT NOT NULL,
    name TEXT NOT NULL,
    root TEXT NOT NULL,
    source TEXT NOT NULL,
    owner TEXT NOT NULL,
    unit TEXT NOT NULL,
    via TEXT NOT NULL,
    findings INTEGER NOT NULL,
    sensitive INTEGER NOT NULL,
    types TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL,
    first_scan INTEGER NOT NULL,
    first_day TEXT NOT NULL,
    status TEXT NOT NULL,
    status_at TEXT
);
CREATE INDEX IF NOT EXISTS routed_owner ON routed_items(owner, status, sensitive, mtime_ns);
CREATE INDEX IF NOT EXISTS routed_unit ON routed_items(unit, status, mtime_ns);
CREATE INDEX IF NOT EXISTS routed_root ON routed_items(root, status, mtime_ns);
CREATE INDEX IF NOT EXISTS routed_age ON routed_items(status, mtime_ns);
CREATE TABLE IF NOT EXISTS routed_types(
    item_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY(item_id, type)
);
CREATE TABLE IF NOT EXISTS owner_stats(
    owner TEXT PRIMARY KEY,
    unit TEXT NOT NULL,
    open_items INTEGER NOT NULL,
    handled_items INTEGER NOT NULL,
    sensitive_open INTEGER NOT NULL,
    oldest_open TEXT,
    new_recent INTEGER NOT NULL,
    new_recent_handled INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS owner_stats_unit ON owner_stats(unit);
CREATE TABLE IF NOT EXISTS owner_history(
    day TEXT NOT NULL,
    owner TEXT NOT NULL,
    unit TEXT NOT NULL,
    open_items INTEGER NOT NULL,
    handled_items INTEGER NOT NULL,
    PRIMARY KEY(day, owner)
);
CREATE TABLE IF NOT EXISTS dim_stats(
    dim TEXT NOT NULL,
    key TEXT NOT NULL,
    open_items INTEGER NOT NULL,
    handled_items INTEGER NOT NULL,
    PRIMARY KEY(dim, key)
);
CREATE TABLE IF NOT EXISTS web_audit(
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS access_cases(
    id INTEGER PRIMARY KEY,
    opened_by TEXT NOT NULL,
    at TEXT NOT NULL,
    masked TEXT NOT NULL,
    hashes TEXT NOT NULL,
    folder TEXT NOT NULL,
    hits INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS assignments(
    path BLOB PRIMARY KEY,
    owner TEXT NOT NULL,
    assigned_by TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS digests(
    owner TEXT PRIMARY KEY,
    last_scan INTEGER NOT NULL,
    at TEXT NOT NULL
);
""",
}


#: The same schema for PostgreSQL, migration by migration (the same numbers, so both
#: backends say the same thing with ``meta.schema_version``). The differences are
#: types only: 64-bit integers (``mtime_ns`` does not fit 32 bits), ``BYTEA`` path
#: keys, identity ids, and the reserved words ``user``, ``inner`` and ``full``
#: quoted (every statement of the inventory quotes them, which SQLite accepts too).
#: Text that is sorted on is ``COLLATE "C"``: byte order, as SQLite sorts, whatever
#: locale the cluster was created with, so reports list files in the same order.
PG_MIGRATIONS: dict[int, str] = {
    1: """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS scans(
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    roots TEXT COLLATE "C" NOT NULL,
    settings_sig TEXT NOT NULL,
    settings TEXT,
    plugins TEXT,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    host TEXT, "user" TEXT, "full" BIGINT DEFAULT 0,
    files BIGINT DEFAULT 0, items BIGINT DEFAULT 0,
    new BIGINT DEFAULT 0, changed BIGINT DEFAULT 0, unchanged BIGINT DEFAULT 0, gone BIGINT DEFAULT 0,
    unscannable BIGINT DEFAULT 0, findings BIGINT DEFAULT 0, bytes BIGINT DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items(
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    path BYTEA NOT NULL UNIQUE,
    display TEXT COLLATE "C" NOT NULL,
    root TEXT COLLATE "C" NOT NULL,
    source TEXT NOT NULL,
    size BIGINT, mtime_ns BIGINT, file_id TEXT,
    owner TEXT COLLATE "C", uid BIGINT, gid BIGINT, mode BIGINT,
    kind TEXT, extractor TEXT, sig TEXT,
    status TEXT NOT NULL,
    reason TEXT COLLATE "C",
    inner_items BIGINT DEFAULT 0,
    revealed BIGINT DEFAULT 0,
    first_seen BIGINT, last_seen BIGINT, scanned_in BIGINT, changed_in BIGINT, gone_in BIGINT,
    scanned_at TEXT, elapsed DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS items_root ON items(root, last_seen);
CREATE TABLE IF NOT EXISTS findings(
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    item_id BIGINT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    "inner" TEXT COLLATE "C" NOT NULL DEFAULT '',
    type TEXT COLLATE "C" NOT NULL,
    masked TEXT NOT NULL,
    hash TEXT NOT NULL,
    location TEXT COLLATE "C",
    confidence TEXT,
    detector TEXT,
    variant TEXT,
    alt_type TEXT,
    count BIGINT DEFAULT 1,
    value TEXT
);
CREATE INDEX IF NOT EXISTS findings_hash ON findings(hash);
CREATE INDEX IF NOT EXISTS findings_item ON findings(item_id);
CREATE TABLE IF NOT EXISTS problems(
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    item_id BIGINT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    "inner" TEXT COLLATE "C" NOT NULL DEFAULT '',
    reason TEXT COLLATE "C" NOT NULL,
    category TEXT
);
CREATE INDEX IF NOT EXISTS problems_item ON problems(item_id);
CREATE TABLE IF NOT EXISTS walk_errors(
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    scan_id BIGINT NOT NULL,
    root TEXT, display TEXT COLLATE "C" NOT NULL, reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS changes(
    scan_id BIGINT NOT NULL,
    item_id BIGINT NOT NULL,
    change TEXT NOT NULL,
    PRIMARY KEY(scan_id, item_id)
);
""",
    2: """
CREATE TABLE IF NOT EXISTS reviews(
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    path BYTEA NOT NULL,
    hash TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    reason TEXT, "user" TEXT, at TEXT NOT NULL,
    UNIQUE(path, hash)
);
CREATE TABLE IF NOT EXISTS exceptions(
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    hash TEXT NOT NULL,
    path BYTEA,
    reason TEXT, "user" TEXT, at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS exceptions_hash ON exceptions(hash);
CREATE TABLE IF NOT EXISTS keep_marks(
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    path BYTEA NOT NULL UNIQUE,
    reason TEXT NOT NULL, "user" TEXT, at TEXT NOT NULL, until TEXT
);
""",
    3: """
CREATE TABLE IF NOT EXISTS source_state(
    root TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    scan_id BIGINT,
    at TEXT NOT NULL
);
""",
}


def pg_twin(portable: str) -> str:
    """The PostgreSQL form of a migration written in the portable subset (what every
    migration from 4 on is written in): ``id INTEGER PRIMARY KEY`` is an identity
    column, other integers are 64-bit, ``BLOB`` is ``BYTEA``, ``REAL`` is double."""
    sql = re.sub(
        r"\bid INTEGER PRIMARY KEY\b", "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", portable
    )
    sql = re.sub(r"\bINTEGER\b", "BIGINT", sql)
    sql = re.sub(r"\bBLOB\b", "BYTEA", sql)
    return re.sub(r"\bREAL\b", "DOUBLE PRECISION", sql)


PG_MIGRATIONS.update({n: pg_twin(MIGRATIONS[n]) for n in MIGRATIONS if n >= 4})

assert sorted(PG_MIGRATIONS) == sorted(MIGRATIONS), "every migration has its PostgreSQL twin"
