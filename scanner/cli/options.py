"""What every command shares: exit codes, the ``--db`` option and where the inventory is."""

from __future__ import annotations

import os

import click

from pvscan.util.paths import default_db

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_LOCKED, EXIT_FATAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False),
    default=None,
    help="Inventory: an SQLite file, or postgresql://user@host/dbname. Default: $PVSCAN_DB, else "
    "$PVSCAN_HOME/inventory.sqlite, else ~/.local/share/pvscan/inventory.sqlite.",
)


def resolve_db(db: str | None) -> str:
    return db or os.environ.get("PVSCAN_DB") or str(default_db())
