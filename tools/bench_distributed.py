"""``python -m tools bench-distributed``: what spreading a scan costs and how far one
coordinator goes (not a test).

In one run, on one corpus, with a private PostgreSQL and RabbitMQ started here (the
tests' own server helpers, ``tests/servers``):

(a) the one-machine scan: ``pvscan scan`` into SQLite, its own local pool;
(b) the same scan with PostgreSQL and two ``pvscan worker`` processes on this machine
    (the same number of item processes as (a) on two cores): the overhead ratio, and
    whether the findings are the same (the JSON Lines, sorted);
(c) the coordinator's capacity: the real ``pvscan scan --broker`` coordinator into
    PostgreSQL, fed by "echo" workers that return a ready result per item without
    reading anything (three findings each, as many as the dev corpus averages), so
    what is measured is walking, sending, receiving, masking, hashing and storing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from pvscan.engine import remote
from pvscan.model import Finding, ItemResult

ROOT = Path(__file__).resolve().parent.parent
PVSCAN = str(Path(sys.executable).with_name("pvscan"))


def _servers() -> Any:
    """The tests' server helpers (a developer tool may lean on them; the package may not)."""
    sys.path.insert(0, str(ROOT / "tests"))
    # Deferred: these live in tests/, found only once the path above is set.
    from servers.postgres import pg_cluster
    from servers.rabbitmq import rabbitmq_node

    return pg_cluster, rabbitmq_node


def _echo_batch(task: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """A worker that reads nothing: each item's result is made up from its name."""
    out = []
    for w in payload["refs"]:
        ref = remote.ref_from_wire(w)
        digest = hashlib.sha256(ref.url.encode()).hexdigest()
        values = [str(int(digest[i : i + 12], 16))[:11].rjust(11, "0") for i in (0, 12, 24)]
        res = ItemResult(
            ref=ref,
            findings=[
                Finding("fodselsnummer", v, f"linje {n + 1}", "high", "fnr") for n, v in enumerate(values)
            ],
            kind="text",
            extractor="text",
        )
        out.append(remote.result_to_wire(res))
    return {"results": out, "worker": "echo"}


def echo_worker(broker: str) -> None:
    remote._process_batch = _echo_batch  # type: ignore[assignment]
    remote.make_app(broker).worker_main(
        ["worker", "--pool=solo", "--concurrency=1", f"--queues={remote.QUEUE}", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "--loglevel=WARNING", f"--hostname=echo-{os.getpid()}@bench"]
    )  # fmt: skip


@contextlib.contextmanager
def _workers(cmds: list[list[str]], env: dict[str, str]) -> Iterator[None]:
    procs = [
        subprocess.Popen(
            c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        for c in cmds
    ]
    try:
        time.sleep(3)  # connected and consuming before the clock starts
        yield
    finally:
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def _scan(args: list[str], env: dict[str, str]) -> float:
    t0 = time.monotonic()
    r = subprocess.run([PVSCAN, "scan", *args, "-q"], env=env, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        raise click.ClickException(f"pvscan scan failed ({r.returncode}): {r.stderr[-2000:]}")
    return time.monotonic() - t0


def _findings(path: Path) -> list[str]:
    out = []
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        if rec.get("type") != "summary":
            rec.pop("elapsed", None)
            out.append(json.dumps(rec, sort_keys=True))
    return sorted(out)


def run(corpus: Path, items: int, batch: int) -> dict[str, Any]:
    pg_cluster, rabbitmq_node = _servers()
    files = sum(1 for p in corpus.rglob("*") if p.is_file())
    with (
        tempfile.TemporaryDirectory(prefix="pvscan-bench-dist-") as tmp,
        pg_cluster() as pg,
        rabbitmq_node() as mq,
    ):
        t = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PVSCAN_")}
        env["PVSCAN_HOME"] = str(t / "home")
        for p in corpus.rglob("*"):  # both runs read from the page cache, not the first one alone
            if p.is_file():
                p.read_bytes()
        # (a) one machine, SQLite
        a = _scan([str(corpus), "--db", str(t / "a.sqlite"), "--jsonl", str(t / "a.jsonl")], env)
        # (b) PostgreSQL + two workers on this machine
        db_b = pg.create_database("bench_b")
        worker = [PVSCAN, "worker", "--broker", mq.url, "--concurrency", "1"]
        with _workers([worker, worker], env):
            b = _scan(
                [
                    str(corpus),
                    "--db",
                    db_b,
                    "--jsonl",
                    str(t / "b.jsonl"),
                    "--broker",
                    mq.url,
                    "--batch",
                    str(batch),
                ],
                env,
            )
        same = _findings(t / "a.jsonl") == _findings(t / "b.jsonl")
        # (c) the coordinator's capacity, fed by two echo workers
        tree = t / "tree"
        for i in range(items):
            d = tree / f"d{i // 500:03d}"
            d.mkdir(parents=True, exist_ok=True)
            (d / f"f{i:06d}.txt").write_bytes(b"x")
        db_c = pg.create_database("bench_c")
        echo = [sys.executable, "-m", "tools", "bench-echo-worker", "--broker", mq.url]
        with _workers([echo, echo], {**env, "PYTHONPATH": str(ROOT)}):
            c = _scan([str(tree), "--db", db_c, "--broker", mq.url, "--batch", str(max(batch, 32))], env)
    return {
        "files": files,
        "sqlite_local_s": round(a, 2),
        "sqlite_local_files_per_s": round(files / a, 1),
        "pg_celery_2_workers_s": round(b, 2),
        "pg_celery_2_workers_files_per_s": round(files / b, 1),
        "overhead_ratio": round(b / a, 2),
        "same_findings": same,
        "capacity_items": items,
        "capacity_s": round(c, 2),
        "coordinator_items_per_s": round(items / c, 1),
        "findings_per_item_in_capacity_run": 3,
    }


def register(cli: Any) -> None:
    @cli.command("bench-distributed")
    @click.option(
        "--corpus", required=True, type=click.Path(exists=True, file_okay=False), help="Tree to scan."
    )
    @click.option(
        "--items", type=int, default=5000, show_default=True, help="Items for the capacity run (c)."
    )
    @click.option("--batch", type=int, default=8, show_default=True, help="Items per task in (b).")
    @click.option(
        "--json", "json_out", type=click.Path(dir_okay=False), help="Also write the figures as JSON."
    )
    def bench_distributed_cmd(corpus: str, items: int, batch: int, json_out: str | None) -> None:
        """One-machine SQLite vs PostgreSQL + Celery with two workers, and the
        coordinator's capacity (see the module docstring). Not a test."""
        result = run(Path(corpus), items, batch)
        for k, v in result.items():
            click.echo(f"{k:>36}: {v}")
        if json_out:
            Path(json_out).write_text(json.dumps(result, indent=1) + "\n")

    @cli.command("bench-echo-worker", hidden=True)
    @click.option("--broker", required=True)
    def echo_worker_cmd(broker: str) -> None:
        """A worker that returns made-up results without reading (for run (c))."""
        echo_worker(broker)
