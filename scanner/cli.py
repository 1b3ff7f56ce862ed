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
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from typing import Any

import click

from . import __version__
from .i18n import LANGS, t, type_name
from .manager import make_plugin_manager, plugin_list
from .model import Settings
from .paths import default_db

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_LOCKED, EXIT_FATAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False),
    default=None,
    help="Inventory database (SQLite). Default: $PVSCAN_HOME/inventory.sqlite, else ~/.local/share/pvscan/inventory.sqlite.",
)


def resolve_db(db: str | None) -> str:
    return db or os.environ.get("PVSCAN_DB") or str(default_db())


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


@main.command()
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
) -> None:
    """Scan folders, shares (smb://…) or mailboxes (imaps://…) for personal data.

    PATHS default to your home folder. The inventory is updated incrementally: files
    unchanged since the last scan are not read again, and an interrupted scan resumes.
    """
    from .inventory import Inventory
    from .output import open_output, write_jsonl
    from .progress import Progress
    from .scan import ScanInterrupted, ScanLocked, normalise_root
    from .scan import scan as run_scan

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
    progress = Progress(quiet=quiet)
    log = _open_log(log_file)

    def on_progress(rec: dict[str, Any]) -> None:
        progress(rec)
        if log:
            log.write(json.dumps(rec) + "\n")
            log.flush()

    try:
        summary = run_scan(roots, dbp, settings=settings, workers=workers, full=full, progress=on_progress)
    except ScanLocked as exc:
        click.echo(t("scan.locked", error=exc), err=True)
        sys.exit(EXIT_LOCKED)
    except ScanInterrupted as exc:
        progress.done()
        click.echo(t("scan.interrupted", error=exc), err=True)
        sys.exit(EXIT_INTERRUPTED)
    except (sqlite3.Error, OSError) as exc:
        progress.done()
        click.echo(t("scan.dberror", db=dbp, error=exc), err=True)
        sys.exit(EXIT_FATAL)
    progress.done()
    sd = summary.as_dict()
    if log:
        log.write(json.dumps({"event": "summary", **{k: v for k, v in sd.items() if k != "roots"}}) + "\n")
        log.close()
    if jsonl:
        with Inventory(dbp, readonly=True) as inv:
            out = open_output(jsonl)
            try:
                write_jsonl(out, inv, summary.roots, reveal, sd, summary.scan_id)
            finally:
                if out is not sys.stdout:
                    out.close()
    if not quiet:
        _print_summary(sd, dbp, to_stderr=jsonl == "-")
    sys.exit(EXIT_PARTIAL if summary.problems else EXIT_OK)


def _open_log(path: str | None):  # type: ignore[no-untyped-def]
    if not path:
        return None
    from .paths import create_private

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
    echo(t("summary.db", db=db))


@main.command()
@click.option(
    "--fnr", "numbers", multiple=True, metavar="NUMBER", help="Fødselsnummer or D-nummer (repeatable)."
)
@click.option(
    "--kontonummer",
    "accounts",
    multiple=True,
    metavar="NUMBER",
    help="Account number or NO-IBAN (repeatable).",
)
@db_option
@click.option("--jsonl", "jsonl", metavar="FILE|-", help="Write the hits as JSON Lines (values masked).")
def find(numbers: tuple[str, ...], accounts: tuple[str, ...], db: str | None, jsonl: str | None) -> None:
    """Every file and mail item in the inventory that holds one person's number.

    Matches by keyed hash, so it works on inventories made without --reveal.
    """
    from .find import find as run_find
    from .output import dumps, open_output

    wanted = list(numbers) + list(accounts)
    if not wanted:
        raise click.UsageError("give at least one --fnr or --kontonummer")
    try:
        hits = run_find(resolve_db(db), wanted)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
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
    if not hits:
        click.echo(t("find.none"))
        return
    files = sorted({h.file for h in hits})
    click.echo(t("find.some", n=len(files)))
    for h in hits:
        where = " / ".join(x for x in (h.item, h.location) if x)
        click.echo(f"  {h.file}" + (f"  [{where}]" if where else "") + f"  ({h.type}, {h.masked})")


@main.command()
def plugins() -> None:
    """List loaded plugins (built-in and installed) with their hooks."""
    pm = make_plugin_manager()
    for p in plugin_list(pm):
        click.echo(f"{p['name']:<14} {p['module']:<34} {p['dist']:<16} {p['hooks']}")


#: Modules of the core that add their own commands (each has ``register(group)``).
#: Kept apart so each workflow lives in its own module with its own tests.
COMMAND_MODULES = (
    "pvscan.workflow_cli",
    "pvscan.bench",
    "pvscan.fuzz",
    "pvscan.reliability",
)


def _register_core_commands() -> None:
    import importlib

    for name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # not written yet / left out of a build
                continue
            raise
        mod.register(main)


def _register_plugin_commands() -> None:
    try:
        pm = make_plugin_manager()
        pm.hook.pvscan_register_commands(cli=main)
    except Exception as exc:  # noqa: BLE001 - the core commands must keep working
        click.echo(f"pvscan: a plugin failed to add its commands: {exc}", err=True)


_register_core_commands()
_register_plugin_commands()
