"""The per-item work spread over many machines: Celery tasks on a RabbitMQ broker.

The coordinator (``pvscan scan … --broker URL``) walks, skips what is unchanged and is
the only writer of the inventory; it sends item references in batches as tasks and
stores what comes back. A worker (``pvscan worker --broker URL``) loads the plugins
once and runs each batch in pvscan's own :class:`~pvscan.engine.pool.WorkerPool`, so a
worker has the same per-item time and memory limits and the same crash isolation as a
one-machine scan: a hang, a runaway or a native crash costs one item, never the worker.

Delivery, and why each setting:

* **Late acknowledgement** (``task_acks_late``, ``task_reject_on_worker_lost``): a
  batch is acknowledged only when its results are sent, so a worker killed mid-batch
  (``kill -9``, a machine that dies) has its batch delivered to another worker.
* **A delivery limit**: the task queue is a RabbitMQ *quorum* queue with
  ``x-delivery-limit``; a batch delivered that many times without an acknowledgement is
  dead-lettered to ``pvscan.dead``, where the coordinator picks it up, sends each of its
  items again on its own, and records an item given up on its own as ``error: …``:
  one poison item costs one item, and nothing goes round the fleet for ever.
* **One batch per worker at a time** (prefetch 1, the ``solo`` pool): the batch's items
  run in parallel in the worker's own processes. Broker heartbeats are off because the
  solo pool cannot answer them mid-batch; a stuck worker is caught by the broker's
  ``consumer_timeout`` instead, which must be above the longest a batch may take.
* **JSON, not pickle**: a message on the broker never executes code in a worker.
  References carry no secrets; each worker reaches items with its own mounts and
  credentials. Results carry raw values (the coordinator masks and hashes them with the
  installation key, which never leaves it), so use ``amqps://`` between machines.
* **Idempotent results**: storing a result twice is storing it once (the inventory
  replaces an item's rows), so a batch done twice after a redelivery does no harm.
* **The same pvscan everywhere**: each batch names the coordinator's pvscan version and
  plugin set; a worker with anything else refuses the batch (the coordinator hands it
  to another worker, and stops with a clear error if no worker takes it).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import pvscan
from pvscan.engine.manager import make_plugin_manager
from pvscan.engine.pool import WorkerPool
from pvscan.engine.process import _ENGINES, Engine, get_engine
from pvscan.model import Finding, ItemRef, ItemResult, Problem, Settings

#: The task queue (a quorum queue) and where batches go after the delivery limit.
QUEUE = "pvscan.items"
DEAD_QUEUE = "pvscan.dead"
#: Deliveries of one batch before it is given up (the first one included).
DELIVERY_LIMIT = 3
TASK = "pvscan.process_batch"
#: A coordinator hands a batch to another worker this many times after a refusal
#: (a worker of another version) before it stops the scan.
MAX_REFUSALS = 20


class BrokerLost(RuntimeError):
    """The broker went away mid-scan; what was stored is kept and the same command resumes."""


class WorkersRefused(RuntimeError):
    """No worker of the coordinator's pvscan version and plugins took the work."""


# --------------------------------------------------------------------------- wire format
def settings_to_wire(settings: Settings) -> dict[str, Any]:
    return asdict(settings)


def settings_from_wire(d: dict[str, Any]) -> Settings:
    d = dict(d)
    d["exclude"] = tuple(d.get("exclude") or ())
    d["extra"] = tuple(tuple(x) for x in d.get("extra") or ())
    return Settings(**d)


def ref_to_wire(ref: ItemRef) -> list[Any]:
    return [ref.source, ref.url, ref.display, ref.size, ref.mtime_ns, ref.file_id, ref.owner,
            [list(kv) for kv in ref.meta]]  # fmt: skip


def ref_from_wire(w: list[Any]) -> ItemRef:
    return ItemRef.fast(w[0], w[1], w[2], w[3], w[4], w[5], w[6], tuple(tuple(kv) for kv in w[7]))


def result_to_wire(res: ItemResult) -> dict[str, Any]:
    return {
        "ref": ref_to_wire(res.ref),
        "findings": [
            [
                f.type,
                f.value,
                f.location,
                f.confidence,
                f.detector,
                f.variant,
                f.item,
                f.alt_type,
                f.start,
                f.end,
            ]
            for f in res.findings
        ],
        "problems": [[p.item, p.reason] for p in res.problems],
        "kind": res.kind,
        "extractor": res.extractor,
        "inner_items": res.inner_items,
        "unscannable": res.unscannable,
        "elapsed": res.elapsed,
        "skipped": res.skipped,
        "counters": res.counters,
        "copy_of": res.copy_of,
    }


