"""A pool of worker processes with a per-item time limit and memory limit.

Why not ``concurrent.futures``: a future cannot be cancelled once running, so one file
that hangs a parser (a pathological PDF, a regex blow-up in a third-party plugin) would
stall a worker for ever. Here the parent watches the clock and each worker's resident
memory, and replaces a worker that is over either limit, recording the item as
unscannable with ``timeout`` or ``memory``. A worker that dies (a segfault in a native
library) is replaced the same way.

Each worker is handed up to ``prefetch`` items at once (a small queue in its pipe), so
it never waits for the parent between two small files; it still works on one item at a
time, and the parent knows which one: the oldest it has not had a result for. That
item's clock starts when the previous result arrives. When a worker is replaced, the
items queued behind the culprit are handed to other workers, not lost.

Memory stays flat: at most ``workers × prefetch`` items are in flight, results stream
back one by one, and a worker is recycled after ``recycle_after`` items so slow leaks in
third-party libraries cannot accumulate over a night.

Workers are forked from the parent, which already built the :class:`~pvscan.engine.process.Engine`
(plugins loaded once, not per worker or per item). They ignore SIGINT and SIGTERM (the
parent decides when to stop and kills them), and on Linux they die with the parent
(``PR_SET_PDEATHSIG``), so a ``kill -9`` of the scan leaves no orphan holding files or
the inventory lock.
"""

from __future__ import annotations

import collections
import ctypes
import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait

from pvscan.engine.process import process_item
from pvscan.model import ItemRef, ItemResult, Problem, Settings

try:
    import psutil
except ImportError:  # pragma: no cover - psutil is a dependency, but stay usable
    psutil = None  # type: ignore[assignment]

#: Reasons the pool itself gives (not the per-item function); the scan uses the prefix
#: to tell an item that broke a worker from one a shutdown cut short.
CRASH_PREFIX = "error: worker crashed"

#: Exit code of a worker that was asked to stop (SIGTERM) between two items.
STOPPED_EXIT = 143
#: How a worker ends when something outside stopped it (a shutdown, ``kill``): the item
#: it held is handed out again, not blamed.
_EXTERNAL_ENDS = {STOPPED_EXIT, -signal.SIGTERM, -signal.SIGINT, -signal.SIGHUP}

#: File descriptors a forked worker must not keep open (the inventory lock: a worker
#: that outlived its parent would otherwise keep the lock held). Filled by the scan.
INHERITED_FDS_TO_CLOSE: set[int] = set()


#: An item with more findings than this leaves its worker's heap fragmented: after it
#: the worker gives the freed memory back (see :func:`give_back_memory`).
BIG_RESULT = 1000


