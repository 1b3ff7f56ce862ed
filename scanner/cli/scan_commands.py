"""The scanning commands: ``scan``, ``find`` and ``plugins``."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from pvscan import hookimpl
from pvscan.cli.options import (
    EXIT_FATAL,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_PARTIAL,
    db_option,
    person_key_options,
    person_keys,
    resolve_db,
)
from pvscan.cli.progress import Progress
from pvscan.engine.manager import make_plugin_manager, plugin_list
from pvscan.engine.remote import WorkersRefused
from pvscan.inventory import Inventory, database_errors, display_target, is_postgres
from pvscan.model import Settings
from pvscan.scan import RootUnreachable, ScanInterrupted, ScanLocked, check_roots, normalise_root
from pvscan.scan import scan as run_scan
from pvscan.util.i18n import t, type_name
from pvscan.util.paths import create_private
from pvscan.workflows.export import dumps, open_output, write_jsonl
from pvscan.workflows.find import find as run_find


@click.command()
@click.argument("paths", nargs=-1)
@db_option
@click.option(
    "--jsonl", "jsonl", metavar="FILE|-", help="Also write every finding and unscannable item as JSON Lines."
)
@click.option(
    "--reveal",
    is_flag=True,
    help="Store and output raw identifiers (default: masked values and keyed hashes only).",
)
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Worker processes (default: number of cores; 0 = in this process, no limits).",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No progress and no summary (for cron); the exit code tells the outcome.",
)
@click.option("--full", is_flag=True, help="Read every item again, even if unchanged since the last scan.")
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Skip files and folders matching GLOB (name or full path). Repeatable.",
)
@click.option(
    "--no-ocr", is_flag=True, help="Do not OCR image-only pages and images (they are reported as not read)."
)
@click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links (loops are detected).")
@click.option("--no-synthetic", is_flag=True, help="Leave out synthetic test numbers (Tenor, FHI SyntPop).")
@click.option(
    "--min-confidence",
    type=click.Choice(["low", "medium", "high"]),
    default="medium",
    show_default=True,
    help="Lowest confidence a finding needs to be kept.",
)
@click.option(
    "--rules", type=click.Path(exists=True, dir_okay=False), help="Your organisation's extra rules (TOML)."
)
@click.option(
    "--time-limit",
    type=float,
    default=120.0,
    show_default=True,
    help="Seconds one file may take before it is given up.",
)
@click.option(
    "--memory-limit",
    type=int,
    default=1536,
    show_default=True,
    help="MiB one worker may use before its file is given up.",
)
@click.option("--log", "log_file", type=click.Path(dir_okay=False), help="Append JSON log records to FILE.")
@click.option(
    "--broker",
    envvar="PVSCAN_BROKER",
    metavar="URL",
    help="Have `pvscan worker` processes read the items, through this RabbitMQ broker "
    "(amqp://…; default: $PVSCAN_BROKER). This process walks and writes the inventory.",
)
@click.option(
    "--batch",
    type=int,
    default=8,
    show_default=True,
    help="Items per task sent to the workers (with --broker).",
)
def scan(
    paths: tuple[str, ...],
    db: str | None,
    jsonl: str | None,
    reveal: bool,
    workers: int | None,
    quiet: bool,
    full: bool,
    exclude: tuple[str, ...],
    no_ocr: bool,
    follow_symlinks: bool,
    no_synthetic: bool,
    min_confidence: str,
    rules: str | None,
    time_limit: float,
    memory_limit: int,
    log_file: str | None,
    broker: str | None,
    batch: int,
) -> None:
    """Scan folders, shares (smb://…), mailboxes (imaps://…) or Microsoft 365 (m365://…) for personal data.

    PATHS default to your home folder. The inventory is updated incrementally: files
    unchanged since the last scan are not read again, and an interrupted scan resumes.
    """
    roots = [normalise_root(p) for p in (paths or (os.path.expanduser("~"),))]
    settings = Settings(
        reveal=reveal,
        ocr=not no_ocr,
        include_synthetic=not no_synthetic,
        min_confidence=min_confidence,
        rules_file=os.path.abspath(rules) if rules else None,
        follow_symlinks=follow_symlinks,
        exclude=tuple(exclude),
        time_limit=time_limit,
        memory_limit=memory_limit * 2**20,
    )
    dbp = resolve_db(db)
    try:
        check_roots(roots, _known_roots(dbp))
    except RootUnreachable as exc:
        key = "scan.no_root_known" if exc.scanned_before else "scan.no_root"
        raise click.UsageError(t(key, root=exc.root, reason=exc.reason)) from exc
    progress = Progress(quiet=quiet)
    log = _open_log(log_file)

    def on_progress(rec: dict[str, Any]) -> None:
        progress(rec)
        if log:
            log.write(json.dumps(rec) + "\n")
            log.flush()

    try:
        summary = run_scan(
            roots,
            dbp,
            settings=settings,
            workers=workers,
            full=full,
            progress=on_progress,
            broker=broker,
            batch=batch,
        )
    except ScanLocked as exc:
        click.echo(t("scan.locked", error=exc), err=True)
        sys.exit(EXIT_LOCKED)
    except ScanInterrupted as exc:
        progress.done()
        click.echo(t("scan.interrupted", error=exc), err=True)
        sys.exit(EXIT_INTERRUPTED)
    except WorkersRefused as exc:
        progress.done()
        click.echo(t("scan.refused", error=exc), err=True)
        sys.exit(EXIT_FATAL)
    except (*database_errors(), OSError) as exc:
        progress.done()
        click.echo(t("scan.dberror", db=display_target(dbp), error=exc), err=True)
        sys.exit(EXIT_FATAL)
    progress.done()
    sd = summary.as_dict()
    if log:
        log.write(json.dumps({"event": "summary", **{k: v for k, v in sd.items() if k != "roots"}}) + "\n")
        log.close()
    if jsonl:
        try:
            with Inventory(dbp, readonly=True) as inv:
                out = open_output(jsonl)
                try:
                    write_jsonl(out, inv, summary.roots, reveal, sd, summary.scan_id)
                finally:
                    if out is not sys.stdout:
                        out.close()
        except database_errors() as exc:  # the scan is stored; only its listing failed
            click.echo(t("scan.dberror", db=display_target(dbp), error=exc), err=True)
            sys.exit(EXIT_FATAL)
    if not quiet:
        _print_summary(sd, dbp, to_stderr=jsonl == "-")
    sys.exit(EXIT_PARTIAL if summary.problems else EXIT_OK)


def _known_roots(db: str) -> list[str]:
    """The roots earlier scans walked (none when there is no inventory yet)."""
    if not is_postgres(db) and not os.path.exists(db):
        return []
    try:
        with Inventory(db, readonly=True) as inv:
            return inv.scanned_roots()
    except (*database_errors(), FileNotFoundError):  # no inventory yet
        return []


def _open_log(path: str | None):  # type: ignore[no-untyped-def]
    if not path:
        return None

    create_private(path)
    return open(path, "a", encoding="utf-8")


def _print_summary(s: dict[str, Any], db: str, to_stderr: bool) -> None:
    def echo(m: str) -> None:
        click.echo(m, err=to_stderr)

    echo(t("summary.scanned", **s))
    echo(t("summary.changes", **s))
    if s["findings"]:
        echo(t("summary.findings"))
        for typ, n in sorted(s["findings"].items(), key=lambda kv: -kv[1]):
            echo(f"    {type_name(typ)}: {n}")
    else:
        echo(t("summary.none"))
    if s["problems"]:
        echo(t("summary.problems", problems=s["problems"]))
    skipped = s.get("skipped") or {}
    if skipped:
        echo(t("summary.skipped", program=skipped.get("program", 0), media=skipped.get("media", 0)))
    echo(t("summary.db", db=display_target(db)))


@click.command()
@person_key_options
@db_option
@click.option("--jsonl", "jsonl", metavar="FILE|-", help="Write the hits as JSON Lines (values masked).")
def find(
    numbers: tuple[str, ...],
    accounts: tuple[str, ...],
    names: tuple[str, ...],
    birth: str | None,
    emails: tuple[str, ...],
    phones: tuple[str, ...],
    db: str | None,
    jsonl: str | None,
) -> None:
    """Every file and mail item in the inventory that holds one person's number, name,
    e-mail address or phone number.

    Matches by keyed hash, so it works on inventories made without --reveal. A
    mistyped number (check digits, impossible date) is refused with exit code 2.
    """
    keys = person_keys(numbers, accounts, names, birth, emails, phones)
    try:
        hits = run_find(resolve_db(db), keys)
    except FileNotFoundError as exc:
        click.echo(f"pvscan: {exc}", err=True)
        sys.exit(EXIT_FATAL)
    if jsonl:
        out = open_output(jsonl)
        for h in hits:
            out.write(dumps(h.as_record()) + "\n")
        if out is not sys.stdout:
            out.close()
        return
    named = {h.found_by for h in hits}
    for k in keys:
        if k.is_name and "navn" not in named:
            click.echo(t("find.name_none", name=k.shown))
    if not hits:
        if not all(k.is_name for k in keys):
            click.echo(t("find.none"))
        return
    files = sorted({h.file for h in hits})
    click.echo(t("find.some", n=len(files)))
    for h in hits:
        where = " / ".join(x for x in (h.item, h.location) if x)
        weak = " – " + t("wf.access.how_name") if h.found_by == "navn" else ""
        click.echo(f"  {h.file}" + (f"  [{where}]" if where else "") + f"  ({h.type}, {h.masked}){weak}")


@click.command()
def plugins() -> None:
    """List loaded plugins (built-in and installed) with their hooks."""
    pm = make_plugin_manager()
    for p in plugin_list(pm):
        click.echo(f"{p['name']:<14} {p['module']:<34} {p['dist']:<16} {p['hooks']}")


@hookimpl
def pvscan_register_commands(cli: click.Group) -> None:
    for command in (scan, find, plugins):
        cli.add_command(command)
