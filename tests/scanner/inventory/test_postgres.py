"""What only the PostgreSQL backend has: a URL that may hold a password (never shown),
the scan lock as an advisory lock, migrations that two processes may race for, and
readers that need the inventory to exist."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pvscan.cli import main
from pvscan.inventory import Inventory, ScanLocked, display_target, scan_lock
from pvscan.inventory.schema import SCHEMA_VERSION


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
