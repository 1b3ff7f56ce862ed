"""Legacy binary Office files: Word .doc/.dot, Excel .xls/.xlt, PowerPoint .ppt/.pps.

Libraries and tools, chosen for being maintained and packaged:

* encryption: msoffcrypto-tool's ``OfficeFile(...).is_encrypted()`` understands the
  encryption flags of all three formats (Word's FIB ``fEncrypted``, Excel's ``FILEPASS``
  record, PowerPoint's ``CryptSession10Container``), so a password-protected file is
  reported ``encrypted`` rather than as garbage or a tool error;
* .xls: xlrd 2.x (pure Python, BIFF2-8); numbers as written (integers without ``.0``), dates
  as ``dd.mm.yyyy``, one segment per row ``Ark1!rad 3`` with cell references
  ``Ark1!B3`` and the header row as context, hidden sheets included;
* .doc: Debian's ``antiword`` (``-w 0 -m UTF-8.txt``: no wrapping, UTF-8) in a
  subprocess with a timeout; where antiword refuses a file (Word 6/95, fast-saved) it
  falls back to ``catdoc``. Paragraphs are the tool's blank-line separated blocks
  (``avsnitt N``);
* .ppt: a small reader of PowerPoint's record stream through olefile (``catppt`` only
  prints layout names for many files): text atoms (``TextCharsAtom``,
  ``TextBytesAtom``) grouped by slide (``lysbilde N``) and notes (``lysbilde N
  notater``); master slides' template text is skipped.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import olefile

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import (
    CorruptError,
    EncryptedError,
    Extracted,
    ItemData,
    Segment,
    Settings,
    Unscannable,
    UnsupportedError,
)
from pvscan.plugins._docutil import format_number, require_content, sheet_row

from .xlsx import col_letters, sheet_ref


def check_encrypted(item: ItemData) -> None:
    """Raise EncryptedError for a password-protected legacy Office file."""
    try:
        # Deferred: msoffcrypto-tool loads only for encrypted legacy files.
        import msoffcrypto

        with item.open() as fh:
            office = msoffcrypto.OfficeFile(fh)
            encrypted = office.is_encrypted()
    except Exception:  # noqa: BLE001 - the format readers below judge damaged files
        return
    if encrypted:
        raise EncryptedError("password required (encrypted Office document)")


@contextmanager
def local_file(item: ItemData, suffix: str) -> Iterator[str]:
    """A path to the item's bytes for command-line tools (a temp copy if needed)."""
    if item.path is not None:
        yield item.path
        return
    fd, path = tempfile.mkstemp(suffix=suffix, prefix="pvscan-")
    try:
        with os.fdopen(fd, "wb") as out, item.open() as src:
            shutil.copyfileobj(src, out)
        yield path
    finally:
        os.unlink(path)


