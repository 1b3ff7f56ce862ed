"""``python -m tools bench-web``: server time of the web app's pages on a large inventory.

Not a test. Builds (once, then reused) an inventory of ``--files`` files with
``--per-file`` findings each (default 100,000 × 10 = 1,000,000 findings) through the
inventory's own ``store_result``, spread over ``--users`` home folders in 50 units with
a leader each, a share routed to a fallback person and a root nobody owns; routes it;
then requests every page through Django's test client as the right person (header
sign-in) and prints the median and 95th percentile of the server time per page.

The target is under 300 ms at the 95th percentile for the employee, leader and
privacy-officer pages. The routing itself (done by ``pvscan serve`` at start and after
each scan, not per request) is timed too.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import click

from pvscan.identity import masking
from pvscan.inventory import Inventory
from pvscan.model import Finding, ItemRef, ItemResult
from pvscan.testing import make_fnr
from pvscan.web import settings as web_settings
from pvscan.web.state import WebState, install
from pvscan.workflows.org import from_dict
from pvscan.workflows.owners import route

TYPES = ("fodselsnummer", "kontonummer", "telefon", "epost")


def build(db: str, files: int, per_file: int, users: int, seed: int) -> None:
    rng = random.Random(seed)
    people = [make_fnr(rng=rng) for _ in range(5000)]
    with Inventory(db) as inv:
        scan_id, _resumed = inv.start_scan(["/srv"], "bench", {}, [], True)
        now = time.time_ns()
        for i in range(files):
            if i % 10 == 9:
                url = f"/srv/felles/avd{i % 37}/dok{i}.xlsx"
            elif i % 50 == 1:
                url = f"/srv/arkiv/gammelt/{i}.txt"
            else:
                url = f"/srv/home/u{i % users:04d}/mappe{i % 17}/fil{i}.docx"
            ref = ItemRef(
                "local", url, url, 20_000, now - rng.randint(0, 3650) * 86_400 * 10**9, f"1:{i}", "root"
            )
            findings = []
            for j in range(per_file):
                if j == 0 and i % 7 == 0:
                    findings.append(Finding("helse", "diagnose", f"avsnitt {j}"))
                    continue
                findings.append(
                    Finding(TYPES[j % 4] if j % 3 else "fodselsnummer", rng.choice(people), f"avsnitt {j}")
                )
            inv.store_result(scan_id, "/srv", ItemResult(ref, findings, kind="docx"), "bench", False, masking)
            if i % 2000 == 0:
                inv.commit()
        inv.commit()
        inv.finish_scan(scan_id, "done", {"files": files})


def org(users: int) -> dict:
    units = {f"e{u:02d}": {"name": f"Enhet {u:02d}", "leaders": [f"leder{u:02d}"]} for u in range(50)}
    return {
        "dpo": ["pvo"],
        "units": units,
        "users": {f"u{i:04d}": {"unit": f"e{i % 50:02d}"} for i in range(users)},
        "roots": [
            {"path": "/srv/home", "home": "/srv/home/{user}/", "retention_days": 1825},
            {"path": "/srv/felles", "remediator": "u0000", "retention_days": 3650},
        ],
        "retention_days": 3650,
    }


def timed(client, url: str) -> float:
    t0 = time.perf_counter()
    r = client.get(url)
    dt = time.perf_counter() - t0
    if r.status_code != 200:
        raise SystemExit(f"{url}: HTTP {r.status_code}")
    return dt * 1000


def register(cli: click.Group) -> None:
    @cli.command("bench-web")
    @click.option("--files", default=100_000, show_default=True)
    @click.option("--per-file", default=10, show_default=True)
    @click.option("--users", default=1000, show_default=True)
    @click.option("--runs", default=40, show_default=True, help="Requests per page.")
    @click.option("--db", default=None, help="Inventory to build or reuse (default: in the temp folder).")
    @click.option("--seed", default=1, show_default=True)
    def bench_web(files: int, per_file: int, users: int, runs: int, db: str | None, seed: int) -> None:
        """Median and p95 server time of each web page on a large inventory."""
        db = db or os.path.join(tempfile.gettempdir(), f"pvscan-bench-web-{files}x{per_file}.sqlite")
        os.environ.setdefault("PVSCAN_HOME", str(Path(tempfile.gettempdir()) / "pvscan-bench-web-home"))
        if not os.path.exists(db):
            t0 = time.perf_counter()
            build(db, files, per_file, users, seed)
            click.echo(
                f"built {db}: {files} files, {files * per_file} findings in {time.perf_counter() - t0:.0f} s"
            )
        organisation = from_dict(org(users))
        with Inventory(db) as inv:
            t0 = time.perf_counter()
            n = route(inv, organisation)
            click.echo(
                f"routing {n} files: {time.perf_counter() - t0:.1f} s (at start and after each scan, not per request)"
            )
            some_item = inv.routed_page("u0042", "open", limit=1)[0][0]["item_id"]
        web_settings.setup(secure_cookies=False)
        install(WebState(db, organisation, "header"))
        # Deferred: Django's test client needs the settings made just above.
        from django.test import Client

        def client(user: str) -> Client:
            return Client(REMOTE_ADDR="127.0.0.1", headers={"X-Remote-User": user})

        rng = random.Random(seed)
        pages = {
            "employee /": lambda: (client(f"u{rng.randrange(users):04d}"), "/"),
            "employee /?page=3": lambda: (client(f"u{rng.randrange(users):04d}"), "/?page=3&status=all"),
            "employee filter": lambda: (client(f"u{rng.randrange(users):04d}"), "/?type=helse&q=fil"),
            "employee item": lambda: (client("u0042"), f"/item/{some_item}"),
            "employee checklist": lambda: (client(f"u{rng.randrange(users):04d}"), "/checklist"),
            "fallback person /": lambda: (client("u0000"), "/"),
            "leader": lambda: (client(f"leder{rng.randrange(50):02d}"), "/leader"),
            "privacy officer": lambda: (client("pvo"), "/dpo"),
            "undistributed": lambda: (client("pvo"), "/dpo/undistributed?page=5"),
            "audit log": lambda: (client("pvo"), "/dpo/audit"),
        }
        click.echo(f"{'page':<22} {'median ms':>10} {'p95 ms':>10}   ({runs} requests each)")
        for name, make in pages.items():
            c, url = make()
            timed(c, url)  # warm-up
            times = []
            for _ in range(runs):
                c, url = make()
                times.append(timed(c, url))
            times.sort()
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            click.echo(f"{name:<22} {statistics.median(times):>10.1f} {p95:>10.1f}")