def result_from_wire(d: dict[str, Any]) -> ItemResult:
    return ItemResult(
        ref=ref_from_wire(d["ref"]),
        findings=[Finding(*f) for f in d["findings"]],
        problems=[Problem(*p) for p in d["problems"]],
        kind=d["kind"],
        extractor=d["extractor"],
        inner_items=d["inner_items"],
        unscannable=d["unscannable"],
        elapsed=d["elapsed"],
        skipped=d.get("skipped", ""),
        counters=dict(d.get("counters") or {}),
        copy_of=d.get("copy_of", ""),
    )


def failed(ref: ItemRef, reason: str) -> ItemResult:
    return ItemResult(ref=ref, unscannable=True, problems=[Problem("", reason)])


def fingerprint(engine: Engine) -> str:
    """pvscan's version and every plugin's name and version: what a worker must share
    with the coordinator for its results to mean the same."""
    parts = [f"pvscan {pvscan.__version__}"]
    parts += sorted(f"source {s.name}={s.version}" for s in engine.sources)
    parts += sorted(f"extractor {e.name}={e.version}" for e in engine.extractors)
    parts += sorted(f"detector {d.id}={d.version}" for d in engine.detectors)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- the Celery app
def make_app(broker: str) -> Any:
    """A Celery app for ``broker`` with pvscan's delivery settings (module docstring)."""
    # Deferred: Celery (and kombu) cost half a second to import, which every local scan
    # and every workflow command would pay for nothing.
    from celery import Celery
    from kombu import Queue

    app = Celery("pvscan", broker=broker, backend="rpc://", set_as_current=False)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        worker_concurrency=1,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        broker_heartbeat=0,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=10,
        result_persistent=False,
        task_default_queue=QUEUE,
        task_queues=[
            Queue(
                QUEUE,
                routing_key=QUEUE,
                durable=True,
                queue_arguments={
                    "x-queue-type": "quorum",
                    "x-delivery-limit": DELIVERY_LIMIT - 1,
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": DEAD_QUEUE,
                },
            )
        ],
        worker_detect_quorum_queues=True,
        # Celery sets up delayed delivery (pvscan sends no delayed tasks) when it sees a
        # quorum queue: with classic queues it costs the broker almost nothing.
        broker_native_delayed_delivery_queue_type="classic",
    )
    app.task(name=TASK, bind=True, acks_late=True)(_process_batch)
    return app


@dataclass
class _WorkerState:
    concurrency: int = max(1, os.cpu_count() or 1)
    batches: int = 0
    pm: Any = None


_STATE = _WorkerState()


def _engine(settings: Settings) -> Engine:
    """The worker's engine for these settings, from the plugins it loaded at start."""
    engine = _ENGINES.get(settings)
    if engine is None:
        engine = _ENGINES[settings] = Engine(settings, _STATE.pm or make_plugin_manager())
    return engine


