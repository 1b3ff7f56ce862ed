"""What only the PostgreSQL backend has: a URL that may hold a password (never shown),
the scan lock as an advisory lock, migrations that two processes may race for, and
readers that need the inventory to exist."""

from __future__ import annotations

import random

import pytest
from click.testing import CliRunner

from pvscan.cli import main
from pvscan.inventory import Inventory, ScanLocked, display_target, scan_lock
from pvscan.inventory.schema import SCHEMA_VERSION
from pvscan.testing import make_fnr


def test_display_target_never_shows_a_password():
    assert display_target("postgresql://pv:s3cret@db:5432/inv") == "postgresql://pv@db:5432/inv"
    assert display_target("postgresql://:s3cret@db/inv") == "postgresql://db/inv"
    assert display_target("postgresql://pv@db/inv") == "postgresql://pv@db/inv"
    assert display_target("/var/lib/pvscan/inv.sqlite") == "/var/lib/pvscan/inv.sqlite"


def test_scan_output_and_errors_hide_the_password(pg_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    (tmp_path / "share").mkdir()
    (tmp_path / "share" / "a.txt").write_text("Ingen personopplysninger.\n")
    # The test cluster trusts loopback, so any password is accepted: the one in the URL
    # must still appear nowhere.
    url = pg_url.replace("pvscan@", "pvscan:Hemmelig-42@")
    r = CliRunner().invoke(main, ["scan", str(tmp_path / "share"), "--db", url, "--workers", "0"])
    assert r.exit_code == 0, r.output
    assert "Hemmelig-42" not in r.output and display_target(url) in r.output
    bad = url.rsplit("/", 1)[0] + "/no_such_db"
    r = CliRunner().invoke(main, ["scan", str(tmp_path / "share"), "--db", bad, "--workers", "0"])
    assert r.exit_code == 4
    assert "Hemmelig-42" not in r.output and "no_such_db" in r.output


def test_one_scan_at_a_time_per_database(pg_url):
    first = scan_lock(pg_url)
    first.acquire()
    try:
        with pytest.raises(ScanLocked, match="another pvscan scan is using postgresql://"):
            scan_lock(pg_url).acquire()
    finally:
        first.release()
    again = scan_lock(pg_url)  # released with its connection
    again.acquire()
    again.release()


def test_migrations_are_numbered_and_readers_need_an_inventory(pg_url):
    with pytest.raises(FileNotFoundError, match="run `pvscan scan` first"):
        Inventory(pg_url, readonly=True)
    with Inventory(pg_url) as a, Inventory(pg_url) as b:  # a second open finds it migrated
        for inv in (a, b):
            row = inv.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            assert int(row["value"]) == SCHEMA_VERSION
    with Inventory(pg_url, readonly=True) as r:
        assert r.has_table("source_state") and r.scan_rows() == []
        # Read-only sessions: a reader cannot write by mistake.
        with pytest.raises(Exception, match="read-only"):
            r.db.execute("DELETE FROM items")


def test_the_web_views_item_queries_run_on_postgresql(db_target, tmp_path, monkeypatch):
    """The web app's per-item queries (``Views``) name the reserved word ``inner``: it
    must be quoted for PostgreSQL (and SQLite accepts the quotes)."""
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    (tmp_path / "share").mkdir()
    rng = random.Random(13)
    (tmp_path / "share" / "a.txt").write_text(
        f"Fødselsnummer {make_fnr(rng=rng)} og {make_fnr(rng=rng)}\n", encoding="utf-8"
    )
    r = CliRunner().invoke(main, ["scan", str(tmp_path / "share"), "--db", db_target, "--workers", "0"])
    assert r.exit_code in (0, 1), r.output
    with Inventory(db_target, readonly=True) as inv:
        (item,) = list(inv.live_items())
        rows = inv.item_findings(item["id"])
        samples = inv.finding_samples([item["id"]])
    assert rows and all(r["inner"] == "" and r["masked"] for r in rows)
    assert [s["masked"] for s in samples[item["id"]]] == [r["masked"] for r in rows][:3]
