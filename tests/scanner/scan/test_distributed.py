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
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pvscan.inventory import Inventory
from pvscan.testing import make_fnr

pytestmark = [pytest.mark.server, pytest.mark.slow]

PVSCAN = [str(Path(sys.executable).with_name("pvscan"))]
RNG = random.Random(20261203)
#: Coordinators a test started (killed at teardown if a failed test left one running).
_COORDINATORS: list[subprocess.Popen] = []


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


@pytest.fixture(scope="module")
def module_env(tmp_path_factory) -> dict[str, str]:
    """One installation (one key) for the module: the shared reference scan's hashes
    must be those of the distributed scans it is compared with."""
    e = {k: v for k, v in os.environ.items() if not k.startswith(("PVSCAN_", "CELERY"))}
    e["PVSCAN_HOME"] = str(tmp_path_factory.mktemp("home"))
    e["PVSCAN_LANG"] = "en"
    return e


@pytest.fixture
def env(module_env: dict[str, str]) -> dict[str, str]:
    return dict(module_env)


@pytest.fixture
def workers(rabbitmq, env, tmp_path) -> Iterator[Workers]:
    _purge(rabbitmq)
    w = Workers(rabbitmq.url, env, tmp_path / "workers.log")
    try:
        yield w
    finally:
        for proc in _COORDINATORS:  # a failed test's coordinator must not outlive it
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        _COORDINATORS.clear()
        w.stop_all()


def _purge(broker) -> None:
    """Each test starts from empty queues (a killed coordinator leaves batches behind)."""
    for q in ("pvscan.items", "pvscan.dead"):
        with contextlib.suppress(subprocess.CalledProcessError):
            broker.ctl("purge_queue", q)


def scan_cmd(root: Path, db: str, jsonl: Path, broker: str | None, *extra: str) -> list[str]:
    cmd = [*PVSCAN, "scan", str(root), "--db", db, "--jsonl", str(jsonl), "-q"]
    if broker:
        cmd += ["--broker", broker, "--batch", "4"]
    return cmd + list(extra)


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


@pytest.fixture(scope="module")
def shared(tmp_path_factory, module_env) -> tuple[Path, tuple[list[str], list[tuple]]]:
    """One 32-file share and its one-machine scan (SQLite, local pool), shared by the
    tests that compare a distributed scan with it (none of them changes the share)."""
    base = tmp_path_factory.mktemp("shared")
    root = base / "share"
    _corpus(root, 32)
    return root, local_reference(base, root, module_env)


