"""Unix mbox files (Thunderbird, mutt, Google Takeout exports): one inner item per message.

The file is streamed: messages are cut out one at a time with our own ``From `` line
splitter, so a multi-gigabyte mailbox never sits in memory (``mailbox.mbox`` builds a
table of contents first and reads each message whole). A ``From `` line only starts a
new message when it follows a blank line (or opens the file) and is followed by
something that looks like a header, so an unescaped "From Russia with love" in a body
does not split a message. ``>From `` quoting (mboxrd) is undone.

Each message is an inner item whose step is ``2024-03-01 Emne: Sjukmelding``; the core
scans it with the .eml extractor, so headers, bodies and attachments read the same as in
a single .eml file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from email import policy
from email.parser import BytesHeaderParser

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import CorruptError, Extracted, InnerItem, ItemData, Settings
from pvscan.plugins._spool import Spool

from ._mime import message_date, message_step

_HEADER = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:")
_QUOTED_FROM = re.compile(rb"^>(>*From )")
#: A line longer than this is read in pieces (binary junk without newlines).
_MAX_LINE = 1024**2
_HEAD_BYTES = 65536


def _from_line_date(line: bytes) -> str:
    """The date of an mbox separator line (``From sender Mon Jun 01 10:00:00 2009``)."""
    words = line.decode("latin-1").split()
    for n in range(2, len(words) - 4):
        try:
            return datetime.strptime(" ".join(words[n : n + 5]), "%a %b %d %H:%M:%S %Y").strftime("%Y-%m-%d")
        except ValueError:
            continue
    return ""


def iter_messages(fh) -> Iterator[tuple[bytes, Spool]]:  # type: ignore[no-untyped-def]
    """Yield ``(from_line, spool)`` per message; the caller closes each spool."""
    from_line = b""
    spool: Spool | None = None
    prev_blank = True
    pending: bytes | None = None
    first = True
    # Lines are collected and written to the spool in blocks: one write per line was a
    # fifth of an mbox's time (tens of thousands of lines per message file).
    buf: list[bytes] = []
    buffered = 0
    while True:
        line = pending if pending is not None else fh.readline(_MAX_LINE)
        pending = None
        if not line:
            break
        if first and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if line.startswith(b"From ") and (prev_blank or first):
            nxt = fh.readline(_MAX_LINE)
            if first or _HEADER.match(nxt) or not nxt:
                if spool is not None and buf:
                    spool.write(b"".join(buf))
                    buf, buffered = [], 0
                if spool is not None and spool.size:
                    yield from_line, spool
                elif spool is not None:
                    spool.close()
                from_line, spool = line, Spool()
                first = False
                prev_blank = False
                pending = nxt
                continue
            pending = nxt
        if first:
            # No separator at the top: not really an mbox, but read it as one message.
            first = False
            spool = Spool()
        prev_blank = line in (b"\n", b"\r\n")
        assert spool is not None
        if line[:1] == b">" and _QUOTED_FROM.match(line):
            line = line[1:]
        buf.append(line)
        buffered += len(line)
        if buffered >= 65536:
            spool.write(b"".join(buf))
            buf, buffered = [], 0
    if spool is not None and buf:
        spool.write(b"".join(buf))
    if spool is not None and spool.size:
        yield from_line, spool
    elif spool is not None:
        spool.close()


class MboxExtractor(Extractor):
    name = "mail_mbox"
    version = "1"
    kinds = ("mbox",)
    extensions = ("mbox", "mbx")
    priority = 10

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        seen: dict[str, int] = {}
        count = 0
        with item.open() as fh:
            for from_line, spool in iter_messages(fh):
                try:
                    count += 1
                    data = spool.item(f"melding{count}.eml")
                    head = data.read(_HEAD_BYTES).split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
                    try:
                        # compat32: raw values, decoded by header_text (the default policy's
                        # header registry is several times slower)
                        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(head)
                        step = message_step(headers, message_date(headers) or _from_line_date(from_line))
                    except Exception:  # noqa: BLE001 - a broken header block still gets scanned
                        step = f"melding {count}"
                    n = seen.get(step, 0) + 1
                    seen[step] = n
                    yield InnerItem(step if n == 1 else f"{step} ({n})", data)
                finally:
                    spool.close()
        if not count and item.size:
            raise CorruptError("no messages found in the mbox file")


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [MboxExtractor()]
