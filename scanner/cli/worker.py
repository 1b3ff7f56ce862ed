"""``pvscan worker``: read items for coordinators on other machines (see
:mod:`pvscan.engine.remote`)."""

from __future__ import annotations

import click

from pvscan import hookimpl
from pvscan.engine.remote import run_worker


@click.command()
@click.option(
    "--broker",
    envvar="PVSCAN_BROKER",
    required=True,
    metavar="URL",
    help="The RabbitMQ broker (amqp://user@host/vhost or amqps://…; default: $PVSCAN_BROKER).",
)
@click.option(
    "--concurrency",
    type=int,
    default=None,
    help="Items read at once, each in its own process (default: number of cores).",
)
@click.option(
    "--loglevel", default="WARNING", show_default=True, help="Celery's log level (INFO shows each batch)."
)
def worker(broker: str, concurrency: int | None, loglevel: str) -> None:
    """Read items for `pvscan scan --broker` coordinators, until stopped.

    Items are reached through this machine's own mounts and credentials (the same
    paths, SMB and IMAP settings as the coordinator's). Per-item time and memory limits
    come from the coordinator's scan settings. SIGTERM finishes the batch in hand.
    """
    run_worker(broker, concurrency=concurrency, loglevel=loglevel)


@hookimpl
def pvscan_register_commands(cli: click.Group) -> None:
    cli.add_command(worker)
