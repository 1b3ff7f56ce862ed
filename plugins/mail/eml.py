"""Single RFC 822 messages: .eml files, Maildir message files, Apple .emlx.

The message is the item itself: its headers and bodies are yielded as segments with the
locations ``emne``, ``fra``, ``til``, ``kopi``, ``blindkopi``, ``tekst`` and
``tekst (html)``, and every attachment or embedded message is an inner item
(``vedlegg: attest.pdf``, ``vedlagt e-post: <subject>``) that the core scans with
whatever extractor claims it.

Real mail is messy (broken charsets, misfolded headers, bad base64, 8-bit bytes in
headers), so every header and part is read defensively: a part that cannot be decoded
becomes a :class:`~pvscan.model.Gap`, never a crash, and text is always decoded with
``errors="replace"``.

:func:`message_pieces` and :func:`message_step` are shared with the mbox, PST and IMAP
code, so a message reads the same wherever it was stored.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import (
    CorruptError,
    EncryptedError,
    Extracted,
    InnerItem,
    ItemData,
    Settings,
    UnsupportedError,
)

from ._mime import message_pieces, parse_message


def strip_emlx(data: bytes) -> bytes:
    """Apple Mail .emlx: a byte count line, the message, then an XML plist."""
    first, sep, rest = data.partition(b"\n")
    if sep and first.strip().isdigit():
        return rest[: int(first.strip())]
    return data


class EmlExtractor(Extractor):
    name = "mail_eml"
    version = "1"
    kinds = ("eml",)
    extensions = ("eml", "emlx", "mht", "mhtml")
    priority = 10

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        data = item.read()
        if item.extension == "emlx":
            data = strip_emlx(data)
        yield from message_pieces(parse_message(data))


# --------------------------------------------------------------------------- S/MIME
_OID_SIGNED = bytes.fromhex("2a864886f70d010702")
_OID_ENVELOPED = bytes.fromhex("2a864886f70d010703")
_OID_AUTH_ENVELOPED = bytes.fromhex("2a864886f70d0109100117")
_OID_ENCRYPTED = bytes.fromhex("2a864886f70d010706")


def _ber(data: bytes, pos: int, depth: int = 0) -> tuple[int, int, int, int]:
    """One BER element at ``pos``: ``(tag, value_start, value_end, next_pos)``.
    Indefinite lengths (what S/MIME signers often write) are resolved by walking the
    children up to the end-of-contents marker."""
    if depth > 64 or pos + 2 > len(data):
        raise CorruptError("damaged PKCS#7 structure")
    tag = data[pos]
    pos += 1
    if tag & 0x1F == 0x1F:
        while pos < len(data) and data[pos] & 0x80:
            pos += 1
        pos += 1
    first = data[pos]
    pos += 1
    if first == 0x80:
        child = pos
        while child + 2 <= len(data) and data[child : child + 2] != b"\x00\x00":
            child = _ber(data, child, depth + 1)[3]
        if child + 2 > len(data):
            raise CorruptError("damaged PKCS#7 structure (no end of contents)")
        return tag, pos, child, child + 2
    if first & 0x80:
        n = first & 0x7F
        length = int.from_bytes(data[pos : pos + n], "big")
        pos += n
    else:
        length = first
    if pos + length > len(data):
        raise CorruptError("damaged PKCS#7 structure (element runs past the end)")
    return tag, pos, pos + length, pos + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    out = []
    while start < end and data[start : start + 2] != b"\x00\x00":
        el = _ber(data, start)
        out.append(el)
        start = el[3]
    return out


def _octets(data: bytes, el: tuple[int, int, int, int]) -> bytes:
    tag, start, end, _ = el
    if tag & 0x20:  # constructed OCTET STRING: the concatenation of its pieces
        return b"".join(_octets(data, c) for c in _children(data, start, end))
    return data[start:end]


def pkcs7_content(data: bytes) -> bytes:
    """The signed content of a PKCS#7/CMS SignedData (.p7m); raises EncryptedError for
    enveloped (encrypted) data, which needs the recipient's private key."""
    if data[:1] != b"\x30":
        raise CorruptError("not a DER/BER PKCS#7 file")
    _, start, end, _ = _ber(data, 0)
    parts = _children(data, start, end)
    if not parts or parts[0][0] != 0x06:
        raise CorruptError("not a PKCS#7 ContentInfo")
    oid = data[parts[0][1] : parts[0][2]]
    if oid in (_OID_ENVELOPED, _OID_AUTH_ENVELOPED, _OID_ENCRYPTED):
        raise EncryptedError("S/MIME/PKCS#7 encrypted data; the recipient's certificate is required")
    if oid != _OID_SIGNED or len(parts) < 2:
        raise UnsupportedError("PKCS#7 content type other than signed or enveloped data")
    signed = _children(data, parts[1][1], parts[1][2])  # [0] EXPLICIT -> SignedData
    if not signed:
        raise CorruptError("empty PKCS#7 SignedData")
    fields = _children(data, signed[0][1], signed[0][2])
    if len(fields) < 3:
        raise CorruptError("damaged PKCS#7 SignedData")
    encap = _children(data, fields[2][1], fields[2][2])
    if len(encap) < 2:
        return b""  # detached signature: the content is elsewhere
    wrapped = _children(data, encap[1][1], encap[1][2])
    return _octets(data, wrapped[0]) if wrapped else b""


class SmimeExtractor(Extractor):
    """.p7m files and S/MIME parts: signed content is unwrapped and scanned; encrypted
    content is reported as encrypted. Detached signatures (.p7s) hold nothing to scan."""

    name = "smime"
    version = "1"
    kinds = ()
    extensions = ("p7m", "p7s", "p7c")
    priority = 5

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        if item.extension in ("p7s", "p7c"):
            return
        data = item.read()
        if data[:1] != b"\x30":
            text = re.sub(rb"-----[A-Z0-9 #]+-----", b"", data)
            try:
                data = base64.b64decode(text, validate=False)
            except (binascii.Error, ValueError) as exc:
                raise CorruptError("not a PKCS#7 file") from exc
        try:
            content = pkcs7_content(data)
        except IndexError as exc:
            raise CorruptError("damaged PKCS#7 structure") from exc
        if not content:
            return
        stem = item.name.rsplit("/", 1)[-1]
        stem = stem[: -len(".p7m")] if stem.lower().endswith(".p7m") else stem
        head = content[:200].lower()
        if head.startswith((b"content-", b"mime-version")) or "." not in stem or stem.lower() == "smime":
            stem = (stem or "signert") + ".eml" if head.startswith((b"content-", b"mime-version")) else stem
        yield InnerItem(f"signert innhold: {stem}", ItemData(stem, data=content))


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [EmlExtractor(), SmimeExtractor()]
