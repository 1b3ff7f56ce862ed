"""Helpers shared by the document extractors (Office, OpenDocument, PDF, OCR).

Not a plugin: no hooks. It holds the things every zip-based format needs done the same
safe way: opening the package with bomb guards, parsing XML parts without entity
expansion or network access, formatting numbers the way people wrote them, and the
row segment that keeps spreadsheet cell references reachable.
"""

from __future__ import annotations

import datetime as _dt
import io
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import olefile
from lxml import etree

from pvscan.model import CorruptError, EncryptedError, ItemData, LimitExceeded, Segment, Settings

#: Parser options for every XML part: no entities, no DTD, no network, no huge trees.
_PARSER_OPTS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "load_dtd": False,
    "dtd_validation": False,
}


def xml_parser(**extra: Any) -> etree.XMLParser:
    return etree.XMLParser(**_PARSER_OPTS, **extra)


#: libxml2's words for an entity bomb (billion laughs, recursive or over-deep entities).
_ENTITY_ERRORS = ("amplification", "entity loop", "detected an entity reference loop", "entities nesting")


def entity_refusal(exc: etree.XMLSyntaxError) -> LimitExceeded | None:
    """A billion-laughs style part is an attack or a broken generator, not a damaged
    file: report it as ``limit: XML entity expansion refused`` (libxml2 stops it before
    expanding; only the label changes) so users see what was refused."""
    msg = str(exc).lower()
    if any(word in msg for word in _ENTITY_ERRORS):
        return LimitExceeded(f"XML entity expansion refused ({str(exc).split(',')[0][:120]})")
    return None


def parse_xml(data: bytes | IO[bytes]) -> etree._Element:
    """Parse a whole (small) XML part safely; XMLSyntaxError is reported as corrupt by the
    core, an entity bomb as ``limit:``."""
    try:
        if isinstance(data, bytes):
            return etree.fromstring(data, parser=xml_parser())
        return etree.parse(data, parser=xml_parser()).getroot()
    except etree.XMLSyntaxError as exc:
        refused = entity_refusal(exc)
        if refused is not None:
            raise refused from exc
        raise


def iterparse(fh: IO[bytes], tag: Any = None, events: tuple[str, ...] = ("end",)) -> Any:
    """Streaming parse with the same safety options (lxml's iterparse takes them as kwargs)."""
    it = etree.iterparse(fh, events=events, tag=tag, remove_blank_text=False, recover=False, **_PARSER_OPTS)
    return _refusing_bombs(it)


def _refusing_bombs(it: Any) -> Iterator[Any]:
    try:
        yield from it
    except etree.XMLSyntaxError as exc:
        refused = entity_refusal(exc)
        if refused is not None:
            raise refused from exc
        raise