def give_back_memory() -> None:
    """Return the heap's free pages to the system (glibc ``malloc_trim``; no-op elsewhere).

    A register of ten thousand rows is tens of thousands of findings and their text in a
    worker; freed afterwards, the pages stay with the process, so each big item raised
    the worker's resident size for the rest of the scan (on the dev corpus a worker
    ended at 99 MB instead of 90)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort; EOF on the pipe is the fallback
        pass


def _worker_main(
    conn: Connection,
    settings: Settings,
    fn: Callable[[ItemRef, Settings], ItemResult],
    close_fds: list[int],
    parent_pid: int,
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which decides
    # SIGTERM (systemd signals the whole cgroup; multiprocessing's exit handler) ends an
    # idle worker at once and a busy one after its item, so no item is half done.
    state = {"busy": False, "stop": False}

    def on_term(signum: int, frame: object) -> None:
        if not state["busy"]:
            os._exit(STOPPED_EXIT)
        state["stop"] = True

    signal.signal(signal.SIGTERM, on_term)
    _die_with_parent()
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        return
    for fd in close_fds:
        try:
            os.close(fd)
        except OSError:
            pass
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
        state["busy"] = True
        try:
            res = fn(ref, settings)
        except BaseException as exc:  # noqa: BLE001 - last line of isolation
            res = ItemResult(
                ref=ref,
                unscannable=True,
                problems=[Problem("", f"error: worker: {type(exc).__name__}: {exc}")],
            )
        big = len(res.findings) > BIG_RESULT
        try:
            conn.send(res)
        except (BrokenPipeError, EOFError):
            return
        except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable finding from a plugin
            conn.send(
                ItemResult(
                    ref=ref, unscannable=True, problems=[Problem("", f"error: result not sendable: {exc}")]
                )
            )
        if big:
            del res
            give_back_memory()
        state["busy"] = False
        if state["stop"]:
            os._exit(STOPPED_EXIT)


@dataclass
class _Worker:
    proc: mp.process.BaseProcess
    conn: Connection
    #: Items sent and not answered yet, oldest first; the first is being worked on.
    queue: collections.deque[ItemRef] = field(default_factory=collections.deque)
    #: When the first item of ``queue`` started (the previous result's arrival).
    started: float = 0.0
    done: int = 0
    ps: object | None = None


class WorkerPool:
    """Run ``fn(ref, settings)`` for each ref in worker processes, yielding results
    in completion order. Every ref given yields exactly one result, unless
    ``should_stop`` ends the run early."""

    def __init__(
        self,
        settings: Settings,
        workers: int,
        fn: Callable[[ItemRef, Settings], ItemResult] = process_item,
        poll: float = 0.25,
        prefetch: int = 2,
        recycle_after: int = 2000,
    ):
        self.settings = settings
        self.n = max(1, workers)
        self.fn = fn
        self.poll = poll
        self.prefetch = max(1, prefetch)
        self.recycle_after = recycle_after
        ctx_name = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        self.ctx = mp.get_context(ctx_name)
        self.workers: list[_Worker] = []
        self.replaced = 0
        self.retry: collections.deque[ItemRef] = collections.deque()
        self._requeued: set[str] = set()

    # ------------------------------------------------------------------ workers
    def _spawn(self) -> _Worker:
        parent, child = self.ctx.Pipe(duplex=True)
        # A forked child inherits every open descriptor: the other workers' pipe ends
        # (which would keep them from seeing EOF when the parent dies) and the lock.
        close_fds = [w.conn.fileno() for w in self.workers if not w.conn.closed]
        close_fds += [parent.fileno(), *INHERITED_FDS_TO_CLOSE]
        proc = self.ctx.Process(
            target=_worker_main,
            args=(child, self.settings, self.fn, close_fds, os.getpid()),
            daemon=True,
        )
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
        """Kill the worker and whatever it started (an OCR engine, a converter): a
        replaced worker's tesseract must not go on eating a core."""
        children = []
        if w.ps is not None:
            try:
                children = w.ps.children(recursive=True)  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001
                children = []
        try:
            w.proc.kill()
        except Exception:  # noqa: BLE001
            pass
        for c in children:
            try:
                c.kill()
            except Exception:  # noqa: BLE001
                pass
        w.proc.join(timeout=5)
        w.conn.close()

    def _replace(self, w: _Worker, kill: bool = True) -> None:
        """Replace ``w``; items queued behind its current one go to the retry queue."""
        queued = list(w.queue)[1:]
        if kill:
            self._kill(w)
        else:
            w.conn.close()
        self.retry.extendleft(reversed(queued))
        self.workers[self.workers.index(w)] = self._spawn()
        self.replaced += 1

    def _recycle(self, w: _Worker) -> None:
        """Retire a worker that has done its share (its queue is empty)."""
        try:
            w.conn.send(None)
        except Exception:  # noqa: BLE001
            pass
        w.proc.join(timeout=2)
        if w.proc.is_alive():
            self._kill(w)
        else:
            w.conn.close()
        self.workers[self.workers.index(w)] = self._spawn()

    # ------------------------------------------------------------------ running
    def run(
        self, refs: Iterable[ItemRef], should_stop: Callable[[], bool] | None = None
    ) -> Iterator[ItemResult]:
        it = iter(refs)
        exhausted = False
        last_mem_check = 0.0
        limit = self.settings.time_limit

        def next_ref() -> ItemRef | None:
            nonlocal exhausted
            if self.retry:
                return self.retry.popleft()
            if exhausted:
                return None
            try:
                return next(it)
            except StopIteration:
                exhausted = True
                return None

        try:
            while True:
                if should_stop is not None and should_stop():
                    return
                # Feed: fill every worker's queue; workers are started on first need,
                # so a re-scan where nothing changed starts no process at all.
                for slot in range(self.n):
                    if slot >= len(self.workers):
                        ref = next_ref()
                        if ref is None:
                            break
                        self.workers.append(self._spawn())
                        self.retry.appendleft(ref)
                    w = self.workers[slot]
                    if w.done >= self.recycle_after and not w.queue:
                        self._recycle(w)
                        w = self.workers[slot]
                    while len(w.queue) < self.prefetch and w.done + len(w.queue) < self.recycle_after:
                        ref = next_ref()
                        if ref is None:
                            break
                        if not w.queue:
                            w.started = time.monotonic()
                        w.queue.append(ref)
                        try:
                            w.conn.send(ref)
                        except (BrokenPipeError, OSError):
                            break  # it died; the sentinel below reports it
                busy = [w for w in self.workers if w.queue]
                if not busy:
                    if exhausted and not self.retry:
                        return
                    continue
                ready = set(wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=self.poll))
                now = time.monotonic()
                for w in busy:
                    if w.conn in ready:
                        try:
                            res = w.conn.recv()
                        except (EOFError, OSError):
                            res = self._died(w)
                            self._replace(w)
                            if res is not None:
                                yield res
                            continue
                        w.queue.popleft()
                        w.started = time.monotonic()
                        w.done += 1
                        yield res
                    elif w.proc.sentinel in ready and not w.proc.is_alive():
                        res = self._died(w)
                        self._replace(w, kill=False)
                        if res is not None:
                            yield res
                    elif now - w.started > limit:
                        ref = w.queue[0]
                        self._replace(w)
                        yield _failed(
                            ref,
                            f"timeout: not done after {limit:g} s; worker replaced",
                            elapsed=now - w.started,
                        )
                if psutil is not None and now - last_mem_check >= self.poll:
                    last_mem_check = now
                    yield from self._check_memory()
        finally:
            self.close()

    def _check_memory(self) -> Iterator[ItemResult]:
        cap = self.settings.memory_limit
        for w in [w for w in self.workers if w.queue]:
            try:
                rss = w.ps.memory_info().rss if w.ps is not None else 0  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - it may just have exited
                continue
            if rss > cap:
                ref = w.queue[0]
                self._replace(w)
                yield _failed(
                    ref,
                    f"memory: worker used {rss // 2**20} MiB, over the limit of {cap // 2**20} MiB; worker replaced",
                )

    def _died(self, w: _Worker) -> ItemResult | None:
        """The result for the item a dead worker held, or None when the worker was
        stopped from outside: then the item goes back to the queue (once)."""
        ref = w.queue[0]
        w.proc.join(timeout=1)
        code = w.proc.exitcode
        if code in _EXTERNAL_ENDS and ref.url not in self._requeued:
            self._requeued.add(ref.url)
            self.retry.appendleft(ref)
            return None
        why = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return _failed(ref, f"{CRASH_PREFIX} while reading ({why})")

    def close(self) -> None:
        for w in self.workers:
            try:
                if not w.queue and w.proc.is_alive():
                    w.conn.send(None)
            except Exception:  # noqa: BLE001
                pass
        deadline = time.monotonic() + 2
        for w in self.workers:
            if w.queue:  # busy: a stop or an error in the consumer; do not wait for it
                self._kill(w)
                continue
            w.proc.join(timeout=max(0.0, deadline - time.monotonic()))
            if w.proc.is_alive():
                self._kill(w)
            else:
                w.conn.close()
        self.workers = []


def _failed(ref: ItemRef, reason: str, elapsed: float = 0.0) -> ItemResult:
    return ItemResult(ref=ref, unscannable=True, elapsed=elapsed, problems=[Problem("", reason)])


def run_inline(
    settings: Settings,
    refs: Iterable[ItemRef],
    fn: Callable[[ItemRef, Settings], ItemResult] = process_item,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[ItemResult]:
    """The same contract in this process (``--workers 0``): no limits, easy debugging."""
    for ref in refs:
        if should_stop is not None and should_stop():
            return
        yield fn(ref, settings)
