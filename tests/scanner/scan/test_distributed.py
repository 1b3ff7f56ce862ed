"""Scans spread over `pvscan worker` processes through a real RabbitMQ, into a real
PostgreSQL: the same findings as a one-machine scan, and nothing lost or doubled when a
worker, the coordinator, the broker or the database goes away mid-scan."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pvscan.inventory import Inventory
from pvscan.testing import make_fnr

pytestmark = [pytest.mark.server, pytest.mark.slow]

PVSCAN = [str(Path(sys.executable).with_name("pvscan"))]
RNG = random.Random(20261203)


def _corpus(root: Path, n: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        sub = root / f"avd{i % 4}"
        sub.mkdir(exist_ok=True)
        body = f"Sak {i}\nFødselsnummer: {make_fnr(rng=RNG)}\n" if i % 3 else f"Møtereferat {i}\n"
        (sub / f"dok{i:03d}.txt").write_text(body, encoding="utf-8")


class Workers:
    """``pvscan worker`` processes, each in its own process group."""

    def __init__(self, broker: str, env: dict[str, str], log: Path):
        self.broker, self.env, self.log = broker, env, log
        self.procs: list[subprocess.Popen] = []

    def start(self, n: int = 1, env: dict[str, str] | None = None) -> list[subprocess.Popen]:
        new = []
        for _ in range(n):
            with open(self.log, "ab") as out:
                p = subprocess.Popen(
                    [*PVSCAN, "worker", "--broker", self.broker, "--concurrency", "1", "--loglevel", "INFO"],
                    env={**self.env, **(env or {})},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            new.append(p)
        self.procs += new
        return new

    def kill(self, p: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, sig)
        p.wait(timeout=30)

    def stop_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill(p)
        self.procs = []


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("PVSCAN_", "CELERY"))}
    e["PVSCAN_HOME"] = str(tmp_path / "home")
    e["PVSCAN_LANG"] = "en"
    return e


@pytest.fixture
def workers(rabbitmq, env, tmp_path) -> Iterator[Workers]:
    _purge(rabbitmq)
    w = Workers(rabbitmq.url, env, tmp_path / "workers.log")
    try:
        yield w
    finally:
        w.stop_all()


def _purge(broker) -> None:
    """Each test starts from empty queues (a killed coordinator leaves batches behind)."""
    for q in ("pvscan.items", "pvscan.dead"):
        with contextlib.suppress(subprocess.CalledProcessError):
            broker.ctl("purge_queue", q)


def scan_cmd(root: Path, db: str, jsonl: Path, broker: str | None, *extra: str) -> list[str]:
    cmd = [*PVSCAN, "scan", str(root), "--db", db, "--jsonl", str(jsonl), "-q", *extra]
    if broker:
        cmd += ["--broker", broker, "--batch", "4"]
    return cmd


def findings(jsonl: Path) -> list[str]:
    """The JSON Lines output without what differs between runs, sorted."""
    out = []
    for line in jsonl.read_text().splitlines():
        rec = json.loads(line)
        if rec.get("type") == "summary":
            continue
        rec.pop("elapsed", None)
        out.append(json.dumps(rec, sort_keys=True))
    return sorted(out)


def inventory(db: str) -> list[tuple]:
    """The inventory's content: each live item's state and findings (no ids or times)."""
    with Inventory(db, readonly=True) as inv:
        rows = []
        for item in inv.live_items():
            fs = sorted(
                (f["type"], f["masked"], f["hash"], f["location"], f["count"])
                for f in inv.findings_for(item["id"])
            )
            rows.append((item["display"], item["status"], item["reason"], item["size"], tuple(fs)))
        return rows


def local_reference(tmp_path: Path, root: Path, env: dict[str, str]) -> tuple[list[str], list[tuple]]:
    db, out = tmp_path / "ref.sqlite", tmp_path / "ref.jsonl"
    r = subprocess.run(
        scan_cmd(root, str(db), out, None, "--workers", "1"),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    return findings(out), inventory(str(db))


def test_two_workers_give_the_same_findings_as_one_machine(tmp_path, env, workers, rabbitmq, pg_url):
    root = tmp_path / "share"
    _corpus(root, 40)
    ref_findings, ref_inv = local_reference(tmp_path, root, env)
    assert len(ref_findings) >= 20
    workers.start(2)
    out = tmp_path / "dist.jsonl"
    r = subprocess.run(
        scan_cmd(root, pg_url, out, rabbitmq.url), env=env, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr + (tmp_path / "workers.log").read_text()[-3000:]
    assert findings(out) == ref_findings
    assert inventory(pg_url) == ref_inv
    # Both workers took part (each batch is logged by the worker that ran it).
    log = (tmp_path / "workers.log").read_text()
    assert log.count("succeeded in") >= 2