def local(tag: Any) -> str:
    """The local name of an element tag ('{ns}p' -> 'p'); comments/PIs give ''."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


# --------------------------------------------------------------------------- zip packages
class Package(zipfile.ZipFile):
    """A zip package whose parts raise pvscan's errors, not the zipfile module's.

    A damaged package makes ``zipfile`` raise ``OSError`` (a member offset before the
    start of the file), ``NotImplementedError`` (a flipped compression method),
    ``RuntimeError`` (a member flagged as encrypted) or ``KeyError`` (a part named in
    the manifest or a relationship is missing). Found by fuzzing; converted here once so
    every extractor built on :func:`open_package` reports them as ``corrupt``.
    """

    def open(self, name: Any, mode: str = "r", pwd: bytes | None = None, *, force_zip64: bool = False) -> Any:
        label = getattr(name, "filename", name)
        try:
            return super().open(name, mode, pwd, force_zip64=force_zip64)
        except KeyError as exc:
            raise CorruptError(f"part {label} is missing from the package") from exc
        except NotImplementedError as exc:
            raise CorruptError(f"part {label}: {exc} (damaged package)") from exc
        except RuntimeError as exc:
            if "encrypt" in str(exc).lower() or "password" in str(exc).lower():
                raise EncryptedError(f"part {label} is encrypted") from exc
            raise CorruptError(f"part {label}: {exc}") from exc
        except (OSError, ValueError) as exc:
            raise CorruptError(f"part {label} cannot be read: {exc}") from exc


def open_package(item: ItemData, settings: Settings) -> zipfile.ZipFile:
    """Open an OOXML/ODF package, refusing zip bombs before any part is inflated.

    A truncated or non-zip file raises CorruptError; a package whose declared sizes add
    up past ``max_unpacked_bytes`` (or a suspicious compression ratio on a big total)
    raises LimitExceeded naming the limit.
    """
    require_content(item)
    try:
        src: str | IO[bytes] = item.path if item.path is not None else item.open()
        zf = Package(src)
    except zipfile.BadZipFile as exc:
        raise CorruptError(f"not a valid zip package ({exc}); the file is truncated or damaged") from exc
    except (OSError, EOFError, ValueError, NotImplementedError) as exc:
        # NotImplementedError: a damaged header claims "zip file version 25.5" (fuzzing)
        raise CorruptError(f"cannot open package: {exc}") from exc
    infos = zf.infolist()
    if len(infos) > settings.max_members * 10:
        zf.close()
        raise LimitExceeded(f"package has {len(infos)} parts, over the limit of {settings.max_members * 10}")
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > settings.max_unpacked_bytes:
        zf.close()
        raise LimitExceeded(
            f"package unpacks to {total} bytes, over the limit of {settings.max_unpacked_bytes}"
        )
    if total > 50 * 1024**2 and total / packed > settings.max_ratio:
        zf.close()
        raise LimitExceeded(
            f"compression ratio {total / packed:.0f} is over the limit of {settings.max_ratio:.0f}"
        )
    return zf


def require_content(item: ItemData) -> None:
    """A zero-byte document file is damaged (a failed save or copy), not empty text."""
    if item.size == 0 and not item.head:
        raise CorruptError("empty file (0 bytes); the document is damaged or was never written")


def part_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Lower-cased part name -> real name (packages from some tools differ in case)."""
    return {n.lower(): n for n in zf.namelist()}


def read_part(zf: zipfile.ZipFile, name: str) -> bytes | None:
    real = part_names(zf).get(name.lower().lstrip("/"))
    if real is None:
        return None
    return zf.read(real)


