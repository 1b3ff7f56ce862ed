"""The web app's commands: ``serve``, ``route``, ``notify`` and ``restore``.

Each is a thin layer: ``serve`` routes the inventory's items to their owners and starts
:mod:`pvscan.web`; ``route`` does only the routing (run it after a scan from cron);
``notify`` sends the e-mail digests; ``restore`` moves a quarantined file back.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import threading
import time
from urllib.parse import urlsplit

import click

from pvscan import hookimpl
from pvscan.cli.options import db_opt, resolve_db
from pvscan.inventory import Inventory
from pvscan.util.i18n import default_lang
from pvscan.web.server import make
from pvscan.web.state import AUTH_MODES, WebState
from pvscan.workflows import notify as notify_wf
from pvscan.workflows import org as org_wf
from pvscan.workflows.handling import restore_path
from pvscan.workflows.owners import route
from pvscan.workflows.review import current_user

#: How often ``serve`` checks whether a scan changed the inventory (then routes again):
#: one cheap query on the scans table.
REROUTE_SECONDS = float(os.environ.get("PVSCAN_REROUTE_SECONDS", "15"))

config_opt = click.option(
    "--config",
    "config",
    type=click.Path(exists=True, dir_okay=False),
    envvar="PVSCAN_WEB_CONFIG",
    help="Organisation file (TOML): users, units and leaders, roots, retention, SMTP, OIDC.",
)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _route(db: str, org: org_wf.Org) -> int:
    with Inventory(db) as inv:
        return route(inv, org)


def _scan_mark(inv: Inventory) -> tuple[int, str] | None:
    """What changes when a scan finishes: the newest scan and its end; ``None`` while it
    runs (routing waits: its write would race the scan's own transactions)."""
    last = inv.last_scan_id()
    row = inv.scan(last) if last else None
    if row is not None and row["status"] == "running":
        return None
    return last, (row["finished"] or "") if row is not None else ""


def _reroute_loop(db: str, org: org_wf.Org, first: bool) -> None:
    """Route again when a scan finished since the last time (daemon thread; not while
    a scan runs);
    with ``first``, route once right away (the pages show the previous routing meanwhile)."""
    with Inventory(db) as inv:
        seen: object = object() if first else _scan_mark(inv)  # first: differs from any mark
    while True:
        try:
            with Inventory(db) as inv:
                now = _scan_mark(inv)
                if now is not None and now != seen:
                    route(inv, org)
                    seen = now
        except Exception as exc:  # noqa: BLE001 - keep serving; say why
            click.echo(f"pvscan serve: routing failed: {exc}", err=True)
        time.sleep(REROUTE_SECONDS)


@hookimpl
def pvscan_register_commands(cli: click.Group) -> None:
    @cli.command("serve")
    @db_opt
    @config_opt
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", default=8765, show_default=True, type=int, help="Port to listen on.")
    @click.option(
        "--auth",
        type=click.Choice(AUTH_MODES),
        default="local",
        show_default=True,
        help="local: one person, a one-time link; header: X-Remote-User from a reverse proxy; oidc: OpenID Connect.",
    )
    @click.option(
        "--dpo",
        multiple=True,
        metavar="USER",
        help="Privacy officer (sees the whole organisation). Repeatable.",
    )
    def serve(
        db: str | None, config: str | None, host: str, port: int, auth: str, dpo: tuple[str, ...]
    ) -> None:
        """Start the web app where findings reach their owners."""
        path = resolve_db(db)
        org = org_wf.load(config)
        if auth == "local" and not _loopback(host):
            raise click.UsageError("--auth local listens on 127.0.0.1 only")
        if auth == "oidc" and not (org.oidc.issuer and org.oidc.client_id):
            raise click.UsageError("--auth oidc needs [oidc] issuer and client_id in --config")
        with Inventory(path) as inv:
            _rows, routed_before = inv.routed_page(None, "all", limit=1)
        # A large inventory takes a while to route: when an earlier routing exists, serve
        # it at once and route again in the background.
        n = routed_before if routed_before else _route(path, org)
        state = WebState(path, org, auth, list(dpo), local_user=current_user() if auth == "local" else "")
        secure = org.secure_cookies if org.secure_cookies is not None else auth != "local"
        hosts = ["127.0.0.1", "localhost", "[::1]", host, *org.allowed_hosts]
        if org.base_url:
            hosts.append(urlsplit(org.base_url).hostname or "")
        server = make(state, host, port, secure, [h for h in hosts if h])
        threading.Thread(target=_reroute_loop, args=(path, org, bool(routed_before)), daemon=True).start()
        real_port = server.server_port
        click.echo(f"pvscan serve: {n} files with findings routed to their owners; auth={auth}")
        if auth == "local":
            click.echo(
                f"Open this link (works once): http://127.0.0.1:{real_port}/login?token={state.login_token}"
            )
        else:
            click.echo(f"Listening on http://{host}:{real_port}/")
        sys.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()

    @cli.command("route")
    @db_opt
    @config_opt
    def route_cmd(db: str | None, config: str | None) -> None:
        """Route every file with findings to its owner (run after a scan)."""
        n = _route(resolve_db(db), org_wf.load(config))
        click.echo(f"{n} files routed")

    @cli.command("notify")
    @db_opt
    @config_opt
    @click.option("--dry-run", is_flag=True, help="Print who would get a digest; send nothing.")
    def notify_cmd(db: str | None, config: str | None, dry_run: bool) -> None:
        """E-mail each owner a digest of new files with findings since the last one."""
        path = resolve_db(db)
        org = org_wf.load(config)
        with Inventory(path) as inv:
            route(inv, org)
            sent = notify_wf.send(inv, org, default_lang(), dry_run=dry_run)
        if sent and not dry_run and not org.smtp.enabled:
            click.echo("e-mail digests are switched off ([smtp] enabled = false)")
            return
        for d in sent:
            click.echo(f"{'would send' if dry_run else 'sent'}: {d.owner} ({d.items})")
        if not sent:
            click.echo("no digests due")

    @cli.command("restore")
    @click.argument("path")
    @db_opt
    @config_opt
    def restore_cmd(path: str, db: str | None, config: str | None) -> None:
        """Move a file deleted into quarantine back to its place (logged)."""
        try:
            done = restore_path(resolve_db(db), org_wf.load(config), path, current_user())
        except FileExistsError as exc:
            raise click.ClickException(f"a file is already at {exc}") from exc
        if not done:
            raise click.ClickException("not in quarantine (or purged after the retention period)")
        click.echo(f"restored: {path}")
