"""Containers: .zip (nested), .tar, .tar.gz/.tgz, .gz/.bz2/.xz single files, .7z.

Every member is an inner item named by its path in the archive; the core scans it with
whatever extractor claims it, so nesting works at any depth up to ``settings.max_depth``.

Members are never extracted to disk by name: they are read into memory, or into an
anonymous :class:`tempfile.SpooledTemporaryFile` when large, so ``../`` names, absolute
paths and symlink members cannot touch the file system.

Bomb guards, because a 200 KB zip can expand to terabytes:

* the declared sizes are checked first (``max_members``, ``max_unpacked_bytes``,
  ``max_ratio``), so an obvious bomb is refused without inflating anything;
* the real bytes are counted while inflating, in chunks, and reading stops as soon as a
  member's ratio or the archive's total goes over a limit, because headers can lie.
"""

from __future__ import annotations

import bz2
import io
import lzma
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import (
    CorruptError,
    EncryptedError,
    Extracted,
    Gap,
    InnerItem,
    ItemData,
    LimitExceeded,
    Settings,
    UnsupportedError,
)
from pvscan.plugins._spool import MEMORY_CAP, Spool

#: The compression ratio is only judged above this many unpacked bytes: small text
#: files full of spaces legitimately compress 500:1 and are no threat.
RATIO_FLOOR = 1024**2
CHUNK = 1024**2


