"""Outlook .msg files (OLE2 compound files) through the extract-msg library.

The message is the item: subject, sender, recipients and body are segments (``emne``,
``fra``, ``til``, ``kopi``, ``tekst``, ``tekst (html)``); attachments are inner items
(``vedlegg: attest.pdf``) and embedded messages are re-exported as .msg bytes and scanned
as ``vedlagt e-post: <subject>``. Appointments, contacts, tasks and notes open as their
own classes and give what text they have. S/MIME-encrypted messages cannot be read
without the recipient's certificate and are reported as such.

extract-msg keeps the OLE file open, so it is always closed in a ``finally``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import (
    CorruptError,
    EncryptedError,
    Extracted,
    Gap,
    InnerItem,
    ItemData,
    Segment,
    Settings,
    UnsupportedError,
)

from ._mime import decode_bytes, html_to_text, new_lines, short

# extract-msg logs every oddity of real files at WARNING/CRITICAL; the reasons we
# record are enough.
logging.getLogger("extract_msg").setLevel(logging.CRITICAL + 1)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return decode_bytes(value, None)
    return str(value)


def _safe(obj: Any, attr: str) -> Any:
    """extract-msg computes many properties lazily and some raise on damaged files."""
    try:
        return getattr(obj, attr, None)
    except Exception:  # noqa: BLE001
        return None


def _attachment_name(att: Any, n: int) -> str:
    for attr in ("longFilename", "shortFilename", "displayName", "name"):
        value = _safe(att, attr)
        if value:
            name = str(value).replace("\x00", "").replace("\\", "/").rsplit("/", 1)[-1].strip()
            if name:
                return name
    return f"vedlegg{n}"


def msg_pieces(msg: Any) -> Iterator[Extracted]:
    """Segments and inner items of one opened extract-msg object."""
    for attr, location in (
        ("subject", "emne"),
        ("sender", "fra"),
        ("to", "til"),
        ("cc", "kopi"),
        ("bcc", "blindkopi"),
    ):
        value = _text(_safe(msg, attr)).strip()
        if value:
            yield Segment(value, location=location)
    class_type = str(_safe(msg, "classType") or "").lower()
    if class_type.startswith("ipm.note.smime") and "multipartsigned" not in class_type:
        if not _safe(msg, "body"):
            yield Gap("", "encrypted: S/MIME encrypted message; certificate required")
            return
    body = _text(_safe(msg, "body")).replace("\r\n", "\n")
    plain = []
    if body.strip():
        plain.append(" ".join(body.split()))
        yield Segment(body, location="tekst")
    html_body = _safe(msg, "htmlBody") if not body.strip() else None
    if html_body:
        text = new_lines(html_to_text(_text(html_body)), plain)
        if text:
            yield Segment(text, location="tekst (html)")
    yield from _attachments(msg)


def _attachments(msg: Any) -> Iterator[Extracted]:
    try:
        attachments = list(_safe(msg, "attachments") or ())
    except Exception as exc:  # noqa: BLE001
        yield Gap("", f"corrupt: attachments could not be read: {type(exc).__name__}")
        return
    names: dict[str, int] = {}

    def unique(step: str) -> str:
        names[step] = names.get(step, 0) + 1
        return step if names[step] == 1 else f"{step} ({names[step]})"

    for n, att in enumerate(attachments, start=1):
        kind = str(_safe(att, "type") or "").rsplit(".", 1)[-1].upper()
        data = _safe(att, "data")
        if kind in ("MSG", "SIGNED_EMBEDDED") or (data is not None and hasattr(data, "exportBytes")):
            sub = data
            subject = short(_text(_safe(sub, "subject"))) or "(uten emne)"
            step = unique(f"vedlagt e-post: {subject}")
            try:
                raw = sub.exportBytes()
            except Exception as exc:  # noqa: BLE001
                yield Gap(step, f"corrupt: embedded message could not be read: {type(exc).__name__}")
                continue
            yield InnerItem(step, ItemData("vedlegg.msg", data=raw))
            continue
        name = _attachment_name(att, n)
        if kind == "WEB":
            continue  # a link to a cloud file: there is nothing here to read
        if kind in ("BROKEN", "UNSUPPORTED", "UNKNOWN") or data is None:
            yield Gap(unique(f"vedlegg: {name}"), "corrupt: attachment could not be read")
            continue
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, bytes | bytearray) or not data:
            continue
        yield InnerItem(unique(f"vedlegg: {name}"), ItemData(name, data=bytes(data)))


class MsgExtractor(Extractor):
    name = "mail_msg"
    version = "1"
    kinds = ("msg",)
    extensions = ("msg",)
    priority = 10

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        # Deferred: extract-msg is heavy (compressed-rtf, RTFDE, bs4): loaded only when a .msg is read.
        import extract_msg
        from extract_msg import exceptions as exm
        from extract_msg.enums import ErrorBehavior

        source: Any = item.path if item.path is not None else item.read()
        tolerant = ErrorBehavior.ATTACH_NOT_IMPLEMENTED | ErrorBehavior.ATTACH_BROKEN
        tolerant |= ErrorBehavior.STANDARDS_VIOLATION | ErrorBehavior.OLE_DEFECT_INCORRECT
        tolerant |= ErrorBehavior.NAMED_NAME_STREAM | ErrorBehavior.CUSTOM_ATTACH_TOLERANT
        tolerant |= ErrorBehavior.RTFDE_MALFORMED | ErrorBehavior.RTFDE_UNKNOWN_ERROR
        try:
            msg = extract_msg.openMsg(source, strict=False, errorBehavior=tolerant)
        except (exm.UnrecognizedMSGTypeError, exm.UnsupportedMSGTypeError) as exc:
            raise UnsupportedError(f"Outlook item type not supported: {exc}") from exc
        except exm.ExMsgBaseException as exc:
            raise CorruptError(f"unreadable .msg file: {type(exc).__name__}: {exc}") from exc
        except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError, OverflowError) as exc:
            # OverflowError: a damaged stream size olefile cannot seek to (fuzzing)
            text = str(exc)
            if "encrypt" in text.lower():
                raise EncryptedError(f".msg file is encrypted: {text}") from exc
            raise CorruptError(f"unreadable .msg file: {type(exc).__name__}: {text}"[:300]) from exc
        try:
            found = 0
            for piece in msg_pieces(msg):
                found += 1
                yield piece
            if not found and type(msg).__name__ == "MSGFile":
                # Not recognised as any Outlook item and nothing readable: damaged.
                raise CorruptError("no readable Outlook item in the file (damaged or truncated .msg)")
        finally:
            try:
                msg.close()
            except Exception:  # noqa: BLE001 - closing a damaged file must not hide results
                pass


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [MsgExtractor()]