def run_tool(args: list[str], timeout: float) -> tuple[int, str, str]:
    """Run a text-extraction tool; a missing tool is 'unavailable', a hang a timeout."""
    if shutil.which(args[0]) is None:
        raise Unscannable(f"{args[0]} is not installed", "unavailable")
    try:
        proc = subprocess.run(args, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise Unscannable(f"{args[0]} took more than {timeout:.0f} s", "timeout") from exc
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def _tool_timeout(settings: Settings) -> float:
    return max(5.0, min(90.0, settings.time_limit * 0.75))


# --------------------------------------------------------------------------- .doc
def paragraphs(text: str) -> Iterator[Segment]:
    prev = ""
    for n, block in enumerate((b for b in text.replace("\r", "").split("\n\n") if b.strip()), start=1):
        block = block.strip("\n")
        yield Segment(block, location=f"avsnitt {n}", context=prev[-200:])
        prev = block


def doc_text(path: str, settings: Settings) -> str:
    timeout = _tool_timeout(settings)
    antiword_err = ""
    if shutil.which("antiword"):
        code, out, err = run_tool(["antiword", "-w", "0", "-m", "UTF-8.txt", path], timeout)
        if "encrypted" in (out + err).lower():
            raise EncryptedError("password required (encrypted Word document)")
        if code == 0 and out.strip():
            return out
        antiword_err = (err or out).strip().splitlines()[0] if (err or out).strip() else f"exit {code}"
    code, out, err = run_tool(["catdoc", "-d", "utf-8", "-w", path], timeout)
    if code == 0:
        return out
    reason = (err or out).strip().splitlines()[0] if (err or out).strip() else f"exit {code}"
    raise CorruptError(
        f"not a readable Word document (antiword: {antiword_err or 'n/a'}; catdoc: {reason})"[:300]
    )


# --------------------------------------------------------------------------- .xls
def xls_segments(item: ItemData) -> Iterator[Segment]:
    # Deferred: xlrd loads only for .xls.
    import xlrd
    from xlrd.biffh import XLRDError
    from xlrd.compdoc import CompDocError

    # ZeroDivisionError: a damaged sector size in the compound document (fuzzing).
    bad = (
        XLRDError,
        CompDocError,
        AssertionError,
        IndexError,
        KeyError,
        ValueError,
        TypeError,
        struct.error,
        ZeroDivisionError,
    )
    try:
        # xlrd prints warnings to its logfile (stdout by default): keep them out of the output.
        book = xlrd.open_workbook(
            file_contents=item.read(), on_demand=True, ragged_rows=True, logfile=io.StringIO()
        )
    except bad as exc:
        if "encrypt" in str(exc).lower():
            raise EncryptedError("password required (encrypted Excel workbook)") from exc
        raise CorruptError(f"not a readable Excel workbook: {type(exc).__name__}: {exc}"[:300]) from exc
    try:
        for si in range(book.nsheets):
            try:
                sheet = book.sheet_by_index(si)
            except bad as exc:
                raise CorruptError(f"cannot read sheet {si + 1}: {type(exc).__name__}: {exc}"[:300]) from exc
            sref = sheet_ref(sheet.name)
            header = ""
            for r in range(sheet.nrows):
                cells = []
                for c, cell in enumerate(sheet.row(r)):
                    text = _xls_cell(cell, book.datemode)
                    if text:
                        cells.append((f"{sref}!{col_letters(c + 1)}{r + 1}", text))
                if not cells:
                    continue
                seg, header = sheet_row(cells, sref, r + 1, header)
                yield seg
            if book.on_demand:
                book.unload_sheet(si)
    finally:
        book.release_resources()


def _xls_cell(cell: object, datemode: int) -> str:
    # Deferred: xlrd loads only for .xls.
    import xlrd

    ctype = cell.ctype  # type: ignore[attr-defined]
    value = cell.value  # type: ignore[attr-defined]
    if ctype == xlrd.XL_CELL_TEXT:
        return str(value)
    if ctype == xlrd.XL_CELL_NUMBER:
        return format_number(value)
    if ctype == xlrd.XL_CELL_DATE:
        try:
            d = xlrd.xldate_as_datetime(value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return format_number(value)
        return d.strftime("%d.%m.%Y %H:%M") if (d.hour or d.minute) else d.strftime("%d.%m.%Y")
    return ""


# --------------------------------------------------------------------------- .ppt
_SLIDE_LIST = 0x0FF0
_SLIDE_PERSIST = 0x03F3
_SLIDE = 0x03EE
_NOTES = 0x03F0
_MASTERS = {0x03F8, 0x0FC9, 0x040E}  # MainMaster, Handout, RoundTripSlideSyncInfo
_TEXT_CHARS = 0x0FA0
_TEXT_BYTES = 0x0FA8


class _PptWalk:
    def __init__(self) -> None:
        self.texts: dict[str, list[str]] = {}
        self.list_kind: str | None = None
        self.list_index = 0
        self.slide = 0
        self.notes = 0
        self.where: str | None = None

    def add(self, text: str) -> None:
        if self.list_kind == "slides":
            where = f"lysbilde {self.list_index}"
        elif self.list_kind == "notes":
            where = f"lysbilde {self.list_index} notater"
        else:
            where = self.where or "tekst"
        text = text.replace("\r", "\n").replace("\x0b", "\n").strip()
        if text and text not in ("*",):
            self.texts.setdefault(where, []).append(text)

    def walk(self, data: bytes, start: int, end: int, depth: int = 0) -> None:
        if depth > 64:
            raise CorruptError("PowerPoint records nested too deeply")
        pos = start
        while pos + 8 <= end:
            verinst, rtype, rlen = struct.unpack_from("<HHI", data, pos)
            body = pos + 8
            stop = min(body + rlen, end)
            if verinst & 0xF == 0xF:
                if rtype in _MASTERS:
                    pass
                elif rtype == _SLIDE_LIST:
                    inst = verinst >> 4
                    saved = (self.list_kind, self.list_index)
                    self.list_kind = {0: "slides", 2: "notes"}.get(inst, "other")
                    self.list_index = 0
                    self.walk(data, body, stop, depth + 1)
                    self.list_kind, self.list_index = saved
                elif rtype in (_SLIDE, _NOTES):
                    if rtype == _SLIDE:
                        self.slide += 1
                        where = f"lysbilde {self.slide}"
                    else:
                        self.notes += 1
                        where = f"lysbilde {self.notes} notater"
                    saved_where = self.where
                    self.where = where
                    self.walk(data, body, stop, depth + 1)
                    self.where = saved_where
                else:
                    self.walk(data, body, stop, depth + 1)
            elif rtype == _SLIDE_PERSIST and self.list_kind:
                self.list_index += 1
            elif rtype == _TEXT_CHARS and self.list_kind != "other":
                self.add(data[body:stop].decode("utf-16-le", "replace"))
            elif rtype == _TEXT_BYTES and self.list_kind != "other":
                self.add(data[body:stop].decode("cp1252", "replace"))
            pos = stop if stop > pos else end


def ppt_segments(item: ItemData) -> Iterator[Segment]:

    try:
        with item.open() as fh:
            ole = olefile.OleFileIO(fh)
            try:
                if not ole.exists("PowerPoint Document"):
                    raise CorruptError("no 'PowerPoint Document' stream")
                # A damaged directory can claim a stream far larger than the file; olefile
                # then follows the sector chain round and round into gigabytes (fuzzing:
                # 2 GiB for a 9 kB file). A stream cannot hold more than the file does.
                size = ole.get_size("PowerPoint Document")
                if size > max(item.size, 1) + 4096:
                    raise CorruptError(
                        f"'PowerPoint Document' stream claims {size} bytes in a {item.size}-byte file"
                    )
                data = ole.openstream("PowerPoint Document").read()
            finally:
                ole.close()
    except (OSError, ValueError, TypeError, struct.error) as exc:
        # olefile raises TypeError ("object is not an OLE stream") for broken directories
        raise CorruptError(f"not a readable PowerPoint file: {exc}") from exc
    walker = _PptWalk()
    walker.walk(data, 0, len(data))
    for where, texts in walker.texts.items():
        yield Segment("\n".join(texts), location=where)


# --------------------------------------------------------------------------- extractor
class LegacyOfficeExtractor(Extractor):
    name = "office-legacy"
    version = "1"
    kinds = ("doc", "xls", "ppt")
    extensions = ("doc", "dot", "xls", "xlt", "ppt", "pps", "pot")

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        kind = (
            item.kind
            if item.kind in self.kinds
            else {"dot": "doc", "xlt": "xls", "pps": "ppt", "pot": "ppt"}.get(item.extension, item.extension)
        )
        if kind not in self.kinds:
            raise UnsupportedError(f"unknown legacy Office type {item.extension}")
        require_content(item)
        if item.head.startswith(b"\xd0\xcf\x11\xe0"):
            check_encrypted(item)
        if kind == "xls":
            yield from xls_segments(item)
        elif kind == "ppt":
            yield from ppt_segments(item)
        else:
            with local_file(item, ".doc") as path:
                text = doc_text(path, settings)
            yield from paragraphs(text)


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [LegacyOfficeExtractor()]