# --------------------------------------------------------------------------- budget
class Budget:
    """The bytes one container may unpack, and the ratio its members may have."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.used = 0

    def bomb(self, detail: str) -> LimitExceeded:
        return LimitExceeded(f"{detail}; possible zip bomb")

    def check_ratio(self, unpacked: int, packed: int, what: str) -> None:
        limit = self.settings.max_ratio
        if unpacked > RATIO_FLOOR and unpacked > limit * max(packed, 1):
            ratio = unpacked / max(packed, 1)
            raise self.bomb(
                f"{what}: compression ratio {ratio:.0f}:1 is over the limit of {limit:.0f}:1 (max_ratio)"
            )

    def check_total(self, extra: int, what: str) -> None:
        limit = self.settings.max_unpacked_bytes
        if self.used + extra > limit:
            raise self.bomb(
                f"{what}: unpacking more than {limit} bytes in total is over the limit (max_unpacked_bytes)"
            )

    def read(self, fh: IO[bytes], packed: int | None, what: str) -> Spool:
        """Read ``fh`` to the end into a spool, counting real bytes as they come."""
        spool = Spool()
        try:
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                self.check_total(len(chunk), what)
                self.used += len(chunk)
                spool.write(chunk)
                if packed is not None:
                    self.check_ratio(spool.size, packed, what)
        except BaseException:
            spool.close()
            raise
        return spool


class CountingReader(io.RawIOBase):
    """Wraps a decompressing stream and enforces the ratio and total limits on the
    whole stream (a .tar.gz is one stream)."""

    def __init__(self, inner: IO[bytes], packed: int, budget: Budget, what: str):
        super().__init__()
        self._inner = inner
        self._packed = packed
        self._budget = budget
        self._what = what
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        data = self._inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        self._budget.check_ratio(self.count, self._packed, self._what)
        if self.count > self._budget.settings.max_unpacked_bytes:
            raise self._budget.bomb(
                f"{self._what}: unpacks to more than {self._budget.settings.max_unpacked_bytes} bytes (max_unpacked_bytes)"
            )
        return n


class _Outcome:
    """Holds back failures until a member reads well, so an archive whose every member
    fails is reported once, as the archive, not once per member."""

    def __init__(self) -> None:
        self.ok = 0
        self.held: list[tuple[Gap, Exception]] = []

    def fail(self, step: str, exc: Exception) -> Iterator[Extracted]:
        reason = getattr(exc, "reason", None) or f"corrupt: {type(exc).__name__}: {exc}"[:200]
        gap = Gap(step, reason)
        if self.ok:
            yield gap
        else:
            self.held.append((gap, exc))

    def success(self) -> Iterator[Extracted]:
        self.ok += 1
        held, self.held = self.held, []
        for gap, _ in held:
            yield gap

    def finish(self, what: str) -> Iterator[Extracted]:
        if self.ok or not self.held:
            yield from (g for g, _ in self.held)
            return
        categories = {getattr(e, "category", "corrupt") for _, e in self.held}
        n = len(self.held)
        first = self.held[0][1]
        if categories == {"encrypted"}:
            raise EncryptedError(f"password required: all {n} member(s) of the {what} are encrypted")
        if categories == {"limit"}:
            raise LimitExceeded(getattr(first, "detail", str(first)))
        if categories == {"corrupt"} and n > 1:
            raise CorruptError(f"no member of the {what} could be read: {getattr(first, 'detail', first)}")
        yield from (g for g, _ in self.held)


def _member_name(name: str) -> str:
    """A readable step for a member path; it is only a label, never a file-system path."""
    name = "".join(c if c.isprintable() else "?" for c in name).strip()
    return name.lstrip("/") or "(uten navn)"


def _same_as_container(spool: Spool, item: ItemData) -> bool:
    """A quine (an archive that contains or inflates to itself) would only stop at the
    depth limit; spot it early."""
    if spool.size != item.size or spool.size > MEMORY_CAP:
        return False
    return spool.item("x").read() == item.read()


def _finish_member(spool: Spool, step: str, item: ItemData) -> InnerItem:
    if _same_as_container(spool, item):
        spool.close()
        raise LimitExceeded(f"{step}: the archive contains itself (a quine); possible zip bomb")
    return InnerItem(step, spool.item(step.rsplit("/", 1)[-1]))


# --------------------------------------------------------------------------- zip
def _zip_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:
        # Without the UTF-8 flag Python decodes as cp437, but many tools write UTF-8 and
        # Norwegian Windows wrote cp850/cp865 (where ø lives); try those first.
        try:
            raw = name.encode("cp437")
        except UnicodeEncodeError:
            return name
        for enc in ("utf-8", "cp865"):
            try:
                return raw.decode(enc)
            except UnicodeDecodeError:
                continue
    return name


class ZipExtractor(Extractor):
    name = "zip"
    version = "1"
    kinds = ("zip",)
    extensions = ("zip",)
    priority = 0

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        fh = item.open()
        try:
            try:
                zf = zipfile.ZipFile(fh)
            except (
                zipfile.BadZipFile,
                OSError,
                ValueError,
                EOFError,
                NotImplementedError,
                IndexError,
                KeyError,
            ) as exc:
                raise CorruptError(f"not a readable zip archive: {type(exc).__name__}: {exc}") from exc
            with zf:
                yield from self._members(zf, item, settings)
        finally:
            fh.close()

    def _members(self, zf: zipfile.ZipFile, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        infos = [
            i
            for i in zf.infolist()
            if i.filename and not i.is_dir() and not _is_link(i) and not _is_apple_double(i.filename)
        ]
        budget = Budget(settings)
        declared = sum(i.file_size for i in infos)
        packed = max(item.size, 1)
        if declared > settings.max_unpacked_bytes and declared > settings.max_ratio * packed:
            raise budget.bomb(
                f"the archive declares {declared} unpacked bytes from {item.size} (ratio {declared / packed:.0f}:1), "
                f"over the limits max_unpacked_bytes={settings.max_unpacked_bytes} and max_ratio={settings.max_ratio:.0f}"
            )
        outcome = _Outcome()
        skipped = infos[settings.max_members :]
        for info in infos[: settings.max_members]:
            step = _member_name(_zip_name(info))
            try:
                if info.flag_bits & 0x1:
                    raise EncryptedError("password required")
                budget.check_ratio(info.file_size, info.compress_size, step)
                budget.check_total(info.file_size, step)
                try:
                    with zf.open(info) as member:
                        spool = budget.read(member, info.compress_size, step)
                except NotImplementedError as exc:
                    raise UnsupportedError(f"compression method {info.compress_type}: {exc}") from exc
                except (
                    zipfile.BadZipFile,
                    zlib.error,
                    EOFError,
                    OSError,
                    lzma.LZMAError,
                    IndexError,
                    ValueError,
                ) as exc:
                    raise CorruptError(f"{type(exc).__name__}: {exc}") from exc
                inner = _finish_member(spool, step, item)
            except (EncryptedError, CorruptError, UnsupportedError, LimitExceeded) as exc:
                yield from outcome.fail(step, exc)
                continue
            yield from outcome.success()
            try:
                yield inner
            finally:
                spool.close()
        yield from outcome.finish("zip archive")
        if skipped:
            yield Gap(
                "",
                f"limit: {len(infos)} members, only the first {settings.max_members} were read (max_members)",
            )


def _is_apple_double(name: str) -> bool:
    """macOS resource forks (``__MACOSX/._x.pdf``) look like the file but hold no text."""
    return name.startswith("__MACOSX/") or name.rsplit("/", 1)[-1].startswith("._")


def _is_link(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


# --------------------------------------------------------------------------- tar
def _tar_members(
    tf: tarfile.TarFile, budget: Budget, item: ItemData, settings: Settings, stream: bool = False
) -> Iterator[Extracted]:
    outcome = _Outcome()
    count = 0
    while True:
        try:
            info = tf.next()
        except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
            yield from outcome.fail("", CorruptError(f"damaged tar archive: {type(exc).__name__}: {exc}"))
            break
        if info is None:
            break
        if not info.isreg():
            continue  # directories, links, devices: nothing to read and nothing to follow
        count += 1
        if count > settings.max_members:
            yield Gap(
                "", f"limit: more than {settings.max_members} members, the rest were not read (max_members)"
            )
            break
        step = _member_name(info.name)
        try:
            budget.check_total(info.size, step)
            member = tf.extractfile(info)
            if member is None:
                continue
            try:
                spool = budget.read(member, None, step)
            except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
                raise CorruptError(f"{type(exc).__name__}: {exc}") from exc
            inner = _finish_member(spool, step, item)
        except (CorruptError, LimitExceeded) as exc:
            yield from outcome.fail(step, exc)
            if stream or isinstance(exc, CorruptError) or "max_unpacked_bytes" in exc.detail:
                break  # damaged from here on, the total is spent, or a stream cannot skip
            continue
        yield from outcome.success()
        try:
            yield inner
        finally:
            spool.close()
    yield from outcome.finish("tar archive")


class TarExtractor(Extractor):
    name = "tar"
    version = "1"
    kinds = ("tar",)
    extensions = ("tar",)

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        with item.open() as fh:
            try:
                tf = tarfile.open(fileobj=fh, mode="r:")
            except (tarfile.TarError, OSError, EOFError) as exc:
                raise CorruptError(f"not a readable tar archive: {exc}") from exc
            with tf:
                yield from _tar_members(tf, Budget(settings), item, settings)


# --------------------------------------------------------------------------- gz/bz2/xz
class Decompressing(io.RawIOBase):
    """A gzip/bzip2/xz stream decompressed incrementally with a cap on each output
    step, so a bomb never inflates far ahead of the byte counter, and a truncated
    stream still yields everything before the cut (``truncated`` tells). Multi-member
    gzip files and zero padding after the end are handled."""

    def __init__(self, fh: IO[bytes], kind: str):
        super().__init__()
        self._fh = fh
        self._kind = kind
        self._d = self._new()
        self._done = False
        self.truncated = False

    def _new(self):  # type: ignore[no-untyped-def]
        if self._kind == "bzip2":
            return bz2.BZ2Decompressor()
        if self._kind == "xz":
            return lzma.LZMADecompressor()
        return zlib.decompressobj(16 + zlib.MAX_WBITS)

    def readable(self) -> bool:
        return True

    def _step(self, want: int) -> bytes | None:
        """Some output, b"" to be called again, or None at the end."""
        d = self._d
        if d.eof:
            rest = d.unused_data
            while not rest.strip(b"\0"):
                rest = self._fh.read(CHUNK)
                if not rest:
                    return None
            self._d = self._new()
            try:
                return self._d.decompress(rest, want)
            except (OSError, zlib.error, lzma.LZMAError, EOFError):
                return None  # junk after a complete stream: what came before stands
        if self._kind == "gzip" and d.unconsumed_tail:
            return d.decompress(d.unconsumed_tail, want)
        if self._kind != "gzip" and not d.needs_input:
            return d.decompress(b"", want)
        data = self._fh.read(CHUNK)
        if not data:
            self.truncated = True
            return None
        return d.decompress(data, want)

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        want = max(1, min(len(buffer), CHUNK))
        while not self._done:
            out = self._step(want)
            if out is None:
                self._done = True
                break
            if out:
                buffer[: len(out)] = out
                return len(out)
        return 0


_SUFFIXES = {
    "gz": "",
    "tgz": ".tar",
    "bz2": "",
    "tbz": ".tar",
    "tbz2": ".tar",
    "xz": "",
    "txz": ".tar",
    "z": "",
}
_STREAM_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError)


class _Prefixed(io.RawIOBase):
    """``head`` followed by the rest of ``rest``: lets us peek for a tar header."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        super().__init__()
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _is_tar_header(block: bytes) -> bool:
    if len(block) < 512:
        return False
    if block[257:262] == b"ustar":
        return True
    try:
        tarfile.TarInfo.frombuf(block[:512], "utf-8", "surrogateescape")
        return True
    except tarfile.HeaderError:
        return False


