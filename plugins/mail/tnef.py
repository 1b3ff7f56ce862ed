"""TNEF (winmail.dat, .tnef): the Outlook wrapper that hides a message's attachments
and rich body from non-Outlook mail clients. Read with ``tnefparse`` (pure Python).

The body is yielded as ``tekst`` (``tekst (html)`` or the RTF body as text when there is
no plain one); each wrapped file is an inner item ``vedlegg: <name>``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from striprtf.striprtf import rtf_to_text

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import (
    CorruptError,
    Extracted,
    Gap,
    InnerItem,
    ItemData,
    Segment,
    Settings,
    UnsupportedError,
)

from ._mime import decode_bytes, html_to_text


def _text(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, bytes):
        return decode_bytes(value.rstrip(b"\x00"), None)
    return str(value)


_MAPI_ATTRIBUTES = {0x00069003, 0x00069005}  # attMAPIProps, attAttachment


def sanitize(data: bytes) -> tuple[bytes, str]:
    """Drop TNEF attributes that would make tnefparse loop or allocate for minutes: a
    MAPI property block claiming more properties than it has bytes (a 53-byte file can
    claim 16 million), and anything after an attribute that runs past the end.
    Returns the cleaned bytes and what was dropped ("" if nothing)."""
    if len(data) < 6 or data[:4] != b"\x78\x9f\x3e\x22":
        raise CorruptError("not TNEF data (bad signature)")
    out = bytearray(data[:6])
    pos = 6
    damaged = ""
    while pos < len(data):
        if pos + 9 > len(data):
            break  # padding after the last attribute
        attr_id, length = struct.unpack_from("<II", data, pos + 1)
        end = pos + 9 + length + 2
        if end > len(data):
            damaged = f"TNEF attribute at byte {pos} runs past the end of the data"
            break
        body = data[pos + 9 : pos + 9 + length]
        if attr_id in _MAPI_ATTRIBUTES and length >= 4:
            count = struct.unpack_from("<I", body, 0)[0]
            if count * 8 > length:
                damaged = (
                    f"TNEF MAPI property block at byte {pos} claims {count} properties in {length} bytes"
                )
                pos = end
                continue
        out += data[pos:end]
        pos = end
    return bytes(out), damaged


@contextmanager
def _capped_counts() -> Iterator[None]:
    """tnefparse loops ``count`` times for every count it reads, and a damaged 53-byte
    file can say 16 million (minutes of CPU). No count or length can exceed the bytes
    it is read from, so cap every 32-bit value it reads there while it parses."""
    # Deferred: tnefparse loads only for winmail.dat.
    from tnefparse import mapi

    original = mapi.uint32

    def capped(data: bytes, offset: int = 0) -> int:
        return min(original(data, offset), len(data))

    mapi.uint32 = capped
    try:
        yield
    finally:
        mapi.uint32 = original


class TnefExtractor(Extractor):
    name = "mail_tnef"
    version = "1"
    kinds = ("tnef",)
    extensions = ("tnef",)
    priority = 10

    def claims(self, item: ItemData) -> bool:
        # winmail.dat is named .dat; only the magic decides for that one.
        return item.kind == "tnef" or (item.kind in ("unknown", "binary") and item.extension == "tnef")

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        try:
            # Deferred: tnefparse loads only for winmail.dat.
            import tnefparse
        except ImportError as exc:  # pragma: no cover - tnefparse is a dependency
            raise UnsupportedError("TNEF needs the tnefparse package") from exc
        data, damaged = sanitize(item.read())
        try:
            with _capped_counts():
                tnef = tnefparse.TNEF(data, do_checksum=False)
        except Exception as exc:  # noqa: BLE001 - tnefparse raises ValueError/IndexError/struct.error
            raise CorruptError(f"unreadable TNEF data: {type(exc).__name__}: {exc}"[:300]) from exc
        subject = ""
        for obj in getattr(tnef, "msgprops", ()) or ():
            if getattr(obj, "name", None) == tnefparse.TNEF.ATTSUBJECT:
                subject = _text(getattr(obj, "data", b""))
        if subject.strip():
            yield Segment(subject.strip(), location="emne")
        body = _text(getattr(tnef, "body", None))
        if body.strip():
            yield Segment(body, location="tekst")
        else:
            html_body = _text(getattr(tnef, "htmlbody", None))
            if html_body.strip():
                yield Segment(html_to_text(html_body), location="tekst (html)")
            else:
                try:
                    rtf = getattr(tnef, "rtfbody", None)
                except Exception as exc:  # noqa: BLE001 - compressed_rtf raises a bare Exception on a bad CRC
                    rtf = None
                    yield Gap("tekst", f"corrupt: compressed RTF body unreadable: {exc}"[:200])
                if rtf:
                    try:
                        text = rtf_to_text(_text(rtf), errors="ignore")
                    except Exception:  # noqa: BLE001
                        text = ""
                    if text.strip():
                        yield Segment(text, location="tekst")
        seen: dict[str, int] = {}
        for n, att in enumerate(getattr(tnef, "attachments", ()) or (), start=1):
            try:
                name = att.long_filename() or _text(att.name) or f"vedlegg{n}"
            except Exception:  # noqa: BLE001
                name = f"vedlegg{n}"
            name = name.replace("\x00", "").replace("\\", "/").rsplit("/", 1)[-1].strip() or f"vedlegg{n}"
            payload = getattr(att, "data", b"") or b""
            if not payload:
                continue
            step = f"vedlegg: {name}"
            seen[step] = seen.get(step, 0) + 1
            if seen[step] > 1:
                step = f"{step} ({seen[step]})"
            yield InnerItem(step, ItemData(name, data=bytes(payload)))
        if damaged:
            yield Gap("", f"corrupt: {damaged}")


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [TnefExtractor()]
