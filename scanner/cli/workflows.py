"""The users' workflow commands: access-request, delete, keep, review, report,
checklist, self-check. Each is a thin layer over one library function in
:mod:`pvscan.workflows.access`, :mod:`pvscan.workflows.deletion`, :mod:`pvscan.workflows.review`,
:mod:`pvscan.workflows.checklist`, :mod:`pvscan.workflows.selfcheck` and the report writers."""

from __future__ import annotations

import os
import sys
import webbrowser

import click

from pvscan import hookimpl
from pvscan.cli.options import acct_opt, db_opt, fnr_opt, person_key_options, person_keys, resolve_db
from pvscan.inventory import Inventory
from pvscan.scan import normalise_root
from pvscan.util.i18n import default_lang, t
from pvscan.util.paths import data_dir
from pvscan.workflows import deletion
from pvscan.workflows.access import access_request
from pvscan.workflows.checklist import write_checklist
from pvscan.workflows.reportdata import InsideScannedTree, build, private_dir, report_writers
from pvscan.workflows.review import STATUSES, hashes_for, set_status
from pvscan.workflows.selfcheck import self_check

STATUS_CHOICE = click.Choice(list(STATUSES))


def _db(db: str | None) -> str:
    return resolve_db(db)


def _ids(numbers: tuple[str, ...], accounts: tuple[str, ...]) -> list[str]:
    """The numbers typed for ``delete`` and ``review``, checked (a mistyped number is a
    usage error, exit 2, before any plan is written) and normalised to their digits."""
    if not numbers and not accounts:
        return []
    return [k.values[0] for k in person_keys(numbers, accounts)]


def _fatal(exc: Exception) -> None:
    click.echo(f"pvscan: {exc}", err=True)
    sys.exit(4)


