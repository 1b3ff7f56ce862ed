"""What every command shares: exit codes, the ``--db`` option and where the inventory is."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click

from pvscan.identity.search import SearchKey
from pvscan.util.paths import default_db
from pvscan.workflows.find import parse_keys

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_LOCKED, EXIT_FATAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False),
    default=None,
    help="Inventory: an SQLite file, or postgresql://user@host/dbname. Default: $PVSCAN_DB, else "
    "$PVSCAN_HOME/inventory.sqlite, else ~/.local/share/pvscan/inventory.sqlite.",
)


#: ``--db`` for the commands that read an inventory a scan made.
db_opt = click.option(
    "--db",
    type=click.Path(dir_okay=False),
    default=None,
    help="Inventory database (default: as for `pvscan scan`).",
)
fnr_opt = click.option(
    "--fnr", "numbers", multiple=True, metavar="NUMBER", help="Fødselsnummer or D-nummer (repeatable)."
)
acct_opt = click.option(
    "--kontonummer",
    "accounts",
    multiple=True,
    metavar="NUMBER",
    help="Account number or NO-IBAN (repeatable).",
)


def resolve_db(db: str | None) -> str:
    return db or os.environ.get("PVSCAN_DB") or str(default_db())


def person_key_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The search keys of a person search (``find``, ``access-request``): numbers,
    names, e-mail addresses and phone numbers, each repeatable and combinable."""
    for opt in reversed(
        (
            fnr_opt,
            acct_opt,
            click.option(
                "--name",
                "names",
                multiple=True,
                metavar="NAME",
                help='Full name, "First Last" or "Last, First" (repeatable). Hits by name alone are marked for the caseworker to confirm.',
            ),
            click.option(
                "--birth",
                metavar="DD.MM.YYYY",
                help="Date of birth with --name: confirms name hits in documents with that birth date.",
            ),
            click.option(
                "--email", "emails", multiple=True, metavar="ADDRESS", help="E-mail address (repeatable)."
            ),
            click.option(
                "--phone", "phones", multiple=True, metavar="NUMBER", help="Phone number (repeatable)."
            ),
        )
    ):
        f = opt(f)
    return f


def person_keys(
    numbers: tuple[str, ...],
    accounts: tuple[str, ...],
    names: tuple[str, ...] = (),
    birth: str | None = None,
    emails: tuple[str, ...] = (),
    phones: tuple[str, ...] = (),
) -> list[SearchKey]:
    """The typed keys, parsed; a bad one is a usage error (exit 2) that says what is
    wrong, before anything is searched or written."""
    try:
        return parse_keys(numbers, accounts, names, emails, phones, birth)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
