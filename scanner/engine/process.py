"""The per-item work: (item reference, settings) -> (findings, problems).

:func:`process_item` is a pure function of its arguments (plus the installed plugins),
so the worker pool here, or a distributed engine later, can run it anywhere the item is
reachable. Everything that can go wrong inside one item is caught here and turned into
a :class:`~pvscan.model.Problem`; only ``KeyboardInterrupt``/``SystemExit`` pass.
"""

from __future__ import annotations

import logging
import lzma
import os
import struct
import time
import warnings
import zipfile
import zlib
from xml.etree.ElementTree import ParseError

import pluggy

from pvscan.engine.filetypes import not_a_document
from pvscan.engine.manager import make_plugin_manager
from pvscan.engine.sniff import sniff
from pvscan.interfaces import Detector, DocState, Extractor, Source
from pvscan.model import (
    CONFIDENCES,
    Finding,
    Gap,
    InnerItem,
    ItemData,
    ItemRef,
    ItemResult,
    LimitExceeded,
    Problem,
    Segment,
    Settings,
    Unscannable,
    confidence_rank,
)

SEP = " / "

#: Library exceptions that mean "this file is damaged", whatever library raised them.
_CORRUPT_EXC: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    EOFError,
    ParseError,
    UnicodeDecodeError,
)
try:
    from lxml.etree import XMLSyntaxError

    _CORRUPT_EXC += (XMLSyntaxError,)
except ImportError:  # pragma: no cover
    pass


def describe_exception(exc: BaseException, plugin: str) -> str:
    """The reason recorded for an exception raised while reading an item."""
    if isinstance(exc, Unscannable):
        return exc.reason
    if isinstance(exc, MemoryError):
        return "memory: out of memory while reading"
    if isinstance(exc, RecursionError):
        return "corrupt: structure nested too deeply"
    text = str(exc).strip().replace("\n", " ")[:200]
    if isinstance(exc, _CORRUPT_EXC):
        return f"corrupt: {type(exc).__name__}: {text}" if text else f"corrupt: {type(exc).__name__}"
    if isinstance(exc, (PermissionError,)):
        return f"io: permission denied: {text}"
    if isinstance(exc, (FileNotFoundError,)):
        return f"io: vanished: {text}"
    return f"error: {plugin}: {type(exc).__name__}: {text}"


