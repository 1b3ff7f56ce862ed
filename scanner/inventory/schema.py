"""The inventory's schema, as numbered migrations (``meta.schema_version``).

A new database runs every script in order; an old one runs those above its version.
Never edit a released script: add the next number.
"""

SCHEMA_VERSION = 4

#: The routed items' indexes (migration 4). Routing replaces every row at once, which is
#: several times faster with the indexes dropped and built again afterwards, so the
#: inventory's ``replace_routing`` uses this same list.
ROUTED_INDEXES = {
    "routed_owner": "routed_items(owner, status, sensitive, mtime_ns)",
    "routed_unit": "routed_items(unit, status, mtime_ns)",
    "routed_root": "routed_items(root, status, mtime_ns)",
    "routed_age": "routed_items(status, mtime_ns)",
}

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
"""
    + "".join(f"CREATE INDEX IF NOT EXISTS {n} ON {d};\n" for n, d in ROUTED_INDEXES.items())
    + """CREATE TABLE IF NOT EXISTS routed_types(
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
