"""Rich Text Format (.rtf, and .doc files that are really RTF: sniffing decides).

striprtf does the parsing. It walks the whole input with regular expressions, so two
guards keep it affordable: files over ``MAX_RTF_BYTES`` are refused as over the limit,
and long runs of hex digits (embedded pictures, ``\\pict`` data: often 90% of a file
pasted from Word) are cut out before parsing. The code page comes from ``\\ansicpg``
(cp1252 when absent). Each non-empty line of the result is a paragraph ``avsnitt N``
with the previous one as context.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from striprtf.striprtf import rtf_to_text

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import CorruptError, Extracted, ItemData, LimitExceeded, Segment, Settings

MAX_RTF_BYTES = 64 * 1024**2
_HEX_RUN = re.compile(rb"(?:[0-9a-fA-F]{2}[\r\n]*){256,}")
_BIN = re.compile(rb"\\bin(\d+) ?")
_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")


def _strip_binary(data: bytes) -> bytes:
    """Remove picture hex data and ``\\binN`` payloads, which carry no text."""
    data = _HEX_RUN.sub(b"", data)
    out = []
    pos = 0
    for m in _BIN.finditer(data):
        if m.start() < pos:
            continue
        out.append(data[pos : m.start()])
        pos = m.end() + int(m.group(1))
    out.append(data[pos:])
    return b"".join(out)


def rtf_text(data: bytes) -> str:

    m = _CODEPAGE.search(data[:4096])
    encoding = f"cp{m.group(1).decode()}" if m else "cp1252"
    try:
        "".encode(encoding)
    except LookupError:
        encoding = "cp1252"
    text = _strip_binary(data).decode("latin-1")
    try:
        return rtf_to_text(text, encoding=encoding, errors="replace")
    except (ValueError, IndexError, KeyError, UnicodeError) as exc:
        raise CorruptError(f"not a readable RTF file: {type(exc).__name__}: {exc}"[:300]) from exc


class RtfExtractor(Extractor):
    name = "rtf"
    version = "1"
    kinds = ("rtf",)
    extensions = ("rtf",)

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        if item.size > MAX_RTF_BYTES:
            raise LimitExceeded(f"RTF file is {item.size} bytes, over the limit of {MAX_RTF_BYTES}")
        text = rtf_text(item.read())
        prev = ""
        n = 0
        for line in text.splitlines():
            if not line.strip():
                continue
            n += 1
            yield Segment(line, location=f"avsnitt {n}", context=prev[-200:])
            prev = line


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [RtfExtractor()]