def test_two_workers_give_the_same_findings_as_one_machine(shared, tmp_path, env, workers, rabbitmq, pg_url):
    root, (ref_findings, ref_inv) = shared
    assert len(ref_findings) >= 20
    workers.start(2)
    out, log = tmp_path / "dist.jsonl", tmp_path / "progress.jsonl"
    r = subprocess.run(
        scan_cmd(root, pg_url, out, rabbitmq.url, "--log", str(log)),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr + (tmp_path / "workers.log").read_text()[-3000:]
    assert findings(out) == ref_findings
    assert inventory(pg_url) == ref_inv
    # The JSON progress log works as in a one-machine scan: progress records, then the summary.
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records[-1]["event"] == "summary" and records[-1]["files"] == 32 and records[-1]["new"] == 32
    last = [r for r in records if r["event"] == "progress"][-1]
    assert last["files_done"] == 32 and last["read"] == 32 and last["walk_done"] is True
    # Both workers took part (each batch is logged by the worker that ran it).
    log = (tmp_path / "workers.log").read_text()
    assert log.count("succeeded in") >= 2


SITE = str(Path(__file__).with_name("worker_site"))


def slow_env(delay: float = 0.25, **extra: str) -> dict[str, str]:
    return {"PYTHONPATH": SITE, "PVSCAN_TEST_SLOW": str(delay), **extra}


def stored(db: str) -> int:
    try:
        with Inventory(db, readonly=True) as inv:
            return int(inv.db.execute("SELECT COUNT(*) FROM items").fetchone()[0])
    except Exception:  # noqa: BLE001 - not created yet, or the server is restarting
        return 0


def wait_stored(db: str, n: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while stored(db) < n:
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, f"fewer than {n} items stored in {timeout} s"
        time.sleep(0.2)


def start_scan(
    root: Path, db: str, out: Path, broker: str, env: dict[str, str], *extra: str
) -> subprocess.Popen:
    return subprocess.Popen(
        scan_cmd(root, db, out, broker, *extra),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen, timeout: float = 240) -> tuple[int, str]:
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def test_a_worker_killed_mid_scan_has_its_items_redelivered(shared, tmp_path, env, workers, rabbitmq, pg_url):
    root, (ref_findings, ref_inv) = shared
    victim, _ = workers.start(2, env=slow_env())
    out = tmp_path / "dist.jsonl"
    proc = start_scan(root, pg_url, out, rabbitmq.url, env)
    wait_stored(pg_url, 6, proc)
    workers.kill(victim)  # SIGKILL to the worker and its item processes, batch in hand
    code, err = finish(proc)
    assert code == 0, err
    assert findings(out) == ref_findings
    assert inventory(pg_url) == ref_inv


def test_a_killed_coordinator_resumes_to_the_same_inventory(shared, tmp_path, env, workers, rabbitmq, pg_url):
    root, (ref_findings, ref_inv) = shared
    workers.start(2, env=slow_env())
    out = tmp_path / "dist.jsonl"
    proc = start_scan(root, pg_url, out, rabbitmq.url, env)
    wait_stored(pg_url, 6, proc)
    proc.kill()
    proc.wait()
    done_before = stored(pg_url)
    assert 6 <= done_before < 32
    code, err = finish(start_scan(root, pg_url, out, rabbitmq.url, env))
    assert code == 0, err
    assert findings(out) == ref_findings
    assert inventory(pg_url) == ref_inv
    with Inventory(pg_url, readonly=True) as inv:
        scans = inv.scan_rows()
        # One scan, resumed (not a second one), and the resumed run read only the rest.
        assert [(s["status"], s["files"]) for s in scans] == [("done", 32)]


def test_a_hanging_item_ends_as_timeout_and_the_scan_finishes(tmp_path, env, workers, rabbitmq, pg_url):
    root = tmp_path / "share"
    _corpus(root, 8)
    (root / "hang.txt").write_text("Fødselsnummer: 01010112345\n")
    workers.start(2, env=slow_env(0.0))
    out = tmp_path / "dist.jsonl"
    code, err = finish(start_scan(root, pg_url, out, rabbitmq.url, env, "--time-limit", "3"), timeout=120)
    assert code == 1, err  # finished, with a problem to report
    with Inventory(pg_url, readonly=True) as inv:
        by_name = {r["display"].rsplit("/", 1)[-1]: r for r in inv.live_items()}
    assert len(by_name) == 9
    assert by_name["hang.txt"]["status"] == "unscannable"
    assert by_name["hang.txt"]["reason"].startswith("timeout: not done after 3 s")
    assert all(r["status"] == "ok" for n, r in by_name.items() if n != "hang.txt")


def test_an_item_that_kills_every_worker_ends_as_error_after_the_delivery_limit(
    tmp_path, env, workers, rabbitmq, pg_url
):
    root = tmp_path / "share"
    _corpus(root, 6)
    (root / "killer.txt").write_text("Denne tar med seg hele arbeideren.\n")
    workers.start(2, env=slow_env(0.0))
    out = tmp_path / "dist.jsonl"
    proc = start_scan(root, pg_url, out, rabbitmq.url, env)
    # What systemd's Restart=always does for a worker that died.
    deadline = time.monotonic() + 180
    restarts = 0
    while proc.poll() is None:
        assert time.monotonic() < deadline, "the scan did not finish"
        for p in list(workers.procs):
            if p.poll() is not None:
                workers.procs.remove(p)
                workers.start(1, env=slow_env(0.0))
                restarts += 1
        time.sleep(0.2)
    code, err = finish(proc)
    assert code == 1, err
    # Its batch of four was delivered three times, a worker lost each time; then each of
    # its items went out alone, and only the one that takes workers down is given up.
    assert restarts >= 6
    with Inventory(pg_url, readonly=True) as inv:
        by_name = {r["display"].rsplit("/", 1)[-1]: r for r in inv.live_items()}
    assert by_name["killer.txt"]["status"] == "unscannable"
    assert by_name["killer.txt"]["reason"].startswith("error: given up after 3 deliveries")
    assert sum(r["status"] == "ok" for r in by_name.values()) == 6, [
        (n, r["status"], r["reason"]) for n, r in by_name.items() if r["status"] != "ok"
    ]


def test_a_worker_of_another_version_is_refused(tmp_path, env, workers, rabbitmq, pg_url):
    root = tmp_path / "share"
    _corpus(root, 6)
    workers.start(1, env=slow_env(0.0, PVSCAN_TEST_VERSION="9.9.9"))
    out = tmp_path / "dist.jsonl"
    code, err = finish(start_scan(root, pg_url, out, rabbitmq.url, env), timeout=120)
    assert code == 4
    assert "no worker took the work" in err and "pvscan 9.9.9" in err
    assert stored(pg_url) == 0  # nothing it did (it did nothing) reached the inventory
    workers.stop_all()
    workers.start(1)
    code, err = finish(start_scan(root, pg_url, out, rabbitmq.url, env), timeout=120)
    assert code == 0, err
    assert stored(pg_url) == 6


def test_postgresql_restarted_mid_scan_stops_cleanly_and_resumes(
    shared, tmp_path, env, workers, rabbitmq, pg_server, pg_url
):
    root, (ref_findings, ref_inv) = shared
    workers.start(2, env=slow_env())
    out = tmp_path / "dist.jsonl"
    proc = start_scan(root, pg_url, out, rabbitmq.url, env)
    wait_stored(pg_url, 6, proc)
    pg_server.restart()
    code, err = finish(proc)
    # Either it stopped on the lost connection (exit 4, "cannot write to the inventory")
    # or it had already stored everything; a rerun of the same command completes it.
    assert code in (0, 4), err
    if code == 4:
        assert "cannot write to the inventory" in err and "postgresql://pvscan@" in err
    code, err = finish(start_scan(root, pg_url, out, rabbitmq.url, env))
    assert code == 0, err
    assert findings(out) == ref_findings
    assert inventory(pg_url) == ref_inv


def test_rabbitmq_restarted_mid_scan_stops_cleanly_and_resumes(
    shared, tmp_path, env, workers, rabbitmq, pg_url
):
    root, (ref_findings, ref_inv) = shared
    workers.start(2, env=slow_env())
    out = tmp_path / "dist.jsonl"
    proc = start_scan(root, pg_url, out, rabbitmq.url, env)
    wait_stored(pg_url, 6, proc)
    rabbitmq.restart()
    code, err = finish(proc)
    # The broker's loss ends the scan as interrupted (exit 130), what was stored is kept.
    assert code in (0, 130), err
    if code == 130:
        assert "the broker went away" in err
        with Inventory(pg_url, readonly=True) as inv:
            assert [s["status"] for s in inv.scan_rows()] == ["interrupted"]
    code, err = finish(start_scan(root, pg_url, out, rabbitmq.url, env))
    assert code == 0, err
    assert findings(out) == ref_findings
    assert inventory(pg_url) == ref_inv
