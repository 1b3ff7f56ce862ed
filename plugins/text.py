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

BLOCK_LINES = 40
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def guess_encoding(sample: bytes) -> str:
    for bom, enc in _BOMS:
        if sample.startswith(bom):
            return enc
    try:
        # A truncated multi-byte sequence at the end of the sample is not an error.
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3 and len(sample) >= 65536:
            return "utf-8"
    if sample[:4096].count(b"\x00") > len(sample[:4096]) // 4:
        even = sample[0:4096:2].count(b"\x00")
        odd = sample[1:4096:2].count(b"\x00")
        return "utf-16-le" if odd > even else "utf-16-be"
    text = sample.decode("cp1252", "replace")
    if sum(1 for c in text if ord(c) < 32 and c not in "\r\n\t\f") > len(text) // 100 + 2:
        try:
            from charset_normalizer import from_bytes

            best = from_bytes(sample[:65536]).best()
            if best is not None:
                return best.encoding
        except Exception:  # noqa: BLE001 - fall back to cp1252
            pass
    return "cp1252"


def decode_text(data: bytes) -> str:
    return data.decode(guess_encoding(data[:262144]), "replace")


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