class CompressedExtractor(Extractor):
    """A compressed stream: a .tar inside becomes its members, anything else one file."""

    name = "compressed"
    version = "1"
    kinds = ("gzip", "bzip2", "xz")
    #: Claimed by magic only: a "report.csv.gz" that is really plain text is text.
    extensions = ()

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        base = os.path.basename(item.name)
        stem, _, ext = base.rpartition(".")
        inner_name = (stem + _SUFFIXES.get(ext.lower(), "")) if stem else base + ".ut"
        budget = Budget(settings)
        with item.open() as fh:
            stream = Decompressing(fh, item.kind if item.kind in ("gzip", "bzip2", "xz") else "gzip")
            counted = CountingReader(stream, max(item.size, 1), budget, inner_name)
            reader = io.BufferedReader(counted, CHUNK)
            try:
                head = reader.read(512)
            except _STREAM_ERRORS as exc:
                raise CorruptError(f"damaged {item.kind} stream: {type(exc).__name__}: {exc}") from exc
            if _is_tar_header(head):
                try:
                    tf = tarfile.open(fileobj=io.BufferedReader(_Prefixed(head, reader)), mode="r|")
                except (tarfile.TarError, *_STREAM_ERRORS) as exc:
                    raise CorruptError(f"damaged tar archive: {type(exc).__name__}: {exc}") from exc
                with tf:
                    yield from _tar_members(tf, budget, item, settings, stream=True)
                return
            yield from self._single(head, reader, stream, inner_name, item)

    def _single(
        self, head: bytes, reader: IO[bytes], stream: Decompressing, name: str, item: ItemData
    ) -> Iterator[Extracted]:
        spool = Spool()
        spool.write(head)
        truncated = ""
        try:
            while True:
                chunk = reader.read(CHUNK)
                if not chunk:
                    break
                spool.write(chunk)
        except EOFError as exc:
            truncated = str(exc) or "unexpected end of stream"
        except LimitExceeded:
            spool.close()
            raise
        except _STREAM_ERRORS as exc:
            if not spool.size:
                spool.close()
                raise CorruptError(f"damaged {item.kind} stream: {type(exc).__name__}: {exc}") from exc
            truncated = f"{type(exc).__name__}: {exc}"
        if stream.truncated and not truncated:
            truncated = "unexpected end of stream"
        if not spool.size and truncated:
            spool.close()
            raise CorruptError(f"damaged {item.kind} stream: {truncated}")
        inner = _finish_member(spool, name, item)
        try:
            yield inner
        finally:
            spool.close()
        if truncated:
            yield Gap("", f"corrupt: {item.kind} stream is truncated after {spool.size} bytes ({truncated})")


