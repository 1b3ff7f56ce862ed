"""The web app's SQL (migration 4 and the ``Views`` mixin) stays portable, so the
PostgreSQL backend can run the same statements through a thin adapter."""

from __future__ import annotations

import re
from pathlib import Path

from pvscan.inventory.schema import MIGRATIONS

VIEWS = Path(__file__).resolve().parents[3] / "scanner" / "inventory" / "views.py"
FORBIDDEN = (
    "AUTOINCREMENT",
    "json_each",
    "strftime",
    "IFNULL",
    "INSERT OR REPLACE",
    "INSERT OR IGNORE",
    "rowid",
    "GLOB",
)


def test_migration_4_uses_portable_types_only():
    sql = MIGRATIONS[4]
    for word in FORBIDDEN:
        assert word.lower() not in sql.lower()
    for col in re.findall(r"^[ ]+(?!PRIMARY|UNIQUE)\w+ (\w+)", sql, re.M):
        assert col in ("INTEGER", "TEXT", "REAL", "BLOB"), col


def test_views_sql_is_portable():
    text = VIEWS.read_text()
    for word in FORBIDDEN:
        assert not re.search(rf"\b{word}\b", text), word
    assert "[0]" not in text and "[1]" not in text  # rows are read by name


def test_migration_4_applies_to_an_older_inventory(tmp_path):
    import sqlite3

    from pvscan.inventory import Inventory

    db = tmp_path / "old.sqlite"
    con = sqlite3.connect(db)
    for v in (1, 2, 3):
        con.executescript(MIGRATIONS[v])
    con.execute("INSERT INTO meta(key, value) VALUES('schema_version', '3')")
    con.commit()
    con.close()
    with Inventory(db) as inv:
        assert inv.has_table("routed_items") and inv.has_table("web_audit")
        assert inv.owner_stats_rows(None) == []