def _process_batch(task: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """One batch in a worker: check it is ours, run its items in the worker's pool."""
    settings = settings_from_wire(payload["settings"])
    engine = _engine(settings)  # inherited by the pool's processes
    mine = fingerprint(engine)
    host = socket.gethostname()
    if payload.get("fingerprint") != mine or payload.get("version") != pvscan.__version__:
        return {
            "refused": f"worker {host} runs pvscan {pvscan.__version__} (plugins {mine}); "
            f"the coordinator runs pvscan {payload.get('version')} (plugins {payload.get('fingerprint')})",
            "worker": host,
        }
    refs = [ref_from_wire(w) for w in payload["refs"]]
    pool = WorkerPool(settings, min(_STATE.concurrency, len(refs)))
    results = [result_to_wire(r) for r in pool.run(refs)]
    _STATE.batches += 1
    return {"results": results, "worker": host}


def run_worker(broker: str, concurrency: int | None = None, loglevel: str = "WARNING") -> None:
    """``pvscan worker``: consume batches until stopped (SIGTERM finishes the batch in hand)."""
    if concurrency:
        _STATE.concurrency = concurrency
    _STATE.pm = make_plugin_manager()  # the plugins, loaded once, before anything is forked
    app = make_app(broker)
    app.worker_main(
        [
            "worker",
            "--pool=solo",
            "--concurrency=1",
            f"--queues={QUEUE}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--loglevel={loglevel}",
            f"--hostname=pvscan-{os.getpid()}@{socket.gethostname()}",
        ]
    )


# --------------------------------------------------------------------------- the coordinator's side
@dataclass
class _Batch:
    refs: list[ItemRef]
    result: Any
    refusals: int = 0
    sent: float = field(default_factory=time.monotonic)


class RemoteRunner:
    """The same contract as :class:`~pvscan.engine.pool.WorkerPool`: refs in, results
    out (in completion order), but the work is done by ``pvscan worker`` processes."""

    def __init__(self, broker: str, settings: Settings, batch: int = 8, window: int = 64, poll: float = 0.2):
        self.settings = settings
        self.batch = max(1, batch)
        self.window = max(1, window)
        self.poll = poll
        self.app = make_app(broker)
        engine = get_engine(settings)
        self.payload = {
            "version": pvscan.__version__,
            "fingerprint": fingerprint(engine),
            "settings": settings_to_wire(settings),
        }
        self.refused_by: set[str] = set()
        self._arrived: dict[str, dict[str, Any]] = {}

    def _errors(self) -> tuple[type[BaseException], ...]:
        # Deferred: see make_app.
        import kombu.exceptions

        return (OSError, ConnectionError, kombu.exceptions.OperationalError)

    def _send(self, refs: list[ItemRef]) -> Any:
        result = self.app.send_task(
            TASK, args=[{**self.payload, "refs": [ref_to_wire(r) for r in refs]}], queue=QUEUE
        )
        self.app.backend.add_pending_result(result)
        return result

    def run(
        self, refs: Iterable[ItemRef], should_stop: Callable[[], bool] | None = None
    ) -> Iterator[ItemResult]:
        try:
            yield from self._run(refs, should_stop)
        except self._errors() as exc:
            raise BrokerLost(f"the broker went away: {exc}") from exc

    def _run(self, refs: Iterable[ItemRef], should_stop: Callable[[], bool] | None) -> Iterator[ItemResult]:
        it = iter(refs)
        exhausted = False
        pending: dict[str, _Batch] = {}
        last_dead = 0.0
        with self.app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1)
            dead = conn.SimpleQueue(DEAD_QUEUE, queue_opts={"durable": True}, no_ack=False)
            try:
                while True:
                    if should_stop is not None and should_stop():
                        return
                    while not exhausted and len(pending) < self.window:
                        chunk = []
                        for ref in it:
                            chunk.append(ref)
                            if len(chunk) >= self.batch:
                                break
                        else:
                            exhausted = True
                        if chunk:
                            b = _Batch(chunk, self._send(chunk))
                            pending[b.result.id] = b
                    if not pending:
                        return
                    yield from self._collect(pending)
                    now = time.monotonic()
                    if now - last_dead >= 1.0:
                        last_dead = now
                        yield from self._dead_letters(dead, pending)
            finally:
                dead.close()

    def _on_meta(self, meta: dict[str, Any]) -> None:
        if meta.get("status") in ("SUCCESS", "FAILURE", "REVOKED"):
            self._arrived[meta["task_id"]] = meta

    def _collect(self, pending: dict[str, _Batch]) -> Iterator[ItemResult]:
        """Results as they arrive: one consumer on the reply queue, drained here (a
        ``ready()`` per batch would ask the broker once per batch and poll)."""
        consumer = self.app.backend.result_consumer
        consumer.on_message = self._on_meta
        with contextlib.suppress(socket.timeout, TimeoutError):
            consumer.drain_events(timeout=self.poll)
        for tid in [t for t in self._arrived if t in pending]:
            meta = self._arrived.pop(tid)
            b = pending.pop(tid)
            self.app.backend.remove_pending_result(b.result)
            value = meta.get("result")
            if meta.get("status") == "SUCCESS" and isinstance(value, dict) and "refused" in value:
                self.refused_by.add(value["refused"])
                if b.refusals + 1 >= MAX_REFUSALS:
                    raise WorkersRefused(value["refused"])
                nb = _Batch(b.refs, self._send(b.refs), refusals=b.refusals + 1)
                pending[nb.result.id] = nb
                continue
            if meta.get("status") == "SUCCESS" and isinstance(value, dict) and "results" in value:
                for d in value["results"]:
                    yield result_from_wire(d)
                continue
            reason = f"error: the worker failed the batch ({value})"
            for ref in b.refs:
                yield failed(ref, reason)
        # A result for a batch no longer pending (delivered twice): stored once already.
        for tid in [t for t in self._arrived if t not in pending]:
            del self._arrived[tid]

    def _dead_letters(self, dead: Any, pending: dict[str, _Batch]) -> Iterator[ItemResult]:
        """Batches the broker gave up on after the delivery limit: their items are
        errors (each delivery ended with a worker gone; often one item kills the
        whole worker machine or its memory)."""
        # Deferred: see make_app.
        from kombu.simple import SimpleQueue

        assert isinstance(dead, SimpleQueue)
        while True:
            try:
                msg = dead.get(block=False)
            except dead.Empty:
                return
            tid = (msg.headers or {}).get("id")
            b = pending.pop(tid, None) if tid else None
            msg.ack()
            if b is None:
                continue  # a batch of an earlier run of the coordinator: its items are sent again
            if len(b.refs) > 1:
                # One item may have taken the whole worker down each time: send each item
                # on its own, so only that one is given up.
                for ref in b.refs:
                    nb = _Batch([ref], self._send([ref]))
                    pending[nb.result.id] = nb
                continue
            reason = f"error: given up after {DELIVERY_LIMIT} deliveries (the worker was lost each time)"
            yield failed(b.refs[0], reason)