# --------------------------------------------------------------------------- 7z
class SevenZipExtractor(Extractor):
    name = "7z"
    version = "1"
    kinds = ("7z",)
    extensions = ("7z",)

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        try:
            # Deferred: py7zr and its codecs load only for .7z.
            import py7zr
            from py7zr import exceptions as e7
        except ImportError as exc:  # pragma: no cover - py7zr is a dependency
            raise UnsupportedError("7z needs the py7zr package") from exc
        budget = Budget(settings)
        with item.open() as fh:
            try:
                archive = py7zr.SevenZipFile(fh, mode="r")
            except e7.PasswordRequired as exc:
                raise EncryptedError("password required (7z archive with encrypted headers)") from exc
            except (
                e7.Bad7zFile,
                e7.UnsupportedCompressionMethodError,
                *_STREAM_ERRORS,
                KeyError,
                IndexError,
            ) as exc:
                if "password" in str(exc).lower():
                    raise EncryptedError("password required (7z)") from exc
                raise CorruptError(f"not a readable 7z archive: {type(exc).__name__}: {exc}") from exc
            with archive:
                yield from self._members(archive, item, settings, budget, e7)

    def _members(
        self, archive, item: ItemData, settings: Settings, budget: Budget, e7
    ) -> Iterator[Extracted]:  # type: ignore[no-untyped-def]
        if archive.needs_password():
            raise EncryptedError("password required (7z archive with encrypted content)")
        infos = [i for i in archive.list() if not i.is_directory and not getattr(i, "is_symlink", False)]
        declared = sum(i.uncompressed or 0 for i in infos)
        packed = max(item.size, 1)
        if len(infos) > settings.max_members:
            raise LimitExceeded(
                f"{len(infos)} members, over the limit of {settings.max_members} (max_members)"
            )
        budget.check_total(declared, "7z archive")
        budget.check_ratio(declared, packed, "7z archive")
        # Deferred: py7zr and its codecs load only for .7z.
        from py7zr.io import Py7zIO, WriterFactory

        spools: dict[str, Spool] = {}

        class _Writer(Py7zIO):
            def __init__(self, name: str):
                self.spool = spools[name] = Spool()

            def write(self, s: bytes | bytearray) -> int:
                budget.check_total(len(s), "7z archive")
                budget.used += len(s)
                budget.check_ratio(budget.used, packed, "7z archive")
                self.spool.write(bytes(s))
                return len(s)

            def read(self, size: int | None = None) -> bytes:
                return b""

            def seek(self, offset: int, whence: int = 0) -> int:
                return 0

            def flush(self) -> None:
                pass

            def size(self) -> int:
                return self.spool.size

        class _Factory(WriterFactory):
            def create(self, filename: str) -> Py7zIO:
                return _Writer(filename)

        try:
            archive.extract(targets=[i.filename for i in infos], factory=_Factory())
        except LimitExceeded:
            for s in spools.values():
                s.close()
            raise
        except e7.PasswordRequired as exc:
            raise EncryptedError("password required (7z)") from exc
        except (
            e7.Bad7zFile,
            e7.CrcError,
            e7.UnsupportedCompressionMethodError,
            *_STREAM_ERRORS,
            KeyError,
        ) as exc:
            for s in spools.values():
                s.close()
            raise CorruptError(f"damaged 7z archive: {type(exc).__name__}: {exc}") from exc
        try:
            for name, spool in list(spools.items()):
                inner = _finish_member(spool, _member_name(name), item)
                try:
                    yield inner
                finally:
                    spool.close()
        finally:
            for s in spools.values():
                s.close()


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [ZipExtractor(), TarExtractor(), CompressedExtractor(), SevenZipExtractor()]
