"""Context words around identifier candidates, and the table-column lookup.

A number's neighbourhood decides what it is: the same 11 digits are a fødselsnummer
after "f.nr.", an account after "kontonr" and a payment reference after "KID". Words
are matched in one compiled alternation over a short window *before* the candidate
(labels precede values in Norwegian forms, letters and tables), and the nearest word
wins, so "Kontonr: … KID: 123" reads the KID as a KID. A table column header (the
``Segment.context`` a CSV or spreadsheet extractor passes) is looked up per column.
"""

from __future__ import annotations

import re
from functools import lru_cache
from operator import itemgetter

import ahocorasick_rs as _ac

#: Words that say "a fødselsnummer follows" (bokmål, nynorsk, English).
FNR_WORDS = (
    r"fødselsnummer\w*",
    r"fødselsnumr\w*",
    r"fødselsnr",
    r"f\.\s?nr",
    r"f-nr",
    r"fnr",
    r"personnummer\w*",
    r"personnr",
    r"pers\.\s?nr",
    r"p\.\s?nr",
    r"p-nr",
    r"pnr",
    r"identitetsnummer\w*",
    r"personidentifikator\w*",
    r"personident",
    r"id-nummer",
    r"id-nr",
    r"d-nummer\w*",
    r"d-nr",
    r"dnr",
    r"h-nummer\w*",
    r"h-nr",
    r"hnr",
    r"fh-nummer\w*",
    r"hjelpenummer\w*",
    r"fødselsdato",
    r"født",
    r"fødd",
    r"ssn",
    r"national identity number",
    r"personal identification number",
    r"norwegian id number",
)

#: Words that say "an account number follows".
KONTO_WORDS = (
    r"kontonummer\w*",
    r"kontonr",
    r"kto\.?\s?nr",
    r"kto",
    r"konto",
    r"kontoen",
    r"bankkonto\w*",
    r"lønnskonto\w*",
    r"lønskonto\w*",
    r"brukskonto\w*",
    r"sparekonto\w*",
    r"skattetrekkskonto\w*",
    r"klientkonto\w*",
    r"utbetales til",
    r"utbetalast til",
    r"utbetalt til",
    r"overføres til",
    r"overførast til",
    r"innbetales til",
    r"betales til",
    r"kontohaver\w*",
    r"kontohavar\w*",
    r"iban",
    r"bic",
    r"swift",
    r"bank account",
    r"account number",
)

#: Distractors: the number after these is a reference, an organisation or a phone.
NEG_WORDS = (
    r"kid",
    r"kid-nr",
    r"kidnr",
    r"kid-nummer",
    r"kundenr",
    r"kundenummer\w*",
    r"kunde-nr",
    r"fakturanr",
    r"fakturanummer\w*",
    r"faktura-nr",
    r"ordrenr",
    r"ordrenummer\w*",
    r"bestillingsnr",
    r"ref",
    r"referanse\w*",
    r"betalingsreferanse\w*",
    r"saksnr",
    r"saksnummer\w*",
    r"sak",
    r"arkivsak\w*",
    r"journalpost\w*",
    r"jnr",
    r"org\.?\s?nr",
    r"org-nr",
    r"orgnr",
    r"organisasjonsnummer\w*",
    r"foretaksnr",
    r"mva",
    r"tlf",
    r"telefon\w*",
    r"mobil\w*",
    r"mob",
    r"faks",
    r"postnr",
    r"beløp\w*",
    r"kr",
    r"nok",
    r"serienummer\w*",
    r"serienr",
    r"ean",
    r"gtin",
    r"isbn",
    r"varenr",
    r"varenummer",
    r"avtalenr",
    r"avtalenummer",
    r"polisenr",
    r"polisenummer",
    r"lisens\w*",
    r"ordre",
)

#: All three word lists in one pattern, matched on *lower-cased* text with the standard
#: library engine: on the short windows looked at per candidate it is several times
#: faster than a case-insensitive ``regex`` pattern (whose per-call set-up dominates).
CONTEXT_LOW = re.compile(
    r"(?<![\w])(?:(?P<fnr>"
    + "|".join(FNR_WORDS)
    + r")|(?P<konto>"
    + "|".join(KONTO_WORDS)
    + r")|(?P<neg>"
    + "|".join(NEG_WORDS)
    + r"))(?!\w)"
)


