"""A fast path for the structure of a MIME message: the same ``compat32`` tree of
``Message`` objects as ``email.parser.BytesParser`` builds, for the messages whose
structure is plain.

Why: the stdlib feed parser looks at every line of a message in Python, and mail is
mostly attachment lines (76 characters of base64 each): a 2 MB mailbox is 28,000 lines,
and parsing them was a quarter of the time spent on a mailbox. On the development corpus
mailboxes and .eml files were a third of the workers' time. Here only the header blocks
go through the stdlib parser; bodies are cut at their boundary lines by searches over
the bytes and stored untouched, as the stdlib stores them.

Whatever this is not sure to read exactly as the stdlib would returns ``None`` and the
caller parses the whole message with the stdlib: bare CR line ends, a header block
without a blank line after it or with a line that is not a header, a multipart without a
boundary or without its closing boundary line, ``message/*`` parts (the stdlib parses
them into sub-messages), ``multipart/digest`` and nesting deeper than
:data:`MAX_DEPTH`. Tests compare the two trees on every message of the test corpora.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import policy
from email.message import Message
from email.parser import Parser
from typing import NamedTuple

#: Nesting of multiparts read on the fast path; deeper messages go to the stdlib.
MAX_DEPTH = 20
_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+:|[ \t]")
_BLANK_LINE = re.compile(rb"\n\r?\n")
_HEADERS = Parser(policy=policy.compat32)


def parse_fast(data: bytes) -> Message | None:
    """The message tree of ``data`` as ``BytesParser(policy=compat32)`` builds it, or
    ``None`` when the fast path cannot promise that."""
    if data.startswith(b"From ") or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n")):
        return None  # a Unix From line, or bare CR line ends (the stdlib splits at them)
    return _parse(data, 0)


def _parse(data: bytes, depth: int) -> Message | None:
    split = _split_head(data)
    if split is None:
        return None
    head, body = split
    msg = _HEADERS.parsestr(head.decode("ascii", "surrogateescape"), headersonly=True)
    if msg.defects:
        return None
    maintype = msg.get_content_maintype()
    if maintype == "message":
        return None
    if maintype != "multipart":
        msg.set_payload(body.decode("ascii", "surrogateescape"))
        return msg
    boundary = msg.get_boundary()
    if not boundary or depth >= MAX_DEPTH or msg.get_content_subtype() == "digest":
        return None
    return msg if _fill_multipart(msg, body, boundary.encode("ascii", "surrogateescape"), depth) else None


def _split_head(data: bytes) -> tuple[bytes, bytes] | None:
    """``(header block, body)`` split at the first blank line; ``None`` when a line of
    the block is not a header (the stdlib then starts the body early, with a defect)."""
    if data.startswith((b"\n", b"\r\n")):
        return b"", data[1 if data[:1] == b"\n" else 2 :]
    m = _BLANK_LINE.search(data)
    if m is None:
        return None
    head = data[: m.start() + 1]  # through the newline of the last header line
    for line in head.split(b"\n")[:-1]:
        if not _HEADER_LINE.match(line):
            return None
    if head[:1] in (b" ", b"\t"):
        return None  # a continuation with nothing to continue
    return head, data[m.end() :]


def _fill_multipart(msg: Message, body: bytes, boundary: bytes, depth: int) -> bool:
    """Cut ``body`` at its boundary lines and attach the parts; ``False`` when a part
    is not for the fast path or the closing boundary line is missing."""
    start = None  # where the current part begins
    parts: list[Message] = []
    closed = None
    for m in _boundary_lines(body, b"--" + boundary):
        if start is None:
            if m.start:
                msg.preamble = _strip_eol(body[: m.start].decode("ascii", "surrogateescape"))
        else:
            part = _parse(body[start : m.start], depth + 1)
            if part is None:
                return False
            # the newline before a boundary line belongs to the boundary (RFC 2046): the
            # stdlib takes it off the part's payload, or off the epilogue of a multipart
            if part.is_multipart():
                epilogue = part.epilogue
                part.epilogue = None if not epilogue else _strip_eol(epilogue)
            else:
                # the raw payload, as the stdlib edits it (``get_payload()`` would decode
                # 8-bit text with its charset)
                part._payload = _strip_eol(part._payload)  # type: ignore[attr-defined]
            parts.append(part)
        if m.close:
            closed = m
            break
        start = m.end
    if closed is None or not parts:
        return False
    # everything after the closing boundary line is the epilogue
    msg.epilogue = body[closed.end :].decode("ascii", "surrogateescape")
    msg.set_payload(parts)  # what ``attach`` builds, part by part
    return True


def _strip_eol(text: str) -> str:
    """Without one trailing line end: the newline before a boundary line belongs to
    the boundary (RFC 2046), as the stdlib reads it."""
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


class _Line(NamedTuple):
    start: int  # where the boundary line starts
    end: int  # after its line end
    close: bool  # the closing boundary (``--boundary--``)


def _boundary_lines(body: bytes, separator: bytes) -> Iterator[_Line]:
    """The boundary lines of ``body``, as the stdlib recognises them: a line that is
    ``separator``, optionally ``--``, then only spaces or tabs. Found with ``find``
    (a regex per boundary would be compiled for every message: boundaries are unique)."""
    pos = 0
    while True:
        i = body.find(separator, pos)
        if i < 0:
            return
        pos = i + len(separator)
        if i and body[i - 1] != 10:  # not at the start of a line
            continue
        nl = body.find(b"\n", pos)
        end = len(body) if nl < 0 else nl + 1
        rest = body[pos:end]
        close = rest.startswith(b"--")
        if rest[2 if close else 0 :].strip(b" \t\r\n") or rest.count(b"\r") > (
            1 if rest.endswith(b"\r\n") else 0
        ):
            continue  # more on the line: not a boundary line
        yield _Line(i, end, close)
