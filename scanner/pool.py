"""A pool of worker processes with a per-item time limit and memory limit.

Why not ``concurrent.futures``: a future cannot be cancelled once running, so one file
that hangs a parser (a pathological PDF, a regex blow-up in a third-party plugin) would
stall a worker for ever. Here every worker runs one item at a time; the parent watches
the clock and each worker's resident memory, and replaces a worker that is over either
limit, recording the item as unscannable with ``timeout`` or ``memory``. A worker that
dies (a segfault in a native library) is replaced the same way. Memory stays flat
because at most ``workers`` items are in flight and results stream back one by one.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from .model import ItemRef, ItemResult, Problem, Settings
from .process import process_item

try:
    import psutil
except ImportError:  # pragma: no cover - psutil is a dependency, but stay usable
    psutil = None  # type: ignore[assignment]


def _worker_main(conn: Connection, settings: Settings, fn: Callable[[ItemRef, Settings], ItemResult]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    try:
        os.nice(5)
    except OSError:
        pass
    while True:
        try:
            ref = conn.recv()
        except (EOFError, OSError):
            return
        if ref is None:
            return
        try:
            res = fn(ref, settings)
        except BaseException as exc:  # noqa: BLE001 - last line of isolation
            res = ItemResult(
                ref=ref,
                unscannable=True,
                problems=[Problem("", f"error: worker: {type(exc).__name__}: {exc}")],
            )
        try:
            conn.send(res)
        except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable finding from a plugin
            conn.send(
                ItemResult(
                    ref=ref, unscannable=True, problems=[Problem("", f"error: result not sendable: {exc}")]
                )
            )


@dataclass
class _Worker:
    proc: mp.process.BaseProcess
    conn: Connection
    ref: ItemRef | None = None
    started: float = 0.0
    ps: object | None = None


class WorkerPool:
    """Run ``fn(ref, settings)`` for each ref in worker processes, yielding results
    in completion order."""

    def __init__(
        self,
        settings: Settings,
        workers: int,
        fn: Callable[[ItemRef, Settings], ItemResult] = process_item,
        poll: float = 0.25,
    ):
        self.settings = settings
        self.n = max(1, workers)
        self.fn = fn
        self.poll = poll
        ctx_name = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        self.ctx = mp.get_context(ctx_name)
        self.workers: list[_Worker] = []
        self.replaced = 0

    def _spawn(self) -> _Worker:
        parent, child = self.ctx.Pipe(duplex=True)
        proc = self.ctx.Process(target=_worker_main, args=(child, self.settings, self.fn), daemon=True)
        proc.start()
        child.close()
        ps = None
        if psutil is not None:
            try:
                ps = psutil.Process(proc.pid)
            except Exception:  # noqa: BLE001
                ps = None
        return _Worker(proc, parent, ps=ps)

    def _kill(self, w: _Worker) -> None:
        try:
            w.proc.kill()
        except Exception:  # noqa: BLE001
            pass
        w.proc.join(timeout=5)
        w.conn.close()

    def _replace(self, w: _Worker) -> None:
        self._kill(w)
        self.workers[self.workers.index(w)] = self._spawn()
        self.replaced += 1

    def run(self, refs: Iterable[ItemRef]) -> Iterator[ItemResult]:
        self.workers = [self._spawn() for _ in range(self.n)]
        it = iter(refs)
        exhausted = False
        last_mem_check = 0.0
        try:
            while True:
                for w in self.workers:
                    if w.ref is None and not exhausted:
                        try:
                            ref = next(it)
                        except StopIteration:
                            exhausted = True
                            break
                        w.ref, w.started = ref, time.monotonic()
                        w.conn.send(ref)
                busy = [w for w in self.workers if w.ref is not None]
                if not busy:
                    if exhausted:
                        return
                    continue
                ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=self.poll)
                now = time.monotonic()
                for w in list(busy):
                    if w.conn in ready:
                        try:
                            res = w.conn.recv()
                        except (EOFError, OSError):
                            res = self._died(w)
                            self._replace(w)
                        else:
                            w.ref = None
                        yield res
                    elif w.proc.sentinel in ready and not w.proc.is_alive():
                        yield self._died(w)
                        self._replace(w)
                    elif now - w.started > self.settings.time_limit:
                        ref = w.ref
                        assert ref is not None
                        self._replace(w)
                        yield ItemResult(
                            ref=ref,
                            unscannable=True,
                            elapsed=now - w.started,
                            problems=[
                                Problem(
                                    "",
                                    f"timeout: not done after {self.settings.time_limit:g} s; worker replaced",
                                )
                            ],
                        )
                if psutil is not None and now - last_mem_check > 0.5:
                    last_mem_check = now
                    for w in [w for w in self.workers if w.ref is not None]:
                        try:
                            rss = w.ps.memory_info().rss if w.ps is not None else 0  # type: ignore[attr-defined]
                        except Exception:  # noqa: BLE001
                            continue
                        if rss > self.settings.memory_limit:
                            ref = w.ref
                            assert ref is not None
                            self._replace(w)
                            yield ItemResult(
                                ref=ref,
                                unscannable=True,
                                problems=[
                                    Problem(
                                        "",
                                        f"memory: worker used {rss // 2**20} MiB, over the limit of {self.settings.memory_limit // 2**20} MiB; worker replaced",
                                    )
                                ],
                            )
        finally:
            self.close()

    def _died(self, w: _Worker) -> ItemResult:
        ref = w.ref
        assert ref is not None
        w.proc.join(timeout=1)
        code = w.proc.exitcode
        why = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return ItemResult(
            ref=ref, unscannable=True, problems=[Problem("", f"error: worker crashed while reading ({why})")]
        )

    def close(self) -> None:
        for w in self.workers:
            try:
                if w.ref is None and w.proc.is_alive():
                    w.conn.send(None)
            except Exception:  # noqa: BLE001
                pass
        deadline = time.monotonic() + 2
        for w in self.workers:
            w.proc.join(timeout=max(0.0, deadline - time.monotonic()))
            if w.proc.is_alive():
                self._kill(w)
            else:
                w.conn.close()
        self.workers = []


def run_inline(
    settings: Settings, refs: Iterable[ItemRef], fn: Callable[[ItemRef, Settings], ItemResult] = process_item
) -> Iterator[ItemResult]:
    """The same contract in this process (``--workers 0``): no limits, easy debugging."""
    for ref in refs:
        yield fn(ref, settings)