def lower_same_length(text: str) -> str:
    """``text.lower()``, except that a character whose lower case is longer (the
    Turkish dotted İ) is kept as it is, so every offset stays valid."""
    low = text.lower()
    if len(low) != len(text):
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return low


_last_latin1: tuple[str, bytes] = ("", b"")


def latin1(text: str) -> bytes:
    """``text`` as Latin-1 with ``?`` for any other character: one byte per character,
    so byte offsets are the text's own (for native byte searches).

    The identifier and category detectors both encode each segment; the last answer is
    kept so the second one gets it for free (``is``: the very same segment text)."""
    global _last_latin1
    last = _last_latin1
    if last[0] is text:
        return last[1]
    data = text.encode("latin-1", "replace")
    _last_latin1 = (text, data)
    return data


def _latin1_lower_table() -> bytes:
    """``bytes.translate`` table that lower-cases Latin-1 exactly as ``str.lower`` does
    (every Latin-1 character's lower case is one Latin-1 character; if that ever
    changed, encoding or ``translate`` would fail at import)."""
    return "".join(chr(i).lower() for i in range(256)).encode("latin-1")


LATIN1_LOWER = _latin1_lower_table()


def lower_latin1_window(text: str, lo: int, hi: int) -> bytes | None:
    """``lower_same_length(text[lo:hi])`` as Latin-1 bytes, cut from the segment's own
    bytes, when those are at hand and the window holds only Latin-1 (no ``?``);
    else None. Lower-casing a few dozen bytes with ``bytes.translate`` is several
    times cheaper than ``str.lower`` on text with æ, ø or å (which takes a
    per-character path), and it runs for every candidate.

    Only a ``latin1`` answer already kept is used: a short piece of text (a window, a
    header) is not worth encoding whole, and must not push the segment out."""
    last = _last_latin1
    if last[0] is not text:
        return None
    raw = last[1][lo:hi]
    return None if b"?" in raw else raw.translate(LATIN1_LOWER)


def is_word(c: str) -> bool:
    r"""``re``'s ``\w`` for one character (word starts are tested with it)."""
    return c.isalnum() or c == "_"


#: A context word as (class, start, end): ``class`` is fnr, konto or neg.
Ctx = tuple[str, int, int]


def _lead(word: str) -> str:
    """The literal text every match of keyword pattern ``word`` starts with (up to
    its first optional or repeated piece): ``f\\.\\s?nr`` -> ``f.``."""
    out = []
    i = 0
    while i < len(word):
        ch = word[i]
        nxt = word[i + 1] if i + 1 < len(word) else ""
        if ch == "\\" and nxt in ".-":
            if word[i + 2 : i + 3] in ("?", "*"):
                break
            out.append(nxt)
            i += 2
            continue
        if ch in "\\?*+()[]{}|" or nxt in ("?", "*"):
            break
        out.append(ch)
        i += 1
    return "".join(out)


def _minimal(leads: set[str]) -> list[str]:
    """Leads that no shorter lead is a prefix of (the shorter one finds the place)."""
    return sorted(x for x in leads if not any(y != x and x.startswith(y) for y in leads))


#: Where a keyword can start: one native Aho-Corasick pass over a window finds these
#: literal leads; CONTEXT_LOW is then tried only at those of them that start a word.
LEADS = _minimal({_lead(w) for w in (*FNR_WORDS, *KONTO_WORDS, *NEG_WORDS)})
_LEAD_AC = _ac.BytesAhoCorasick([x.encode("latin-1") for x in LEADS], implementation=_ac.Implementation.DFA)


_CONTEXT_MATCH = CONTEXT_LOW.match
_START = itemgetter(1)


