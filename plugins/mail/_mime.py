"""The MIME helpers of the mail family: decoding headers and bodies, turning one parsed
message into segments and inner items, and naming messages by date and subject.

Shared by the .eml, mbox, Outlook (.msg, .pst) and TNEF extractors and the IMAP source,
so a message reads the same wherever it was stored. Private to ``pvscan.plugins.mail``.
"""

import codecs
import html
import mimetypes
import re
from collections.abc import Iterator
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

from pvscan.model import (
    CorruptError,
    Extracted,
    Gap,
    InnerItem,
    ItemData,
    Segment,
)
from pvscan.util.textcodec import decode_text

from ._mimefast import parse_fast

#: Header name -> segment location.
HEADER_LOCATIONS = (
    ("subject", "emne"),
    ("from", "fra"),
    ("to", "til"),
    ("cc", "kopi"),
    ("bcc", "blindkopi"),
)
_SIGNATURE_TYPES = {
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
    "application/pgp-signature",
}
_SMIME_TYPES = {"application/pkcs7-mime", "application/x-pkcs7-mime"}
_WS = re.compile(r"\s+")


# --------------------------------------------------------------------------- decoding
def fix_surrogates(text: str) -> str:
    """Undo ``surrogateescape`` left by the byte parser for raw 8-bit header bytes."""
    if not any("\udc80" <= c <= "\udcff" for c in text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode a body with its declared charset, falling back sensibly when the label
    is missing, unknown or lies (``us-ascii`` with 8-bit bytes, Latin-1 that is cp1252)."""
    name = ""
    if charset:
        try:
            name = codecs.lookup(charset.strip().strip("\"'")).name
        except (LookupError, ValueError):
            name = ""
    if name in ("ascii", "iso8859-1", "latin-1") or not name:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            if name or not data:
                return data.decode("cp1252", "replace")
            return decode_text(data)
    return data.decode(name, "replace")


def decode_words(raw: str) -> str:
    """RFC 2047 encoded words (``=?utf-8?q?...?=``) of a raw header value decoded;
    the value unchanged when it has none or they are broken."""
    if "=?" not in raw:
        return raw
    try:
        return str(make_header(decode_header(raw)))
    except Exception:  # noqa: BLE001 - unknown charset, bad base64: keep the raw text
        return raw


def header_text(msg: Message, name: str) -> str:
    """The decoded value(s) of a header, joined by ", "; never raises.

    Works for messages parsed with ``compat32`` (what :func:`parse_message` uses: raw
    values, decoded here) and with ``policy.default`` (header objects, already decoded)."""
    values: list[str] = []
    if not isinstance(msg.policy, policy.EmailPolicy):
        values = [decode_words(raw) for key, raw in _raw_items(msg) if key.lower() == name]
        text = ", ".join(fix_surrogates(v) for v in values)
        return _WS.sub(" ", text).strip()
    try:
        for v in msg.get_all(name) or ():
            values.append(str(v))
    except Exception:  # noqa: BLE001 - malformed header; decode the raw value instead
        values = []
        for key, raw in _raw_items(msg):
            if key.lower() == name:
                try:
                    values.append(str(make_header(decode_header(raw))))
                except Exception:  # noqa: BLE001
                    values.append(str(raw))
    text = ", ".join(fix_surrogates(v) for v in values)
    return _WS.sub(" ", text).strip()


def _raw_items(msg: Message) -> list[tuple[str, str]]:
    try:
        return [(k, str(v)) for k, v in msg.raw_items()]
    except Exception:  # noqa: BLE001
        return []


def message_date(msg: Message) -> str:
    """``YYYY-MM-DD`` of the Date header, or "" when missing or unparsable."""
    raw = ""
    for key, value in _raw_items(msg):
        if key.lower() == "date":
            raw = value
            break
    if not raw:
        return ""
    try:
        return parsedate_to_datetime(raw.strip()).strftime("%Y-%m-%d")
    except Exception:  # noqa: BLE001
        return ""


def short(text: str, limit: int = 80) -> str:
    text = _WS.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def message_step(msg: Message, date: str = "") -> str:
    """The item-path step of a message in a mailbox: ``2024-03-01 Emne: Sjukmelding``."""
    subject = short(header_text(msg, "subject")) or "(uten emne)"
    date = date or message_date(msg)
    return f"{date} Emne: {subject}" if date else f"Emne: {subject}"


def parse_message(data: bytes) -> Message:
    """Parse with ``compat32``: the modern policy's header registry parses a header again
    on every access (Content-Type alone is read several times per part) and was a third
    of the e-mail extractor's time; compat32 keeps raw strings, which
    :func:`header_text` and :func:`_filename` decode themselves. Messages of plain
    structure take a fast path to the same tree (:mod:`pvscan.plugins.mail._mimefast`)."""
    try:
        fast = parse_fast(data)
    except Exception:  # noqa: BLE001 - the fast path must never lose a message: the stdlib reads it
        fast = None
    if fast is not None:
        return fast
    try:
        return BytesParser(policy=policy.compat32).parsebytes(data)
    except Exception as exc:  # noqa: BLE001 - the parser is lenient; this is rare
        raise CorruptError(f"unreadable e-mail message: {type(exc).__name__}: {exc}") from exc


# --------------------------------------------------------------------------- html
class _HtmlText(HTMLParser):
    """HTML to plain text: drops script/style/head, breaks lines at block elements."""

    _BLOCK = {
        "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "pre", "hr", "section", "article", "header", "footer", "dt", "dd", "title",
    }  # fmt: skip
    _SKIP = {"script", "style", "head", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("\t")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body; falls back to stripping tags if parsing fails."""
    parser = _HtmlText()
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.parts)
    except Exception:  # noqa: BLE001 - malformed markup
        text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = (_WS.sub(" ", line.replace("\xa0", " ")).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


# --------------------------------------------------------------------------- parts
def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:  # noqa: BLE001
        return "application/octet-stream"


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        name = None
    if not name:
        try:
            name = part.get_param("name")
            if isinstance(name, tuple):  # RFC 2231 triple
                name = name[2]
        except Exception:  # noqa: BLE001
            name = None
    if name:
        name = fix_surrogates(decode_words(str(name))).replace("\r", "").replace("\n", "")
        name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name or ""


def _is_attachment(part: Message) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:  # noqa: BLE001
        disposition = ""
    return disposition == "attachment" or bool(_filename(part))


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - bad base64/QP: fall back to the raw text
        raw = part.get_payload()
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    return data if isinstance(data, bytes) else b""


def _text_of(part: Message) -> str:
    data = _payload(part)
    try:
        charset = part.get_content_charset()
    except Exception:  # noqa: BLE001
        charset = None
    return decode_bytes(data, charset).replace("\r\n", "\n")


def _serialize(msg: Message) -> bytes:
    try:
        return msg.as_bytes(policy=msg.policy.clone(max_line_length=0))
    except Exception:  # noqa: BLE001 - headers the generator refuses; compat32 is laxer
        try:
            return msg.as_bytes(policy=policy.compat32)
        except Exception:  # noqa: BLE001
            return msg.as_string(policy=policy.compat32).encode("utf-8", "surrogateescape")


class _Walker:
    """Turns one message into segments and inner items, keeping attachment names unique."""

    def __init__(self) -> None:
        self.counter = 0
        self.names: dict[str, int] = {}

    def unique(self, step: str) -> str:
        n = self.names.get(step, 0) + 1
        self.names[step] = n
        return step if n == 1 else f"{step} ({n})"

    def walk(self, part: Message, plain: list[str]) -> Iterator[Extracted]:
        ctype = _content_type(part)
        maintype, _, subtype = ctype.partition("/")
        if ctype in ("message/rfc822", "message/global"):
            yield from self.embedded(part)
            return
        if part.is_multipart():
            if maintype == "multipart" and subtype == "encrypted":
                yield Gap("", "encrypted: PGP/MIME encrypted message; key required")
                return
            children = part.get_payload()
            if not isinstance(children, list):
                return
            if subtype == "alternative":
                # The plain alternative first, so the HTML one adds only what is new.
                children = sorted(children, key=lambda c: _content_type(c) != "text/plain")
            for child in children:
                if isinstance(child, Message):
                    yield from self.walk(child, plain)
            return
        if ctype in _SIGNATURE_TYPES:
            return  # a detached signature holds no personal data worth reading
        if maintype == "message":
            return  # delivery-status, external-body, partial
        if ctype in ("text/plain", "text/html") and not _is_attachment(part):
            text = _text_of(part)
            if ctype == "text/html":
                text = new_lines(html_to_text(text), plain)
                if text:
                    yield Segment(text, location="tekst (html)")
            elif text.strip():
                plain.append(_WS.sub(" ", text))
                yield Segment(text, location="tekst")
            return
        name = _filename(part)
        if ctype in _SMIME_TYPES:
            try:
                smime = (part.get_param("smime-type") or "").lower()
            except Exception:  # noqa: BLE001
                smime = ""
            if smime == "enveloped-data" or (not smime and name.lower().startswith("smime")):
                yield Gap(
                    self.unique(f"vedlegg: {name or 'smime.p7m'}"),
                    "encrypted: S/MIME encrypted message; certificate required",
                )
                return
        data = _payload(part)
        if not data:
            return
        if not name:
            self.counter += 1
            ext = mimetypes.guess_extension(ctype) or ".bin"
            name = f"vedlegg{self.counter}{ext}"
        yield InnerItem(self.unique(f"vedlegg: {name}"), ItemData(name, data=data))

    def embedded(self, part: Message) -> Iterator[Extracted]:
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, Message):
            data = _payload(part)
            if data:
                sub = parse_message(data)
                yield InnerItem(
                    self.unique(f"vedlagt e-post: {_subject(sub)}"), ItemData("vedlegg.eml", data=data)
                )
            return
        step = self.unique(f"vedlagt e-post: {_subject(inner)}")
        try:
            data = _serialize(inner)
        except Exception as exc:  # noqa: BLE001
            yield Gap(step, f"corrupt: embedded message could not be read: {type(exc).__name__}")
            return
        yield InnerItem(step, ItemData("vedlegg.eml", data=data))


def _subject(msg: Message) -> str:
    return short(header_text(msg, "subject")) or "(uten emne)"


def new_lines(text: str, plain: list[str]) -> str:
    """Lines of the HTML body that the plain body does not already contain, so a
    multipart/alternative message does not report every number twice."""
    if not plain:
        return text
    seen = " ".join(plain)
    return "\n".join(line for line in text.splitlines() if _WS.sub(" ", line).strip() not in seen)


def message_pieces(msg: Message) -> Iterator[Extracted]:
    """Header segments, bodies and attachments of one parsed message."""
    for name, location in HEADER_LOCATIONS:
        value = header_text(msg, name)
        if value:
            yield Segment(value, location=location)
    yield from _Walker().walk(msg, [])