class Engine:
    """Extractors, detectors and sources of one process, built once and reused."""

    def __init__(self, settings: Settings, pm: pluggy.PluginManager | None = None):
        self.settings = settings
        quiet_libraries()
        self.pm = pm or make_plugin_manager()
        self.extractors: list[Extractor] = sorted(
            (e for group in self.pm.hook.pvscan_extractors() for e in group or ()),
            key=lambda e: -e.priority,
        )
        self.detectors: list[Detector] = [
            d for group in self.pm.hook.pvscan_detectors(settings=settings) for d in group or ()
        ]
        self.sources: list[Source] = [s for group in self.pm.hook.pvscan_sources() for s in group or ()]
        self._min_rank = confidence_rank(settings.min_confidence)

    # ------------------------------------------------------------------ sources
    def source_for(self, name_or_root: str) -> Source:
        # A source's name first: "imap" has no "://", so the local source would claim it.
        for s in self.sources:
            if s.name == name_or_root:
                return s
        for s in self.sources:
            if s.handles(name_or_root):
                return s
        raise Unscannable(f"no source plugin for {name_or_root}", "unsupported")

    def item_data(self, ref: ItemRef) -> ItemData:
        source = self.source_for(ref.source)
        path = source.local_path(ref)
        hint = dict(ref.meta).get("kind")
        if path is not None:
            return ItemData(ref.name, path=path, size=ref.size, kind_hint=hint)
        return ItemData(
            ref.name, opener=lambda: source.open(ref, self.settings), size=ref.size, kind_hint=hint
        )

    # ------------------------------------------------------------------ items
    def choose(self, data: ItemData) -> Extractor | None:
        for e in self.extractors:
            try:
                if e.claims(data):
                    return e
            except Exception:  # a broken claims() must not hide the others
                continue
        return None

    def process(self, ref: ItemRef) -> ItemResult:
        started = time.monotonic()
        result = ItemResult(ref=ref)
        try:
            if ref.size > self.settings.max_file_bytes:
                raise LimitExceeded(
                    f"file is {ref.size} bytes, over the limit of {self.settings.max_file_bytes}"
                )
            data = self.item_data(ref)
            before = _times(data.path) if data.path and self.settings.preserve_atime else None
            try:
                with warnings.catch_warnings():
                    # Libraries warn about the damaged files we exist to read (Pillow,
                    # xlrd, pdfminer); the outcome is recorded, not printed.
                    warnings.simplefilter("ignore")
                    self._scan(data, [], result, top=True)
            finally:
                if before is not None:
                    _restore_atime(data.path, before)  # type: ignore[arg-type]
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - isolation is the point
            result.unscannable = True
            result.problems.append(Problem("", describe_exception(exc, "source")))
        result.elapsed = time.monotonic() - started
        return result

    def _scan(self, data: ItemData, path: list[str], result: ItemResult, top: bool = False) -> None:
        item = SEP.join(path)
        kind = data.kind_hint or sniff(data)
        data.kind = kind
        if top:
            result.kind = kind
        if kind == "empty":
            return
        extractor = self.choose(data)
        if extractor is None:
            what = not_a_document(data)
            if what is not None:
                # Programs and media are not read; neither is an error (see filetypes).
                # A top-level one is recorded as skipped, an inner one is left out.
                if top:
                    result.skipped = f"{what}: {kind} ({data.extension or 'no extension'})"
                return
            problem = Problem(
                item, f"unsupported: no extractor for {kind} ({data.extension or 'no extension'})"
            )
            if top:
                result.unscannable = True
            result.problems.append(problem)
            return
        if top:
            result.extractor = f"{extractor.name} {extractor.version}"
        doc = DocState(item)
        budget = self.settings.max_text_chars
        broken: set[str] = set()
        try:
            for piece in extractor.extract(data, self.settings):
                if isinstance(piece, Segment):
                    budget -= len(piece.text)
                    if budget < 0:
                        result.problems.append(
                            Problem(
                                item,
                                f"limit: more than {self.settings.max_text_chars} characters of text; the rest was not read",
                            )
                        )
                        break
                    self._detect(piece, doc, broken, result)
                elif isinstance(piece, InnerItem):
                    result.inner_items += 1
                    if data.depth + 1 > self.settings.max_depth:
                        result.problems.append(
                            Problem(
                                SEP.join([*path, piece.name]),
                                f"limit: nested deeper than {self.settings.max_depth} levels",
                            )
                        )
                        continue
                    piece.data.depth = data.depth + 1
                    self._scan_inner(piece, path, result)
                elif isinstance(piece, Gap):
                    where = SEP.join([*path, piece.location]) if piece.location else item
                    result.problems.append(Problem(where, piece.reason))
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001
            if top:
                result.unscannable = True
            result.problems.append(Problem(item, describe_exception(exc, extractor.name)))
        self._finish(doc, broken, result)

    def _scan_inner(self, piece: InnerItem, path: list[str], result: ItemResult) -> None:
        try:
            self._scan(piece.data, [*path, piece.name], result)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001
            result.problems.append(Problem(SEP.join([*path, piece.name]), describe_exception(exc, "inner")))

    def _detect(self, segment: Segment, doc: DocState, broken: set[str], result: ItemResult) -> None:
        for det in self.detectors:
            if det.id in broken:
                continue
            try:
                for f in det.detect(segment, doc):
                    f.detector = f.detector or det.id
                    f.location = f.location or segment.location_at(f.start)
                    doc.findings.append(f)
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:  # noqa: BLE001
                broken.add(det.id)
                result.problems.append(
                    Problem(doc.item, f"error: detector {det.id}: {type(exc).__name__}: {exc}"[:300])
                )

    def _finish(self, doc: DocState, broken: set[str], result: ItemResult) -> None:
        for det in self.detectors:
            if det.id in broken:
                continue
            try:
                for f in det.finish(doc):
                    f.detector = f.detector or det.id
                    doc.findings.append(f)
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:  # noqa: BLE001
                result.problems.append(
                    Problem(doc.item, f"error: detector {det.id}: {type(exc).__name__}: {exc}"[:300])
                )
        for f in doc.findings:
            if confidence_rank(f.confidence) < self._min_rank:
                continue
            if f.variant == "syntetisk" and not self.settings.include_synthetic:
                continue
            f.item = doc.item
            result.findings.append(f)


def _times(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_atime_ns, st.st_mtime_ns


def _restore_atime(path: str, before: tuple[int, int] | None) -> None:
    """Put back the access time reading changed (Linux ``relatime`` updates an atime
    older than a day), so "last opened" stays the owner's, as backup tools do. Only
    when the file is otherwise unchanged (same mtime) and we may (owner or root)."""
    if before is None:
        return
    now = _times(path)
    if now is None or now == before or now[1] != before[1]:
        return
    try:
        os.utime(path, ns=before, follow_symlinks=False)
    except OSError:
        pass


def quiet_libraries() -> None:
    """Keep third-party log records (pdfminer, extract-msg, py7zr …) off the terminal:
    with no handler configured, Python's last-resort handler prints them to stderr in
    the middle of progress output and cron mail. pvscan reports problems itself."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())


_ENGINES: dict[Settings, Engine] = {}


def get_engine(settings: Settings) -> Engine:
    """One engine per process and settings (plugins are loaded once, not per item)."""
    eng = _ENGINES.get(settings)
    if eng is None:
        eng = _ENGINES[settings] = Engine(settings)
    return eng


def process_item(ref: ItemRef, settings: Settings) -> ItemResult:
    """The pure per-item function: what a distributed engine would call remotely."""
    return get_engine(settings).process(ref)


__all__ = ["Engine", "process_item", "get_engine", "describe_exception", "Finding", "CONFIDENCES"]