def rels_targets(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type suffix, resolved part name) for an OOXML part."""
    folder, _, base = part.rpartition("/")
    data = read_part(zf, f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels")
    out: dict[str, tuple[str, str]] = {}
    if not data:
        return out
    for rel in parse_xml(data):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target") or ""
        out[rel.get("Id") or ""] = ((rel.get("Type") or "").rsplit("/", 1)[-1], resolve(folder, target))
    return out


def resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts = folder.split("/") if folder else []
    for step in target.split("/"):
        if step == "..":
            if parts:
                parts.pop()
        elif step and step != ".":
            parts.append(step)
    return "/".join(parts)


# --------------------------------------------------------------------------- values
def format_number(value: float | int | str) -> str:
    """A cell number as people wrote it: integers without '.0' and without exponent.

    A 10-digit integer may be a fødselsnummer that lost its leading zero; it is emitted
    as its 10 digits and the detector pads it.
    """
    if isinstance(value, str):
        if value.isdigit():  # most cells: what the slower path below returns unchanged
            return value
        try:
            num = float(value)
        except ValueError:
            return value
        if "e" not in value.lower() and "." not in value:
            return value.lstrip("+")
    else:
        num = float(value)
    if num != num or num in (float("inf"), float("-inf")):
        return str(value)
    if num.is_integer() and abs(num) < 1e16:
        return str(int(num))
    return repr(num)


def excel_date(serial: float, date1904: bool = False) -> str:
    """An Excel date serial as dd.mm.yyyy (with the time when it has one)."""
    base = _dt.datetime(1904, 1, 1) if date1904 else _dt.datetime(1899, 12, 30)
    try:
        when = base + _dt.timedelta(days=serial)
    except (OverflowError, ValueError):
        return format_number(serial)
    if when.hour or when.minute or when.second:
        return when.strftime("%d.%m.%Y %H:%M")
    return when.strftime("%d.%m.%Y")


# --------------------------------------------------------------------------- row segments
@dataclass
class RowSegment(Segment):
    """A table or sheet row as one segment, cells joined by ``CELL_SEP``.

    One segment per row lets a number split across two cells be seen whole and gives
    detectors the row's other cells; ``cells`` keeps each cell's reference and its span
    in ``text`` so ``location_at(offset)`` can name the exact cell (``Ark1!B3``) of a
    finding.
    """

    cells: list[tuple[str, int, int]] = field(default_factory=list)

    def location_at(self, offset: int) -> str:
        for ref, start, end in self.cells:
            if start <= offset < end:
                return ref
        return self.location


CELL_SEP = " | "


def sheet_row(cells: list[tuple[str, str]], sheet: str, row: int, header: str) -> tuple[RowSegment, str]:
    """One spreadsheet row (xlsx, xlsb, xls, ods) as a segment, and the sheet's header.

    The first non-empty row is the header: it becomes the context of every later row
    (a column called "Fødselsnummer" helps detection on each), and has none itself. A
    row with one filled cell is located at that cell. Returns (segment, header)."""
    seg = row_segment(cells, f"{sheet}!rad {row}", header)
    if len(cells) == 1:
        seg.location = cells[0][0]
    if not header:
        header, seg.context = seg.text, ""
    return seg, header


def row_segment(cells: list[tuple[str, str]], location: str, context: str = "") -> RowSegment:
    """Join ``(cell ref, text)`` pairs into a RowSegment (empty cells are left out)."""
    texts: list[str] = []
    spans: list[tuple[str, int, int]] = []
    pos = 0
    sep = len(CELL_SEP)
    for ref, text in cells:
        if text:
            end = pos + len(text)
            spans.append((ref, pos, end))
            texts.append(text)
            pos = end + sep
    return RowSegment(CELL_SEP.join(texts), location=location, context=context, cells=spans)


def unwrap_ole_embedding(name: str, data: bytes) -> tuple[str, bytes] | None:
    """The file inside an embedded OLE object (``oleObject1.bin``), or None.

    Office wraps a pasted file in an OLE "package" (``\x01Ole10Native`` stream: size,
    label, path, then the bytes) or, for a PDF or another document, a ``CONTENTS`` /
    ``Package`` stream. An embedded legacy document (a Word or Excel object) is already
    readable as it is and is returned whole. Anything else (equations, paint objects)
    carries no text: None.
    """

    if not data.startswith(b"\xd0\xcf\x11\xe0"):
        return name, data
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except (OSError, ValueError, struct.error):
        return None
    try:
        streams = {"/".join(s).lower(): s for s in ole.listdir()}
        if "\x01ole10native" in streams:
            raw = ole.openstream(streams["\x01ole10native"]).read()
            try:
                pos = 6
                label_end = raw.index(b"\x00", pos)
                label = raw[pos:label_end].decode("cp1252", "replace")
                pos = raw.index(b"\x00", label_end + 1) + 1 + 4  # path, then a reserved word
                (tmp_len,) = struct.unpack_from("<I", raw, pos)
                pos += 4 + tmp_len
                (size,) = struct.unpack_from("<I", raw, pos)
                return (label or name), raw[pos + 4 : pos + 4 + size]
            except (ValueError, struct.error):
                return None
        for key in ("contents", "package"):
            if key in streams:
                return name, ole.openstream(streams[key]).read()
        if any(
            k in streams
            for k in ("worddocument", "workbook", "book", "powerpoint document", "encryptedpackage")
        ):
            return name, data
        return None
    finally:
        ole.close()


def chunks(lines: Iterator[str] | list[str], size: int = 40) -> Iterator[tuple[int, list[str]]]:
    """Group lines in blocks of ``size``; yields (1-based first line number, lines)."""
    block: list[str] = []
    start = 1
    n = 0
    for n, line in enumerate(lines, start=1):
        block.append(line)
        if len(block) >= size:
            yield start, block
            block = []
            start = n + 1
    if block:
        yield start, block
