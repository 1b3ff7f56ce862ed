"""Plain text: .txt .csv .log .md and anything else that sniffs as text.

Encoding: a BOM decides (UTF-8, UTF-16 LE/BE); otherwise strict UTF-8; otherwise
cp1252 (a superset of Latin-1 for printable text, which is what Norwegian Windows
machines wrote for decades), with charset-normalizer consulted only when cp1252 yields
control characters. Text is yielded in blocks of lines, each with a ``linje N`` location,
and lines are never cut in the middle so a number is never split between segments. A
CSV header row is passed as context, so a column called "Fødselsnummer" helps
detection on every row.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator

from pvscan import hookimpl
from pvscan.interfaces import Extractor
from pvscan.model import Extracted, ItemData, Segment, Settings
from pvscan.util.textcodec import guess_encoding

BLOCK_LINES = 40


def iter_lines(item: ItemData) -> Iterator[str]:
    """Decoded lines, streamed: big logs and CSV exports are not loaded at once."""
    with item.open() as fh:
        sample = fh.read(262144)
        enc = guess_encoding(sample)
        fh.seek(0)
        reader = codecs.getreader(enc)(fh, errors="replace")
        yield from reader


class TextExtractor(Extractor):
    name = "text"
    version = "1"
    #: ``plaintext``: text whose file name claims a binary format (see pvscan.sniff).
    kinds = ("text", "plaintext")
    extensions = ("txt", "csv", "log", "md", "tsv", "text")
    priority = -10

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        header = ""
        is_table = item.extension in ("csv", "tsv")
        block: list[str] = []
        start = 1
        n = 0
        for n, line in enumerate(iter_lines(item), start=1):
            line = line.rstrip("\r\n")
            if n == 1 and is_table:
                header = line
            block.append(line)
            if len(block) >= BLOCK_LINES:
                yield Segment("\n".join(block), location=_loc(start, n), context=header)
                block = []
                start = n + 1
        if block:
            yield Segment("\n".join(block), location=_loc(start, n), context=header)


def _loc(a: int, b: int) -> str:
    return f"linje {a}" if a == b else f"linje {a}-{b}"


@hookimpl
def pvscan_extractors() -> list[Extractor]:
    return [TextExtractor()]
