"""Guessing the encoding of text without a declared charset, and decoding it.

A BOM decides (UTF-8, UTF-16/32); otherwise strict UTF-8; otherwise cp1252 (what
Norwegian Windows machines wrote for decades), with charset-normalizer consulted only
when cp1252 yields control characters. Shared by the text, HTML and mail extractors and
by the access request's redactor, so a file decodes the same everywhere.
"""

from __future__ import annotations

import codecs

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
            # Deferred: charset-normalizer is imported only for the rare file cp1252 cannot
            # decode cleanly, not by every worker at start.
            from charset_normalizer import from_bytes

            best = from_bytes(sample[:65536]).best()
            if best is not None:
                return best.encoding
        except Exception:  # noqa: BLE001 - fall back to cp1252
            pass
    return "cp1252"


def decode_text(data: bytes) -> str:
    return data.decode(guess_encoding(data[:262144]), "replace")
