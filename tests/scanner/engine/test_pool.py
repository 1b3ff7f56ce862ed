"""The worker pool: time limit, memory limit, crashes, and no item lost or doubled."""

from __future__ import annotations

import os
import signal
import time

import psutil

from pvscan.engine.pool import BIG_RESULT, CRASH_PREFIX, WorkerPool
from pvscan.model import Finding, ItemRef, ItemResult, Problem, Settings


def ref(name: str) -> ItemRef:
    return ItemRef(source="test", url=f"/x/{name}", display=f"/x/{name}", size=1, mtime_ns=0)


def work(r: ItemRef, settings: Settings) -> ItemResult:
    """A per-item function whose behaviour the item's name chooses."""
    name = r.name
    if name.startswith("hang"):
        time.sleep(600)
    elif name.startswith("fat"):
        hog = bytearray(400 * 2**20)  # touched, so it is resident
        for i in range(0, len(hog), 4096):
            hog[i] = 1
        time.sleep(600)
    elif name.startswith("crash"):
        os.kill(os.getpid(), signal.SIGKILL)
    elif name.startswith("register"):  # a big result: the worker gives memory back after it
        found = [Finding("fodselsnummer", f"{i:011d}", location=f"rad {i}") for i in range(BIG_RESULT + 500)]
        return ItemResult(ref=r, findings=found, problems=[Problem("", f"pid {os.getpid()}")])
    return ItemResult(ref=r, problems=[Problem("", f"pid {os.getpid()}")])


def run(names: list[str], **kw) -> dict[str, ItemResult]:
    settings = Settings(
        time_limit=kw.pop("time_limit", 1.0), memory_limit=kw.pop("memory_limit", 1536 * 2**20)
    )
    pool = WorkerPool(settings, kw.pop("workers", 2), fn=work, poll=0.05, **kw)
    out: dict[str, ItemResult] = {}
    for res in pool.run([ref(n) for n in names]):
        assert res.ref.name not in out, f"{res.ref.name} twice"
        out[res.ref.name] = res
    assert set(out) == set(names), "every item gives exactly one result"
    return out


def test_hanging_item_is_cut_off_and_the_items_behind_it_are_not_lost():
    names = ["a", "hang1", "b", "c", "d", "e", "f"]
    t0 = time.monotonic()
    out = run(names, prefetch=3)
    assert time.monotonic() - t0 < 8
    assert out["hang1"].unscannable
    assert out["hang1"].problems[0].reason.startswith("timeout: not done after 1 s")
    assert all(not out[n].unscannable for n in names if n != "hang1")


def test_big_results_arrive_whole_and_the_worker_goes_on():
    out = run(["register1", "a", "register2", "b", "c"], workers=1)
    assert [f.location for f in out["register1"].findings][-1] == f"rad {BIG_RESULT + 499}"
    assert len(out["register2"].findings) == BIG_RESULT + 500
    pids = {r.problems[0].reason for r in out.values()}
    assert len(pids) == 1, "one worker did all five: giving memory back did not end it"


def test_worker_over_the_memory_limit_is_replaced():
    # A forked worker starts as big as this process (which, late in a whole-suite run,
    # holds Django, Playwright …): the limit sits 200 MiB above that, the fat item
    # allocates 400 MiB.
    base = psutil.Process().memory_info().rss
    out = run(["fat1", "a", "b"], time_limit=30, memory_limit=base + 200 * 2**20)
    assert out["fat1"].problems[0].reason.startswith("memory: worker used")
    assert not out["a"].unscannable and not out["b"].unscannable


def test_crashed_worker_is_recorded_and_replaced():
    out = run(["crash1", "a", "b", "c"], time_limit=30)
    assert out["crash1"].problems[0].reason.startswith(CRASH_PREFIX)
    assert "signal 9" in out["crash1"].problems[0].reason
    assert {n for n, r in out.items() if not r.unscannable} == {"a", "b", "c"}


def _live_children(me: psutil.Process) -> set[int]:
    return {c.pid for c in me.children() if c.is_running() and c.status() != psutil.STATUS_ZOMBIE}


def test_workers_are_recycled_and_none_are_left_behind():
    me = psutil.Process()
    before = _live_children(me)  # e.g. Samba/Dovecot started by session fixtures
    out = run([f"f{i}" for i in range(30)], recycle_after=5)
    pids = {r.problems[0].reason for r in out.values()}
    assert len(pids) >= 5  # 30 items, 5 per worker
    time.sleep(0.2)
    assert _live_children(me) - before == set()


def test_no_worker_is_started_when_there_is_nothing_to_read():
    pool = WorkerPool(Settings(), 2, fn=work)
    assert list(pool.run([])) == []
    assert pool.replaced == 0 and pool.workers == []


def test_should_stop_ends_the_run_promptly_and_kills_busy_workers():
    pool = WorkerPool(Settings(time_limit=600), 2, fn=work, poll=0.05)
    t0 = time.monotonic()
    got = list(pool.run([ref("hang1"), ref("hang2")], should_stop=lambda: time.monotonic() - t0 > 0.5))
    assert got == [] and time.monotonic() - t0 < 5
