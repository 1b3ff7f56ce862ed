"""Running a scan: walk the roots, skip what is unchanged, read the rest in workers,
commit results in batches, mark what is gone, and summarise.

This is the library API the CLI is a thin layer over::

    from pvscan.scan import scan
    summary = scan(["/srv/share"], db="inv.sqlite")
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pluggy

from pvscan import __version__
from pvscan.engine.manager import make_plugin_manager
from pvscan.engine.pool import (
    BIG_RESULT,
    CRASH_PREFIX,
    INHERITED_FDS_TO_CLOSE,
    WorkerPool,
    give_back_memory,
    run_inline,
)
from pvscan.engine.process import _ENGINES, Engine
from pvscan.engine.remote import BrokerLost, RemoteRunner
from pvscan.identity import masking
from pvscan.interfaces import Source
from pvscan.inventory import Inventory, is_postgres, path_keys, scan_lock
from pvscan.model import Entry, ItemRef, ItemResult, Settings, WalkError
from pvscan.scan.duplicates import Duplicates
from pvscan.scan.eta import TotalEstimate
from pvscan.util.paths import data_dir


class ScanInterrupted(RuntimeError):
    """The scan was stopped by a signal; what was committed is kept and a new scan of
    the same roots resumes."""


@dataclass
class ScanSummary:
    scan_id: int
    roots: list[str]
    resumed: bool = False
    files: int = 0
    items: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    gone: int = 0
    read: int = 0
    bytes_read: int = 0
    unscannable: int = 0
    problems: int = 0
    walk_errors: int = 0
    findings: dict[str, int] = field(default_factory=dict)
    #: Items not read on purpose, by category (``program``, ``media``): not problems.
    skipped: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    interrupted: bool = False
    #: Work counted by the readers over this run (``ocr.pages_read`` …), summed.
    counters: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ScanLock:
    """The inventory's scan lock (a ``flock`` beside an SQLite file, an advisory lock in
    PostgreSQL), held for the scan. Both end with the process that holds them, so a
    scan killed with ``kill -9`` never leaves a stale lock behind."""

    def __init__(self, db: str):
        self.lock = scan_lock(db)
        self.fds: list[int] = []

    def __enter__(self) -> ScanLock:
        self.fds = self.lock.acquire()
        # Forked workers close it, so a worker can never hold the lock on its own.
        INHERITED_FDS_TO_CLOSE.update(self.fds)
        return self

    def __exit__(self, *exc: object) -> None:
        INHERITED_FDS_TO_CLOSE.difference_update(self.fds)
        self.lock.release()


def settings_dict(settings: Settings) -> dict[str, Any]:
    return {k: v for k, v in asdict(settings).items() if k != "extra"}


def scan(
    roots: list[str],
    db: str,
    settings: Settings | None = None,
    workers: int | None = None,
    full: bool = False,
    pm: pluggy.PluginManager | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    batch_seconds: float = 1.0,
    batch_items: int = 200,
    broker: str | None = None,
    batch: int = 8,
) -> ScanSummary:
    """Scan ``roots`` into the inventory at ``db`` and return the summary.

    Incremental by default: an item whose stamp (size, mtime_ns, file id) and result
    signature (plugin versions, settings) are unchanged is not read again. ``full``
    reads everything. Raises :class:`ScanLocked` if another scan holds the inventory,
    :class:`ScanInterrupted` on SIGINT/SIGTERM (after committing what is done).

    With ``broker`` (``amqp://…``) the items are read by ``pvscan worker`` processes on
    any number of machines, ``batch`` references per task; this process stays the walker
    and the single writer. A broker that goes away ends the scan as interrupted (the same
    command resumes); :class:`~pvscan.engine.remote.WorkersRefused` when no worker of this
    pvscan version and plugin set takes the work.
    """
    settings = own_files_excluded(settings or Settings(), db)
    roots = [normalise_root(r) for r in roots]
    workers = os.cpu_count() or 1 if workers is None else workers
    pm = pm or make_plugin_manager()
    engine = Engine(settings, pm)
    # Workers are forked from this process and inherit the engine (and any extra
    # plugins it was built with) instead of loading the plugins again.
    sig = result_signature(engine, settings)
    previous = _ENGINES.get(settings)
    _ENGINES[settings] = engine
    # The stop flag stays installed until the scan is recorded as done, so SIGINT or
    # SIGTERM at any moment (also during the final bookkeeping) ends as "interrupted",
    # exit 130, and the next run resumes, never as a bare kill by the signal.
    stop = _StopFlag()
    inv_fd: int | None = None
    try:
        with stop, ScanLock(db), Inventory(db) as inv:
            # A forked worker must not share (or, on exit, close) the database session.
            inv_fd = inv.fileno()
            if inv_fd is not None:
                INHERITED_FDS_TO_CLOSE.add(inv_fd)
            scan_id, resumed = inv.start_scan(
                roots, settings.signature(), settings_dict(settings), plugin_versions(engine), full
            )
            summary = ScanSummary(scan_id=scan_id, roots=roots, resumed=resumed)
            if resumed:
                inv.clear_walk_errors(scan_id)
            inv.begin_seen()
            keep: list[str] = []
            lost = ""
            started = time.monotonic()
            try:
                with inv.bulk_load():
                    _run(
                        inv,
                        engine,
                        roots,
                        settings,
                        sig,
                        workers,
                        full,
                        summary,
                        stop,
                        progress,
                        batch_seconds,
                        batch_items,
                        keep,
                        broker,
                        batch,
                    )
            except _Stopped:
                summary.interrupted = True
            except BrokerLost as exc:
                summary.interrupted = True
                lost = str(exc)
            summary.elapsed = time.monotonic() - started
            if not summary.interrupted:
                summary.gone = inv.mark_gone(scan_id, roots, keep=keep)
                inv.commit()
                _count(inv, roots, summary)
            if summary.interrupted or stop.set:
                summary.interrupted = True
                inv.commit()
                inv.finish_scan(scan_id, "interrupted", {})
                why = f" ({lost})" if lost else ""
                raise ScanInterrupted(f"scan {scan_id} interrupted{why}; run the same scan again to resume")
            for root in roots:
                kept = engine.source_for(root).saved_state(root)
                if kept is not None:
                    inv.save_source_state(root, kept, scan_id)
            inv.finish_scan(
                scan_id,
                "done",
                {
                    "files": summary.files,
                    "items": summary.items,
                    "new": summary.new,
                    "changed": summary.changed,
                    "unchanged": summary.unchanged,
                    "gone": summary.gone,
                    "unscannable": summary.unscannable,
                    "findings": sum(summary.findings.values()),
                    "bytes": summary.bytes_read,
                },
            )
    finally:
        if inv_fd is not None:
            INHERITED_FDS_TO_CLOSE.discard(inv_fd)
        # no global state left behind: the next scan (or test) builds its own
        if previous is None:
            _ENGINES.pop(settings, None)
        else:
            _ENGINES[settings] = previous
    try:
        pm.hook.pvscan_scan_finished(db_path=db, scan_id=scan_id, summary=summary.as_dict())
    except Exception:  # noqa: BLE001 - a notification plugin must not fail a finished scan
        pass
    return summary


def own_files_excluded(settings: Settings, db: str) -> Settings:
    """Never scan pvscan's own inventory (and its WAL) or key: scanning a home folder
    that holds the default inventory would read the database while writing it."""
    own = (str(data_dir()),) if is_postgres(db) else (os.path.abspath(db) + "*", str(data_dir()))
    if all(p in settings.exclude for p in own):
        return settings
    return replace(settings, exclude=tuple(dict.fromkeys(settings.exclude + own)))


def normalise_root(root: str) -> str:
    """Absolute paths for local roots, so the same folder is the same root however it
    was typed; URLs stay as given (without any password)."""
    if "://" in root:
        return root
    return os.path.abspath(os.path.expanduser(root))


class RootUnreachable(ValueError):
    """A local scan root that does not exist or cannot be listed at all: a usage error
    (exit 2) naming the root, raised before anything is scanned or marked gone."""

    def __init__(self, root: str, reason: str, scanned_before: bool = False):
        super().__init__(root)
        self.root, self.reason, self.scanned_before = root, reason, scanned_before


def check_roots(roots: list[str], known: Iterable[str] = ()) -> None:
    """Refuse a local root that is missing or unreadable as a whole.

    Without this, ``pvscan scan /no/such/folder`` reported one unreadable file and exit
    1, which reads like a scan that ran. Items under a root that was scanned before
    (``known``: an unmounted share) are never touched by a scan that does not run, so
    they are not marked gone. URL roots are checked by their source's ``prepare``."""
    known = set(known)
    for root in roots:
        if "://" in root:
            continue
        try:
            if os.path.isdir(root):
                with os.scandir(root) as it:
                    next(it, None)
            else:
                with open(root, "rb"):
                    pass
        except OSError as exc:
            raise RootUnreachable(root, exc.strerror or str(exc), root in known) from exc


def result_signature(engine: Engine, settings: Settings) -> str:
    """What an item's stored result depends on besides its bytes."""
    parts = [f"pvscan {__version__}", settings.signature()]
    parts += sorted(f"{e.name}={e.version}" for e in engine.extractors)
    parts += sorted(f"{d.id}={d.version}" for d in engine.detectors)

    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def plugin_versions(engine: Engine) -> list[str]:
    return (
        [f"source {s.name} {s.version}" for s in engine.sources]
        + [f"extractor {e.name} {e.version}" for e in engine.extractors]
        + [f"detector {d.id} {d.version}" for d in engine.detectors]
    )


class _Stopped(Exception):
    pass


class _StopFlag:
    """Turns SIGINT/SIGTERM into a flag checked between results, so the batch in hand
    is committed before the scan stops."""

    def __init__(self) -> None:
        self.set = False
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _StopFlag:
        for s in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[s] = signal.signal(s, self._handler)
            except ValueError:  # not the main thread
                pass
        return self

    def _handler(self, signum: int, frame: object) -> None:
        self.set = True

    def __exit__(self, *exc: object) -> None:
        for s, h in self._old.items():
            signal.signal(s, h)


#: Walked entries looked up in the inventory with one query.
LOOKUP_CHUNK = 512


def _run(
    inv: Inventory,
    engine: Engine,
    roots: list[str],
    settings: Settings,
    sig: str,
    workers: int,
    full: bool,
    summary: ScanSummary,
    stop: _StopFlag,
    progress: Callable[[dict[str, Any]], None] | None,
    batch_seconds: float,
    batch_items: int,
    keep: list[str],
    broker: str | None = None,
    batch: int = 8,
) -> None:
    """Walk, skip the unchanged, read the rest, store results in batches.

    The walk runs lazily inside the pool's feeding loop, so a share of millions of
    files is never listed into memory; entries are looked up in chunks."""
    scan_id = summary.scan_id
    root_of: dict[str, str] = {}
    seen: list[int] = []
    state = {"walk_done": False, "last_progress": 0.0, "last_commit": time.monotonic(), "pending": 0}
    started = time.monotonic()
    # A re-scan has the last scan's count; counting ahead as well would walk the share
    # twice at once, and a re-scan is nothing but its walk.
    previous = inv.known_file_count(roots) if progress is not None else None
    estimate = (
        TotalEstimate(roots, previous, count_ahead=previous is None, exclude=settings.exclude)
        if progress is not None
        else None
    )

    def report(force: bool = False) -> None:
        now = time.monotonic()
        if progress is not None and (force or now - state["last_progress"] >= batch_seconds):
            state["last_progress"] = now
            rec = _progress_record(summary, started, bool(state["walk_done"]), estimate)
            if force:
                rec["final"] = True  # non-terminal logs always get the last record
            progress(rec)

    def flush_seen() -> None:
        if seen:
            inv.add_seen(seen)
            seen.clear()

    reveal = settings.reveal

    def decide(chunk: list[Entry], root: str, source: Source) -> Iterator[ItemRef]:
        summary.files += len(chunk)
        keys = path_keys([e[0] for e in chunk])
        # --full reads everything once per scan, also when resumed: only what this scan
        # stored may stand
        stored = inv.reusable_many(keys, sig, reveal, scan_id if full else None).get
        unchanged = 0
        # field by field, no stamp tuples: this loop runs once per file of the share
        for entry, key in zip(chunk, keys, strict=True):
            row = stored(key)
            if row is not None and row[3] == entry[2] and row[2] == entry[1] and row[4] == entry[3]:
                unchanged += 1
                seen.append(row[1])
                continue
            ref = source.ref_for(entry)
            root_of[ref.url] = root
            yield ref
        summary.unchanged += unchanged
        if len(seen) >= LOOKUP_CHUNK:
            flush_seen()
        report()

    def to_read() -> Iterator[ItemRef]:
        for root in roots:
            source = engine.source_for(root)
            source.restore_state(root, inv.source_state(root))
            chunk: list[Entry] = []
            for entry in source.entries(root, settings):
                if stop.set:
                    return
                if isinstance(entry, WalkError):
                    inv.record_walk_error(scan_id, root, entry.display, entry.reason)
                    keep.append(entry.display)
                    summary.walk_errors += 1
                    continue
                chunk.append(entry)
                if len(chunk) >= LOOKUP_CHUNK:
                    yield from decide(chunk, root, source)
                    chunk = []
            if chunk:
                yield from decide(chunk, root, source)
        state["walk_done"] = True

    def should_stop() -> bool:
        return stop.set

    # Credentials are resolved here, in this process and before any worker starts, so a
    # prompt is seen and local workers inherit what it put in the environment. A failure
    # is left to the walk, which records it against the root with its reason.
    for root in roots:
        with contextlib.suppress(Exception):
            engine.source_for(root).prepare(root)
    dups = Duplicates(lambda ref: engine.source_for(ref.source).local_path(ref), settings.max_file_bytes)
    if broker:
        read: Iterator[ItemResult] = RemoteRunner(broker, settings, batch=batch).run(
            dups.refs(to_read()), should_stop=should_stop
        )
    elif workers <= 0:
        read = run_inline(settings, dups.refs(to_read()), should_stop=should_stop)
    else:
        read = WorkerPool(settings, workers).run(dups.refs(to_read()), should_stop=should_stop)
    results = dups.results(read)
    try:
        for res in results:
            if stop.set and res.unscannable and _cut_short(res):
                # A worker killed by the shutdown itself: leave the item for the resume.
                continue
            change = inv.store_result(
                scan_id, root_of.pop(res.ref.url, ""), res, _stored_sig(res, sig), settings.reveal, masking
            )
            seen.append(inv.last_item_id)
            if len(res.findings) > BIG_RESULT:
                del res.findings[:]  # a register's findings, stored: give their memory back
                give_back_memory()
            for name, n in res.counters.items():
                summary.counters[name] = summary.counters.get(name, 0) + n
            summary.read += 1
            summary.bytes_read += res.ref.size
            if change == "new":
                summary.new += 1
            elif change == "changed":
                summary.changed += 1
            state["pending"] += 1
            now = time.monotonic()
            if state["pending"] >= batch_items or now - state["last_commit"] >= batch_seconds:
                flush_seen()
                inv.commit()
                state["pending"], state["last_commit"] = 0, now
            report()
    finally:
        # Close the pool now, also on an error here: its workers must not outlive the scan.
        close = getattr(results, "close", None)
        if close is not None:
            close()
        flush_seen()
        inv.commit()
        if estimate is not None:
            estimate.close()
    if stop.set:
        raise _Stopped
    state["walk_done"] = True
    report(force=True)


def _stored_sig(res: ItemResult, sig: str) -> str:
    """An item that could not be read for an ``io:`` reason (a server stopped mid-scan,
    a share that dropped, permission denied) is stored with a signature that never
    matches, so the next run reads it again even though its stamp is unchanged."""
    if res.unscannable and any(p.reason.startswith("io:") for p in res.problems):
        return "retry:" + sig
    return sig


def _cut_short(res: ItemResult) -> bool:
    return any(p.reason.startswith(CRASH_PREFIX) for p in res.problems)


def _progress_record(
    summary: ScanSummary, started: float, walk_done: bool, estimate: TotalEstimate | None = None
) -> dict[str, Any]:
    """One progress record. The ETA is the files still to do at the pace so far (read
    and unchanged files alike); before the walk has finished, the total comes from
    ``estimate`` (the last scan of these roots, or a count running ahead) and the
    record says ``eta_rough``."""
    elapsed = max(1e-6, time.monotonic() - started)
    done = summary.read + summary.unchanged
    total, rough = (
        estimate.total(summary.files, walk_done)
        if estimate is not None
        else (summary.files if walk_done else None, not walk_done)
    )
    eta = None
    if total is not None and done:
        eta = round(max(0, total - done) / (done / elapsed), 0)
    return {
        "event": "progress",
        "files_seen": summary.files,
        "files_done": done,
        "files_total": total,
        "read": summary.read,
        "unchanged": summary.unchanged,
        "bytes": summary.bytes_read,
        "files_per_s": round(summary.read / elapsed, 1),
        "mb_per_s": round(summary.bytes_read / elapsed / 1e6, 2),
        "walk_done": walk_done,
        "eta_s": eta,
        "eta_rough": rough,
        "elapsed_s": round(elapsed, 1),
    }


def _count(inv: Inventory, roots: list[str], summary: ScanSummary) -> None:
    """Totals over the whole current inventory of these roots (not just what was read
    in this run), so an incremental scan reports the same as a full one."""
    totals = inv.totals(roots)
    summary.files = totals["files"] + summary.walk_errors
    summary.items = totals["items"]
    summary.unscannable = totals["unscannable"]
    summary.problems = totals["problems"] + summary.walk_errors
    summary.findings = totals["findings"]
    summary.skipped = dict(sorted(totals["skipped"].items()))
