"""Outlook .pst/.ost mailboxes through libpff (``libpff-python``, imported as ``pypff``).

Folders are walked depth first; each message becomes an inner item
``<mappe> / 2024-03-01 Emne: <subject>`` holding a small RFC 822 rebuild of its
headers and body (scanned by the .eml extractor, so locations are the usual ``emne``,
``fra``, ``til``, ``tekst``), and each attachment an inner item
``<mappe> / <dato> Emne: <subject> / vedlegg: <name>`` with its bytes, so attachments
are not base64-inflated into the rebuilt message. libpff reads the file through a
Python file object, so nothing is copied to disk.

A message attached to a message (attach method 5, "embedded message") is not exposed
by libpff as an item: its attachment data is the embedded message's own property
context, a heap-on-node (MS-PST 2.3.1-2.3.3). :func:`embedded_properties` reads that
structure, and the embedded message becomes the inner item
``… / vedlegg: <name> / vedlagt e-post: <subject>``. What lives in the embedded
message's sub-nodes (large properties, its own attachment table) is out of libpff's
reach; that is reported as a gap, never silently dropped.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from typing import Any

from striprtf.striprtf import rtf_to_text

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import CorruptError, Extracted, Gap, InnerItem, ItemData, Settings, UnsupportedError

from ._mime import decode_bytes, header_text, short

#: Folder nesting deeper than this is treated as a damaged (looping) file.
MAX_FOLDER_DEPTH = 64

#: PR_ATTACH_METHOD and its value for an attached Outlook item (MS-OXCMSG 2.2.2.9).
_ATTACH_METHOD = 0x3705
_ATTACH_EMBEDDED_MSG = 5
#: Heap-on-node signature and the property-context client signature (MS-PST 2.3.1.2).
_HN_SIG, _PC_SIG, _BTH_SIG = 0xEC, 0xBC, 0xB5
#: Property types whose value is inline in the BTH record (4 bytes or fewer).
_INLINE_TYPES = frozenset({0x0002, 0x0003, 0x0004, 0x000A, 0x000B})
#: Property tags read from an embedded message.
_P_SUBJECT, _P_BODY, _P_HTML = 0x0037, 0x1000, 0x1013
_P_SENDER, _P_SENT_REPR, _P_TO, _P_CC, _P_FLAGS = 0x0C1A, 0x0042, 0x0E04, 0x0E03, 0x0E07
_MSGFLAG_HASATTACH = 0x10
_SHOWN = frozenset({_P_SUBJECT, _P_BODY, _P_HTML, _P_SENDER, _P_SENT_REPR, _P_TO, _P_CC})
_PT_UNICODE, _PT_STRING8, _PT_BINARY = 0x001F, 0x001E, 0x0102


def embedded_properties(buf: bytes) -> tuple[dict[int, tuple[int, bytes | int | None]], bool]:
    """The properties of an embedded message's property context ``buf`` (the bytes
    libpff returns for an attachment with method 5): ``{tag: (type, value)}``, and
    whether a value the rebuilt message shows lives in a sub-node (out of reach:
    value ``None``).

    Heap-on-node layout: a header (``ibHnpm``, signature, client signature, the HID of
    the user root), the page map at ``ibHnpm`` (allocation count, free count, then
    ``cAlloc + 1`` offsets); the user root is a BTH header whose root HID points at
    records of (tag, type, value-or-HNID). Raises ValueError on anything else."""
    if len(buf) < 12:
        raise ValueError("too short for a heap-on-node")
    ib_hnpm, sig, client, hid_root = struct.unpack_from("<HBBI", buf, 0)
    if sig != _HN_SIG or client != _PC_SIG or ib_hnpm + 4 > len(buf):
        raise ValueError("not a property-context heap")
    n_alloc = struct.unpack_from("<H", buf, ib_hnpm)[0]
    if ib_hnpm + 4 + 2 * (n_alloc + 1) > len(buf):
        raise ValueError("page map runs past the heap")
    offsets = struct.unpack_from(f"<{n_alloc + 1}H", buf, ib_hnpm + 4)

    def heap(hid: int) -> bytes | None:
        if hid & 0x1F:
            return None  # an NID: the value is in a sub-node
        index, block = (hid >> 5) & 0x7FF, hid >> 16
        if block or not 0 < index <= n_alloc:
            return None
        a, b = offsets[index - 1], offsets[index]
        return buf[a:b] if a <= b <= len(buf) else None

    header = heap(hid_root)
    if header is None or len(header) < 8:
        raise ValueError("no BTH header")
    b_type, cb_key, cb_ent, levels, hid_records = struct.unpack_from("<BBBBI", header)
    if b_type != _BTH_SIG or cb_key != 2 or cb_ent != 6 or levels != 0:
        raise ValueError("not a one-level property BTH")
    records = heap(hid_records) if hid_records else b""
    if records is None:
        raise ValueError("BTH records out of reach")
    out: dict[int, tuple[int, bytes | int | None]] = {}
    missing = False
    for i in range(0, len(records) - 7, 8):
        tag, typ, value = struct.unpack_from("<HHI", records, i)
        if typ in _INLINE_TYPES:
            out[tag] = (typ, value)
            continue
        data = heap(value) if value else b""
        # Only what the rebuilt message shows counts as missing: the transport headers
        # (usually in a sub-node) repeat the subject, sender and recipients read here.
        missing |= data is None and tag in _SHOWN
        out[tag] = (typ, data)
    return out, missing


def _prop_text(props: dict[int, tuple[int, bytes | int | None]], tag: int) -> str:
    """A string property (Unicode, 8-bit or binary HTML) as text; ``""`` if absent."""
    typ, value = props.get(tag, (0, None))
    if not isinstance(value, bytes):
        return ""
    if typ == _PT_UNICODE:
        text = value.decode("utf-16-le", "replace")
    elif typ in (_PT_STRING8, _PT_BINARY):
        text = decode_bytes(value.rstrip(b"\x00"), None)
    else:
        return ""
    if tag == _P_SUBJECT and text.startswith("\x01") and len(text) > 1:
        text = text[2:]  # a subject prefix marker: 0x01 and the prefix length
    return text.rstrip("\x00")


def rebuild_embedded(buf: bytes) -> tuple[bytes, str, bool, bool]:
    """An RFC 822 rendering of an embedded message's property context; returns
    ``(bytes, subject, some value out of reach, it has attachments of its own)``."""
    props, missing = embedded_properties(buf)
    subject = _one_line(_prop_text(props, _P_SUBJECT))
    out = EmailMessage(policy=policy.default.clone(max_line_length=0))
    sender = _prop_text(props, _P_SENDER) or _prop_text(props, _P_SENT_REPR)
    for name, value in (
        ("Subject", subject),
        ("From", sender),
        ("To", _prop_text(props, _P_TO)),
        ("Cc", _prop_text(props, _P_CC)),
    ):
        value = _one_line(value)
        if value:
            try:
                out[name] = value
            except Exception:  # noqa: BLE001 - a value the header factory refuses
                out[name] = value.encode("ascii", "replace").decode("ascii")
    plain = _prop_text(props, _P_BODY)
    html_body = _prop_text(props, _P_HTML) if not plain.strip() else ""
    if html_body.strip():
        out.set_content(html_body, subtype="html", charset="utf-8", cte="8bit")
    else:
        out.set_content(plain, charset="utf-8", cte="8bit")
    flags = props.get(_P_FLAGS, (0, 0))[1]
    has_attach = isinstance(flags, int) and bool(flags & _MSGFLAG_HASATTACH)
    return out.as_bytes(), subject, missing, has_attach


def _attach_method(att: Any) -> int | None:
    """PR_ATTACH_METHOD of a libpff attachment (from its record set), or None."""
    try:
        record_set = att.get_record_set(0)
        for k in range(record_set.number_of_entries):
            entry = record_set.get_entry(k)
            if entry.entry_type == _ATTACH_METHOD:
                data = entry.data or b""
                return int.from_bytes(data[:4], "little") if len(data) >= 4 else None
    except Exception:  # noqa: BLE001 - libpff raises IOError on damaged records
        return None
    return None


def _call(obj: Any, attr: str) -> Any:
    try:
        return getattr(obj, attr)
    except Exception:  # noqa: BLE001 - libpff raises IOError on damaged records
        return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return decode_bytes(value.rstrip(b"\x00"), None)
    return str(value)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def rebuild_message(message: Any) -> tuple[bytes, str, str]:
    """An RFC 822 rendering of a PST message's headers and body; returns
    ``(bytes, subject, date)``."""
    headers_raw = _text(_call(message, "transport_headers"))
    parsed = None
    if headers_raw.strip():
        try:
            parsed = BytesHeaderParser(policy=policy.default).parsebytes(
                headers_raw.encode("utf-8", "replace")
            )
        except Exception:  # noqa: BLE001
            parsed = None
    subject = _one_line(_text(_call(message, "subject"))) or (
        header_text(parsed, "subject") if parsed else ""
    )
    sender = _one_line(_text(_call(message, "sender_name")))
    out = EmailMessage(policy=policy.default.clone(max_line_length=0))
    for name, value in (
        ("Subject", subject),
        ("From", (header_text(parsed, "from") if parsed else "") or sender),
        ("To", header_text(parsed, "to") if parsed else ""),
        ("Cc", header_text(parsed, "cc") if parsed else ""),
    ):
        if value:
            try:
                out[name] = value
            except Exception:  # noqa: BLE001 - a value the header factory refuses
                out[name] = value.encode("ascii", "replace").decode("ascii")
    when = _call(message, "delivery_time") or _call(message, "client_submit_time")
    date = ""
    try:
        date = when.strftime("%Y-%m-%d") if when and when.year > 1601 else ""
    except Exception:  # noqa: BLE001
        date = ""
    plain = _text(_call(message, "plain_text_body"))
    html_body = _text(_call(message, "html_body")) if not plain.strip() else ""
    if not plain.strip() and not html_body.strip():
        rtf = _call(message, "rtf_body")
        if rtf:
            try:
                plain = rtf_to_text(_text(rtf), errors="ignore")
            except Exception:  # noqa: BLE001
                plain = ""
    if html_body.strip():
        out.set_content(html_body, subtype="html", charset="utf-8", cte="8bit")
    else:
        out.set_content(plain or "", charset="utf-8", cte="8bit")
    return out.as_bytes(), subject, date


class PstExtractor(Extractor):
    name = "mail_pst"
    version = "1"
    kinds = ("pst",)
    extensions = ("pst", "ost")
    priority = 10

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        try:
            # Deferred: native libpff, loaded only when a .pst is read.
            import pypff
        except ImportError as exc:
            raise UnsupportedError("Outlook .pst needs the libpff-python package (pypff)") from exc
        fh = item.open()
        pst = pypff.file()
        try:
            try:
                pst.open_file_object(fh)
            except Exception as exc:  # noqa: BLE001 - libpff raises IOError for every kind of damage
                raise CorruptError(f"unreadable .pst file: {exc}"[:300]) from exc
            root = _call(pst, "root_folder")
            if root is None:
                raise CorruptError("unreadable .pst file: no root folder")
            yield from self._folder(root, [], settings, 0)
        finally:
            try:
                pst.close()
            except Exception:  # noqa: BLE001
                pass
            fh.close()

    def _folder(self, folder: Any, path: list[str], settings: Settings, depth: int) -> Iterator[Extracted]:
        if depth > MAX_FOLDER_DEPTH:
            yield Gap(" / ".join(path), "corrupt: folders nested too deeply")
            return
        where = " / ".join(path)
        seen: dict[str, int] = {}
        count = _call(folder, "number_of_sub_messages") or 0
        for i in range(count):
            try:
                message = folder.get_sub_message(i)
                data, subject, date = rebuild_message(message)
            except Exception as exc:  # noqa: BLE001
                yield Gap(
                    f"{where} / melding {i + 1}" if where else f"melding {i + 1}",
                    f"corrupt: message could not be read: {exc}"[:200],
                )
                continue
            step = (
                f"{date} Emne: {short(subject) or '(uten emne)'}"
                if date
                else f"Emne: {short(subject) or '(uten emne)'}"
            )
            seen[step] = seen.get(step, 0) + 1
            if seen[step] > 1:
                step = f"{step} ({seen[step]})"
            full = f"{where} / {step}" if where else step
            yield InnerItem(full, ItemData("melding.eml", data=data))
            yield from self._attachments(message, full, settings)
        for j in range(_call(folder, "number_of_sub_folders") or 0):
            try:
                sub = folder.get_sub_folder(j)
                name = _one_line(_text(_call(sub, "name"))) or f"mappe {j + 1}"
            except Exception as exc:  # noqa: BLE001
                yield Gap(where or "", f"corrupt: folder could not be read: {exc}"[:200])
                continue
            yield from self._folder(sub, [*path, name], settings, depth + 1)

    def _attachments(self, message: Any, step: str, settings: Settings) -> Iterator[Extracted]:
        for k in range(_call(message, "number_of_attachments") or 0):
            try:
                att = message.get_attachment(k)
                name = _one_line(_text(_call(att, "long_filename"))) or f"vedlegg{k + 1}"
                size = _call(att, "size") or 0
            except Exception as exc:  # noqa: BLE001
                yield Gap(f"{step} / vedlegg {k + 1}", f"corrupt: attachment could not be read: {exc}"[:200])
                continue
            where = f"{step} / vedlegg: {name}"
            if size > settings.max_unpacked_bytes:
                yield Gap(where, f"limit: attachment is {size} bytes, over max_unpacked_bytes")
                continue
            if not size:
                continue  # embedded Outlook items have no byte stream here
            try:
                data = bytes(att.read_buffer(size))
            except Exception as exc:  # noqa: BLE001
                yield Gap(where, f"corrupt: attachment could not be read: {exc}"[:200])
                continue
            if _attach_method(att) == _ATTACH_EMBEDDED_MSG:
                yield from self._embedded(data, where)
                continue
            yield InnerItem(where, ItemData(name, data=data))

    def _embedded(self, data: bytes, where: str) -> Iterator[Extracted]:
        """An attached Outlook item: its own property context, rebuilt as a message."""
        try:
            raw, subject, missing, has_attach = rebuild_embedded(data)
        except (ValueError, struct.error) as exc:
            yield Gap(where, f"corrupt: embedded message could not be read: {exc}"[:200])
            return
        step = f"{where} / vedlagt e-post: {short(subject) or '(uten emne)'}"
        yield InnerItem(step, ItemData("melding.eml", data=raw))
        if missing:
            yield Gap(
                step,
                "unsupported: part of the embedded message is stored in a sub-node libpff does not expose",
            )
        if has_attach:
            yield Gap(step, "unsupported: attachments of an embedded message are not exposed by libpff")


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [PstExtractor()]
