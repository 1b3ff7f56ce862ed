"""Identical files read once per scan: a copy costs a hash, not a parse.

Shares hold many copies of the same file (saved attachments, "Kopi av …", backups of a
folder). Each copy is personal data in its own place, so the inventory lists every copy
with its own path, owner and stamp; but what a copy *contains* is what the original
contains, so its findings and problems are taken from the original's result instead of
being read again.

How, without hashing every file of the share (which would read every byte twice):

- the coordinator remembers the size of each local file it sends to the readers;
- only when a second file of the same size comes along are the two hashed (BLAKE2b of
  the content, plus the lower-cased extension, since the extension can choose the
  reader); different files of equal size are just read;
- a copy of a file still being read waits for that result; a copy of one already read
  is stored at once. Either way the copy's result carries no findings, only
  ``copy_of`` (the original's URL): the inventory gives it the findings it stored for
  the original (:meth:`pvscan.inventory.Inventory.store_result`), so no findings are held
  in memory for copies that may never come. What is remembered per original is its
  result without findings (problems, kind, reader), for the last RESULTS originals; a
  copy of an older one is read as usual.

Only files the source can hand over as a local path are hashed here (local folders,
mounted shares); a remote source's item would have to be fetched twice. The hash reads
the file with ``O_NOATIME`` when allowed and puts the access time back otherwise, as the
readers do, so "last opened" stays the owner's.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from pvscan.model import ItemRef, ItemResult, Problem

#: Files smaller than this are read, never hashed: parsing them costs about as much.
MIN_SIZE = 1024
#: Sizes remembered (with up to PEERS files each), newest kept.
SIZES = 1 << 16
PEERS = 8
#: Originals remembered for copies that come later (see :class:`Original`, a few
#: hundred bytes each: 3-4 MB at most). Findings were once held here too, bounded at 20,000: on the
#: bench's duplicate-heavy tree half of the copies (those of big registers) had lost
#: their original's result and were read again.
RESULTS = 1 << 14
_CHUNK = 1 << 20


def content_key(path: str, name: str) -> bytes | None:
    """BLAKE2b of the file's bytes and its lower-cased extension; None if unreadable."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    try:
        st = os.stat(path)
    except OSError:
        return None
    flags = os.O_RDONLY | getattr(os, "O_NOATIME", 0)
    try:
        try:
            fd = os.open(path, flags)
        except PermissionError:  # O_NOATIME is for the owner (or root) only
            fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    h = hashlib.blake2b(digest_size=20)
    try:
        with os.fdopen(fd, "rb", buffering=0) as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
    except OSError:
        return None
    _restore_atime(path, st)
    return h.digest() + b"|" + os.fsencode(ext)


def _restore_atime(path: str, before: os.stat_result) -> None:
    try:
        now = os.stat(path)
        if now.st_atime_ns != before.st_atime_ns and now.st_mtime_ns == before.st_mtime_ns:
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns), follow_symlinks=False)
    except OSError:
        pass


