"""Outlook .pst/.ost mailboxes through libpff (``libpff-python``, imported as ``pypff``).

Folders are walked depth first; each message becomes an inner item
``<mappe> / 2024-03-01 Emne: <subject>`` holding a small RFC 822 rebuild of its
headers and body (scanned by the .eml extractor, so locations are the usual ``emne``,
``fra``, ``til``, ``tekst``), and each attachment an inner item
``<mappe> / <dato> Emne: <subject> / vedlegg: <name>`` with its bytes, so attachments
are not base64-inflated into the rebuilt message. libpff reads the file through a
Python file object, so nothing is copied to disk.
"""

from __future__ import annotations

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
                data = att.read_buffer(size)
            except Exception as exc:  # noqa: BLE001
                yield Gap(where, f"corrupt: attachment could not be read: {exc}"[:200])
                continue
            yield InnerItem(where, ItemData(name, data=bytes(data)))


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [PstExtractor()]
