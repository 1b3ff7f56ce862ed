"""The inventory's schema, as numbered migrations (``meta.schema_version``).

A new database runs every script in order; an old one runs those above its version.
Never edit a released script: add the next number.
"""

SCHEMA_VERSION = 3

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
}
