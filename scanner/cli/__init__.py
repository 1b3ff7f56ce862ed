"""The ``pvscan`` command line: a thin click layer over the library API.

Exit codes (also in the README):

==  =====================================================================
0   done; every item was read
1   done, but some items or folders could not be read (see the report)
2   usage error (bad option, missing argument)
3   another scan holds the inventory lock
4   fatal error (inventory not writable, disk full, …)
130 interrupted (SIGINT/SIGTERM); run the same command again to resume
==  =====================================================================

Every command arrives through the ``pvscan_register_commands`` hook, the built-in ones
(:mod:`pvscan.cli.scan_commands`, :mod:`pvscan.cli.workflows`) like a plugin's.
"""

from __future__ import annotations

import os

import click

from pvscan import __version__
from pvscan.cli.options import (
    EXIT_FATAL,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    resolve_db,
)
from pvscan.engine.manager import make_plugin_manager
from pvscan.util.i18n import LANGS

__all__ = [
    "main",
    "resolve_db",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "EXIT_LOCKED",
    "EXIT_FATAL",
    "EXIT_INTERRUPTED",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pvscan")
@click.option(
    "--lang",
    type=click.Choice(LANGS),
    default=None,
    help="Language of messages: nb (default), nn, en. Also $PVSCAN_LANG.",
)
def main(lang: str | None) -> None:
    """pvscan finds unstructured personal data (fødselsnummer, D-nummer, kontonummer,
    health data and other special categories) in folders, file shares and mailboxes,
    and keeps an inventory for reports, access requests, deletion and the checklist.

    Start with `pvscan scan FOLDER`; `pvscan COMMAND --help` explains each command.
    """
    if lang:
        # Commands read the language from the environment (also for plugins); restore
        # it afterwards so one invocation cannot leak its language into the next.
        before = os.environ.get("PVSCAN_LANG")
        os.environ["PVSCAN_LANG"] = lang

        def restore() -> None:
            if before is None:
                os.environ.pop("PVSCAN_LANG", None)
            else:
                os.environ["PVSCAN_LANG"] = before

        click.get_current_context().call_on_close(restore)


def _register_commands() -> None:
    """Built-in and plugin commands, through one hook. A plugin that fails here is
    reported, and the other commands keep working."""
    pm = make_plugin_manager()
    for impl in pm.hook.pvscan_register_commands.get_hookimpls():
        try:
            impl.function(cli=main)
        except Exception as exc:  # noqa: BLE001 - the other commands must keep working
            click.echo(f"pvscan: plugin {impl.plugin_name} failed to add its commands: {exc}", err=True)


_register_commands()