class Duplicates:
    """Sits between the walk and the readers (:meth:`refs`) and between the readers and
    the inventory (:meth:`results`): holds copies back and hands out their results.

    ``local_path(ref)`` gives the file to hash, or None for items that cannot be hashed
    locally (those pass straight through); files over ``max_size`` (which the readers
    refuse unread) are never hashed."""

    def __init__(self, local_path: Callable[[ItemRef], str | None], max_size: int = 1 << 62):
        self.local_path = local_path
        self.max_size = max_size
        self._sizes: OrderedDict[int, list[list[Any]]] = OrderedDict()  # size -> [[url, path, name, key]]
        self._pending: set[str] = set()  # urls sent to the readers, result not yet back
        self._waiting: dict[str, list[ItemRef]] = {}  # original url -> copies waiting for it
        self._results: OrderedDict[str, Original] = OrderedDict()
        self._ready: deque[tuple[Original, ItemRef]] = deque()
        self.copies = 0
        self.copy_bytes = 0

    # ------------------------------------------------------------ walk side
    def refs(self, refs: Iterable[ItemRef]) -> Iterator[ItemRef]:
        """The items to read: ``refs`` less the copies of items read in this scan."""
        for ref in refs:
            if ref.size < MIN_SIZE or ref.size > self.max_size or not self._is_copy(ref):
                yield ref

    def _is_copy(self, ref: ItemRef) -> bool:
        path = self.local_path(ref)
        if path is None:
            return False
        peers = self._sizes.get(ref.size)
        if peers is None:
            self._remember(ref, path, None)
            return False
        self._sizes.move_to_end(ref.size)
        key = content_key(path, ref.name)
        if key is None:
            return False  # the reader will say why it cannot be read
        for peer in peers:
            if peer[3] is None:
                peer[3] = content_key(peer[1], peer[2]) or b"?"
            if peer[3] != key:
                continue
            url = peer[0]
            if url in self._pending:
                self._waiting.setdefault(url, []).append(ref)
                self._count(ref)
                return True
            done = self._results.get(url)
            if done is not None:
                self._ready.append((done, ref))
                self._count(ref)
                return True
        self._remember(ref, path, key)
        return False

    def _remember(self, ref: ItemRef, path: str, key: bytes | None) -> None:
        peers = self._sizes.setdefault(ref.size, [])
        if len(peers) >= PEERS:
            peers.pop(0)
        peers.append([ref.url, path, ref.name, key])
        while len(self._sizes) > SIZES:
            self._sizes.popitem(last=False)
        self._pending.add(ref.url)

    def _count(self, ref: ItemRef) -> None:
        self.copies += 1
        self.copy_bytes += ref.size

    # ------------------------------------------------------------ result side
    def results(self, results: Iterable[ItemResult]) -> DuplicateResults:
        """``results`` with a result for every held-back copy added after its original's."""
        return DuplicateResults(self, iter(results))

    def _keep(self, res: ItemResult) -> None:
        url = res.ref.url
        if url not in self._pending:
            return
        self._pending.discard(url)
        kept = Original.of(res)
        for copy in self._waiting.pop(url, ()):
            self._ready.append((kept, copy))
        self._results[url] = kept
        while len(self._results) > RESULTS:
            self._results.popitem(last=False)

    def _next_copy(self) -> ItemResult | None:
        if not self._ready:
            return None
        original, ref = self._ready.popleft()
        return copy_result(original, ref)


class Original(NamedTuple):
    """What a copy takes from its original's result besides the findings (which the
    inventory copies): a few hundred bytes, not the result with its item reference."""

    url: str
    problems: tuple[Problem, ...]
    kind: str
    extractor: str
    inner_items: int
    unscannable: bool
    skipped: str

    @classmethod
    def of(cls, res: ItemResult) -> Original:
        return cls(
            res.ref.url,
            tuple(res.problems),
            res.kind,
            res.extractor,
            res.inner_items,
            res.unscannable,
            res.skipped,
        )


def copy_result(original: Original, ref: ItemRef) -> ItemResult:
    """The result of ``ref``, a byte-identical copy of ``original``'s item: the same
    problems (their inner paths are relative to the item), its own ref, and the
    original's findings by reference (``copy_of``), which the inventory copies."""
    return ItemResult(
        ref=ref,
        problems=list(original.problems),
        kind=original.kind,
        extractor=original.extractor,
        inner_items=original.inner_items,
        unscannable=original.unscannable,
        skipped=original.skipped,
        counters={"duplicates.copies": 1},
        copy_of=original.url,
    )


class DuplicateResults:
    """The readers' results followed, each, by the results of the copies that waited for
    it. ``close()`` closes the readers' iterator too (the pool's workers must not outlive
    the scan), even if iteration never started."""

    def __init__(self, dups: Duplicates, inner: Iterator[ItemResult]):
        self.dups = dups
        self.inner = inner

    def __iter__(self) -> DuplicateResults:
        return self

    def __next__(self) -> ItemResult:
        copy = self.dups._next_copy()
        if copy is not None:
            return copy
        try:
            res = next(self.inner)
        except StopIteration:
            # the readers' last step may have walked into copies of finished items
            copy = self.dups._next_copy()
            if copy is None:
                raise
            return copy
        self.dups._keep(res)
        return res

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()
