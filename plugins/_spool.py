"""Spooling a member's bytes: in memory while small, on an anonymous temp file when large.

Shared by the containers (archives), the mail family (mbox messages) and the Microsoft
365 source (downloads), so nothing
unpacked is ever written to disk under a name that came from the file.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from typing import IO

from pvscan.model import ItemData

#: Members up to this size are kept as bytes; larger ones are spooled to a temp file.
MEMORY_CAP = 32 * 1024**2


class SpoolView(io.RawIOBase):
    """An independent read-only view of a shared spool file: each ``open()`` of the
    item gets its own position, and closing the view leaves the spool open. The core
    opens an item more than once (sniffing its first bytes, then extracting).

    ``on_disk`` says the spool is a real file, so ``fileno`` may hand it to a library
    that wants one; a memory spool refuses (it would roll over to disk to answer)."""

    def __init__(self, spool: IO[bytes], size: int, on_disk: bool = False):
        super().__init__()
        self._spool, self._size, self._pos, self._on_disk = spool, size, 0, on_disk

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def fileno(self) -> int:
        if not self._on_disk:
            raise io.UnsupportedOperation("fileno")
        return self._spool.fileno()

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if self._pos >= self._size:
            return 0
        self._spool.seek(self._pos)
        data = self._spool.read(min(len(buffer), self._size - self._pos))
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


class Spool:
    """Collects one member's bytes; in memory while small, on an anonymous temp file
    when large. ``item()`` hands it to the core; ``close()`` frees it."""

    def __init__(self) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=MEMORY_CAP)
        self.size = 0

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self.size += len(data)

    def item(self, name: str) -> ItemData:
        if self.size <= MEMORY_CAP:
            self._file.seek(0)
            data = self._file.read()
            return ItemData(name, data=data)
        spool, size = self._file, self.size
        opener: Callable[[], IO[bytes]] = lambda: io.BufferedReader(SpoolView(spool, size))  # noqa: E731
        return ItemData(name, opener=opener, size=size)

    def close(self) -> None:
        self._file.close()