@hookimpl
def pvscan_register_commands(cli: click.Group) -> None:
    """Add the workflow commands to the ``pvscan`` group."""
    main = cli

    @main.command("access-request")
    @person_key_options
    @db_opt
    @click.option(
        "--out",
        required=True,
        type=click.Path(file_okay=False),
        help="Case folder to write (created owner-only).",
    )
    @click.option(
        "--copies",
        is_flag=True,
        help="Also write copies of txt/docx/xlsx/pdf files with other persons' identifiers redacted.",
    )
    @click.option("--allow-inside-scanned", is_flag=True, help="Allow a case folder inside a scanned folder.")
    def access_request_cmd(
        numbers, accounts, names, birth, emails, phones, db, out, copies, allow_inside_scanned
    ):  # type: ignore[no-untyped-def]
        """Answer an access request (innsyn): every file and mail item holding one
        person's numbers, name, e-mail address or phone number, as an overview (XLSX +
        printable HTML) with the facts for the reply letter and how each item was found
        (a name alone is marked for the caseworker to confirm), and optionally redacted
        copies. Originals are never changed. A mistyped number is refused (exit 2)
        and no case folder is written."""
        wanted = person_keys(numbers, accounts, names, birth, emails, phones)
        lang = default_lang()
        try:
            res = access_request(
                _db(db), wanted, out, copies=copies, lang=lang, allow_inside=allow_inside_scanned
            )
        except InsideScannedTree as exc:
            raise click.UsageError(str(exc)) from exc
        except (FileNotFoundError, OSError) as exc:
            _fatal(exc)
        if not res.items:
            click.echo(t("wf.access.none", lang))
        if not any("navn" in i.found_by for i in res.items):
            for k in wanted:
                if k.is_name:  # a name found nowhere is said so, not left as silence
                    click.echo(t("find.name_none", lang, name=k.shown))
        click.echo(
            t("wf.access.done", lang, out=res.out, n=len(res.items), copies=res.copies, manual=res.manual)
        )
        for f in res.files[:2]:
            click.echo(f"  {f}")

    @main.command("delete")
    @fnr_opt
    @acct_opt
    @db_opt
    @click.option("--folder", help="Only items in this folder.")
    @click.option(
        "--type",
        "types",
        multiple=True,
        metavar="TYPE",
        help="Only items with findings of this type (helse, fodselsnummer …).",
    )
    @click.option(
        "--kind",
        "kinds",
        multiple=True,
        metavar="FORMAT",
        help="Only files of this format (pdf, docx, eml …).",
    )
    @click.option(
        "--older-than", type=int, metavar="DAYS", help="Only files last modified more than DAYS ago."
    )
    @click.option("--owner", help="Only items belonging to this user.")
    @click.option("--execute", is_flag=True, help="Act on the plan (default: only write the plan).")
    @click.option("--permanent", is_flag=True, help="Delete at once instead of moving to quarantine.")
    @click.option(
        "--quarantine",
        type=click.Path(file_okay=False),
        help="Quarantine folder (default: pvscan's data folder).",
    )
    @click.option(
        "--retention-days", type=int, default=30, show_default=True, help="Days quarantined files are kept."
    )
    @click.option(
        "--audit-log",
        type=click.Path(dir_okay=False),
        help="Append-only audit log (default: pvscan's data folder).",
    )
    @click.option("--plan-dir", type=click.Path(file_okay=False), help="Where the plan is written.")
    @click.option("--case", default="", help="Case/reference number recorded in the audit log.")
    @click.option(
        "--purge-expired", is_flag=True, help="Only empty quarantine batches past their retention date."
    )
    def delete_cmd(
        numbers,
        accounts,
        db,
        folder,
        types,
        kinds,
        older_than,
        owner,
        execute,
        permanent,
        quarantine,
        retention_days,
        audit_log,
        plan_dir,
        case,
        purge_expired,
    ):  # type: ignore[no-untyped-def]
        """Delete on request (sletting), plan first: by person (--fnr) or filters.
        Without --execute nothing is touched; the plan says what would go, what is
        kept and why. Changed files are refused; keep marks are respected."""
        lang = default_lang()
        if purge_expired:
            n = deletion.purge_quarantine(quarantine, audit_log)
            click.echo(str(n))
            return
        sel = deletion.Selection(
            hashes=hashes_for(_ids(numbers, accounts)),
            folder=folder,
            types=tuple(types),
            kinds=tuple(kinds),
            older_than_days=older_than,
            owner=owner,
        )
        try:
            p = deletion.plan(_db(db), sel, "delete" if permanent else "quarantine")
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        out_dir = plan_dir or os.path.join(str(data_dir()), "sletteplaner")
        paths = deletion.write_plan(p, out_dir, lang)
        for e in p.entries:
            click.echo(
                f"  [{t('wf.del.act.' + e.action, lang)}] {e.display}"
                + (f" – {deletion.reason_text(e, lang)}" if e.reason else "")
            )
        removable = p.count("quarantine") + p.count("delete")
        if not execute:
            click.echo(
                t(
                    "wf.del.plan_done",
                    lang,
                    delete=removable,
                    keep=p.count("keep"),
                    refuse=p.count("refuse"),
                    manual=p.count("manual"),
                    path=paths[1],
                )
            )
            return
        log = audit_log or deletion.default_audit_log()
        deletion.execute(_db(db), p, log, quarantine, retention_days, case)
        done = p.count("quarantine") + p.count("delete")
        click.echo(t("wf.del.exec_done", lang, done=done, refused=p.count("refuse"), log=log))
        sys.exit(1 if p.count("refuse") else 0)

    @main.command("keep")
    @click.argument("path")
    @db_opt
    @click.option("--reason", help="Why it must be kept (legal hold, arkivlova …). Required unless --remove.")
    @click.option("--until", metavar="YYYY-MM-DD", help="Keep mark expires after this date.")
    @click.option("--remove", is_flag=True, help="Remove the keep mark.")
    def keep_cmd(path, db, reason, until, remove):  # type: ignore[no-untyped-def]
        """Mark a file or folder as kept with a reason; later deletion plans keep it."""
        if remove:
            deletion.unkeep(_db(db), path)
            return
        if not reason:
            raise click.UsageError("--reason is required")
        deletion.keep(_db(db), path, reason, until)
        click.echo(t("wf.keep.done", default_lang(), path=path, reason=reason))

    @main.command("review")
    @click.argument("path")
    @click.option("--status", type=STATUS_CHOICE, required=True, help="New review status.")
    @fnr_opt
    @acct_opt
    @click.option(
        "--value-hash",
        "value_hashes",
        multiple=True,
        metavar="HASH",
        help="A finding's hash (from the JSON/CSV report).",
    )
    @click.option(
        "--everywhere", is_flag=True, help="With false_positive: ignore this value in every file from now on."
    )
    @click.option("--reason", default="", help="Why (recorded).")
    @db_opt
    def review_cmd(path, status, numbers, accounts, value_hashes, everywhere, reason, db):  # type: ignore[no-untyped-def]
        """Set the review status of a file, or of one value in it. A false positive
        becomes an exception later scans honour (in this file, or --everywhere)."""
        hashes = hashes_for(_ids(numbers, accounts)) + list(value_hashes)
        path = os.path.abspath(path) if "://" not in path else path
        try:
            with Inventory(_db(db)) as inv:
                if inv.lookup(path) is None:
                    raise click.UsageError(f"{path} is not in the inventory")
                for h in hashes or [""]:
                    set_status(inv, path, status, reason, h, everywhere)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        click.echo(t("wf.review.done", default_lang(), n=len(hashes) or 1, status=t("wf.status." + status)))

    @main.command("report")
    @db_opt
    @click.option(
        "--format",
        "fmt",
        default="html",
        show_default=True,
        help="html, xlsx, csv, json, or a plugin's format.",
    )
    @click.option("--out", type=click.Path(), help="File or folder to write (default: pvscan's data folder).")
    @click.option("--owner", help="Only items belonging to this user.")
    @click.option("--status", type=STATUS_CHOICE, help="Only findings with this review status.")
    @click.option("--root", "roots", multiple=True, help="Only items under this folder (repeatable).")
    @click.option("--allow-inside-scanned", is_flag=True, help="Allow writing inside a scanned folder.")
    def report_cmd(db, fmt, out, owner, status, roots, allow_inside_scanned):  # type: ignore[no-untyped-def]
        """Write a report (HTML with charts, XLSX, CSV, JSON) with masked values and
        the coverage record. Norwegian bokmål by default; --lang nn or en."""
        path = write_report(
            _db(db),
            fmt,
            out,
            owner,
            status,
            list(roots),
            default_lang(),
            allow_inside_scanned,
            build=build,
            private_dir=private_dir,
            inside=InsideScannedTree,
        )
        for p in path:
            click.echo(t("wf.report.written", default_lang(), path=p))

    @main.command("checklist")
    @click.argument("paths", nargs=-1)
    @db_opt
    @click.option(
        "--owner", help="Fill in for this user's items (default: the given folders, else your home folder)."
    )
    @click.option(
        "--out", type=click.Path(file_okay=False), help="Folder for sjekkliste.docx and sjekkliste.html."
    )
    def checklist_cmd(paths, db, owner, out):  # type: ignore[no-untyped-def]
        """The unstructured-data checklist (handbook 9.1) as DOCX and HTML, filled in
        from the inventory; scan the folders first with `pvscan scan`."""
        roots = [normalise_root(p) for p in paths] or (None if owner else [os.path.expanduser("~")])
        out = private_dir(out or os.path.join(str(data_dir()), "sjekkliste"), None)
        scope = ", ".join(roots or []) or (owner or "")
        try:
            files, _ = write_checklist(_db(db), out, scope, roots=roots, owner=owner, lang=default_lang())
        except FileNotFoundError as exc:
            _fatal(exc)
        click.echo(t("wf.chk.written", default_lang(), paths=", ".join(files)))

    @main.command("self-check")
    @db_opt
    @click.option(
        "--home",
        type=click.Path(exists=True, file_okay=False),
        help="Folder to check (default: your home folder).",
    )
    @click.option(
        "--mailbox",
        "mailboxes",
        multiple=True,
        help="Also scan this mailbox (Maildir/mbox path or imaps:// URL).",
    )
    @click.option("--out", type=click.Path(file_okay=False), help="Where to write the report and checklist.")
    @click.option("--open", "open_browser", is_flag=True, help="Open the report in the browser.")
    @click.option("--workers", type=int, default=None, help="Worker processes (0 = in this process).")
    def self_check_cmd(db, home, mailboxes, out, open_browser, workers):  # type: ignore[no-untyped-def]
        """Check your own home folder (and mailbox): scan, personal report, pre-filled
        checklist, and what to do next."""
        lang = default_lang()
        click.echo(t("wf.self.scanning", lang, roots=", ".join([home or "~", *mailboxes])), err=True)
        res = self_check(_db(db), home, tuple(mailboxes), out, lang, workers)
        tt = res.totals
        click.echo(
            t(
                "wf.self.found",
                lang,
                findings=tt["findings"],
                items=tt["items"],
                sensitive=tt["sensitive_items"],
            )
        )
        click.echo(t("wf.self.report", lang, path=res.report))
        click.echo(t("wf.self.checklist", lang, paths=", ".join(res.checklist)))
        if tt["items"]:
            click.echo(t("wf.self.next", lang))
            for i in range(1, 6):
                click.echo("  " + t(f"wf.self.next{i}", lang))
        else:
            click.echo(t("wf.self.clean", lang))
        if open_browser:
            webbrowser.open("file://" + res.report)


def write_report(db, fmt, out, owner, status, roots, lang, allow_inside, build, private_dir, inside):  # type: ignore[no-untyped-def]
    """Pick the writer plugin for ``fmt`` and write; returns the paths written."""
    writers = report_writers()
    if fmt not in writers:
        raise click.UsageError(f"unknown format {fmt!r}; available: {', '.join(sorted(writers))}")
    out = out or str(data_dir() / "rapporter")
    target_dir = out if not os.path.splitext(out)[1] else os.path.dirname(os.path.abspath(out))
    try:
        private_dir(target_dir, db, allow_inside)
    except inside as exc:
        raise click.UsageError(str(exc)) from exc
    try:
        data = build(db, owner=owner, status=status, roots=roots or None, lang=lang)
    except FileNotFoundError as exc:
        _fatal(exc)
    return writers[fmt].write(data, out, fmt, lang)