def context_matches(text: str, lo: int, hi: int) -> list[Ctx]:
    """Every context word in ``text[lo:hi]``, left to right, as ``CONTEXT_LOW.finditer``
    over the lower-cased text with ``pos=lo, endpos=hi`` finds them.

    Only the window is lower-cased (one character more on the left, so a word cut at
    ``lo`` is still seen as cut): a candidate looks at some 60 characters, never at
    the whole segment. Every match starts with a lead at a word start, so trying the
    pattern only there, left to right and without overlaps, is what ``finditer``
    does, without its per-position cost.
    """
    a = lo - 1 if lo > 0 else 0
    low = lower_latin1_window(text, a, hi)
    if low is not None:
        window = low.decode("latin-1")
    else:
        window = lower_same_length(text[a:hi])
        # Latin-1 with "?" for anything else: one byte per character, offsets unchanged.
        low = window.encode("latin-1", "replace")
    found = _LEAD_AC.find_matches_as_indexes(low, overlapping=True)
    if not found:
        return []
    # This runs once or more per valid number in a register, so it is kept lean:
    # is_word inlined, the matches sorted in place by where they start (no two leads
    # start at one place: neither is a prefix of the other).
    if len(found) > 1:
        found.sort(key=_START)
    out: list[Ctx] = []
    last = lo - a
    for _i, p, _e in found:
        if p < last:
            continue  # inside an earlier match
        if p:
            c = window[p - 1]
            if c.isalnum() or c == "_":
                continue  # not at a word start (is_word)
        m = _CONTEXT_MATCH(window, p)
        if m is not None:
            last = m.end()
            out.append((m.lastgroup, p + a, last + a))  # type: ignore[arg-type]
    return out


#: Characters looked at before a candidate. Labels sit right before their values.
WINDOW_BEFORE = 60
WINDOW_AFTER = 20


#: A distractor word counts only this close (and on the same line): table headers
#: such as "Mobil" several columns away must not veto a fødselsnummer.
NEG_REACH = 30


def nearest_context(text: str, start: int, end: int) -> str | None:
    """The class (``fnr``/``konto``/``neg``) of the keyword nearest before ``start``
    (or right after ``end`` when nothing precedes it), or None."""
    lo = max(0, start - WINDOW_BEFORE)
    best = None
    for cls, _s, e in context_matches(text, lo, start):
        if cls == "neg" and (start - e > NEG_REACH or "\n" in text[e:start]):
            continue
        best = cls
    if best is not None:
        return best
    # "01019012345 (fnr)" style: only the few characters after the value count.
    # (no endpos: it would make a cut word like "ref|erat" look whole)
    after = text[end : end + WINDOW_AFTER + 30]
    found = context_matches(after, 0, len(after))
    if found:
        cls, s, _e = found[0]
        if s < WINDOW_AFTER and "\n" not in text[end : end + s]:
            return cls
    return None


_DELIMS = ("\t", ";", "|", ",")


@lru_cache(maxsize=1)
def _header_columns(header: str) -> tuple[tuple[str, list[str]], ...]:
    """Each delimiter of ``_DELIMS`` that ``header`` holds, in that order, with the
    header split at it. Every row of a table asks about the same header (often the
    very same string), once per candidate and field: it is split once, and only the
    last header is kept (a long paragraph given as context must not pile up)."""
    return tuple((d, header.split(d)) for d in _DELIMS if d in header)


def column_of(text: str, start: int, header: str) -> str | None:
    """The column header of the cell at ``start`` when ``header`` is a delimited header
    row (CSV) and the candidate's line uses the same delimiter; else None."""
    if not header:
        return None
    columns = _header_columns(header)
    if not columns:
        return None  # no delimiter in the header: no line can share one
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    if line_end < 0:
        line_end = len(text)
    for d, cols in columns:
        if text.find(d, line_start, line_end) >= 0:  # d in the line (no copy of it)
            col = text.count(d, line_start, start)
            return cols[col] if col < len(cols) else ""
    return None


def header_for(text: str, start: int, header: str) -> str:
    """The column header of the cell at ``start``: its column of a delimited header row,
    or a short undelimited header (a spreadsheet column title) as a whole. Longer
    context (a neighbouring paragraph) is not a header and gives nothing."""
    col = column_of(text, start, header)
    if col is not None:
        return col
    if len(header) <= 60 and "\n" not in header:
        return header
    return ""


@lru_cache(maxsize=4096)
def classify_words(words: str) -> str | None:
    """The class of a column header. A header naming both kinds ("Fnr/Org.nr") is read
    by its identifier word: the value's own shape and checksum tell the rest.
    (Cached: every row of a sheet asks about the same few headers.)"""
    found = {cls for cls, _s, _e in context_matches(words, 0, len(words))}
    for cls in ("fnr", "konto", "neg"):
        if cls in found:
            return cls
    return None
