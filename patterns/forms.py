"""A fødselsnummer written in two fields: the date of birth and the personal number.

Forms, individual plans and registration sheets ask for *Fødselsdato* (6 digits, or a
date) and *Personnummer* (the 5 digits after it) in two fields: adjacent table cells
(``010190 | 12345``, a row under the header ``Fødselsdato | Personnummer``), two
cells of a vertical form (``Fødselsdato | 01.01.1990`` then ``Personnummer |
12345``: two rows, so two segments), or two ``label: value`` lines. The number is
never written whole, so the one-run candidates of :mod:`.identifiers` do not see it.

The joined 11 digits must pass both check digits, hold a real date that is the one
written, and fit the century table; and a label must say that these are a birth date
and a personal number (a column header or the words before the value). Without a
label two numbers that happen to join are no evidence. Spreadsheets that stored the
fields as numbers lost a leading zero (``10190`` for 010190, ``1234`` for 01234): the
field is padded when its column header names it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

import ahocorasick_rs as _ac

from pvscan.identity.numbers import classify_checked, is_strict, mod11_ok
from pvscan.interfaces import DocState
from pvscan.model import Segment

from .context import classify_words, column_of, context_matches, header_for, latin1

#: Literal pieces of the labels (in the casings people write): without one in the
#: segment or its header the pass does not run (one native Aho-Corasick pass over the
#: segment's Latin-1 bytes, shared with the other detectors).
#: Birth-date labels come first (``_BIRTH_TRIGGERS`` of them): alone they matter only
#: for a date at the end of a segment (a vertical form continues in the next one).
TRIGGERS = (
    "ødselsdato",
    "ØDSELSDATO",
    "ødselsdag",
    "ødt",
    "ØDT",
    "ødd",
    "ØDD",
    "ersonn",
    "ERSONN",
    "ers.nr",
    "ERS.NR",
    "pnr",
    "Pnr",
    "PNR",
    "ndivid",
    "NDIVID",
)

_BIRTH_TRIGGERS = 7
#: Leftmost-first matching lets the automaton skip ahead with its prefilter (some 30×
#: faster here than the standard, overlapping-capable kind); no two labels overlap.
_TRIGGER_AC = _ac.BytesAhoCorasick(
    [t.encode("latin-1") for t in TRIGGERS],
    matchkind=_ac.MatchKind.LeftmostFirst,
    implementation=_ac.Implementation.DFA,
)

#: A number field: 6 digits (ddmmyy), a date (dd.mm.yy, dd.mm.yyyy, with . - or /),
#: or a 4-6 digit run; never part of a longer number. Matched on the segment's
#: Latin-1 bytes with every ASCII digit mapped to ``0`` (``_DIGIT_CLASS``): the pattern
#: then starts with a literal, which the engine finds by a fast scan instead of trying
#: the look-behind at every character.
_FIELD = re.compile(
    rb"0(?<![0.,/\-]0)(?:(?P<date>0(?P<s>[./\-])00(?P=s)00(?:00)?)|(?P<run>0{3,5}))(?!0|[.,/\-]0)"
)
_DIGIT_CLASS = bytes.maketrans(b"0123456789", b"0000000000")
_DIGIT = re.compile(r"\d")
#: A run of exactly five (four or five) digits on digit-class bytes; the literal
#: comes first so the engine scans for it fast.
_LONE_FIVE = re.compile(rb"00000(?!0)(?<!000000)")
_LONE_FOUR = re.compile(rb"0000(?!0)(?<!000000)")
#: Between the two fields: no digit, at most one line break, and at most this long.
MAX_GAP = 60

#: What the gap of a plain 6-5 number holds (one space, dash or dot): that shape is
#: :mod:`.identifiers`' own.
_PLAIN_GAP = re.compile(r"[ \u00a0\u2009\u202f.\-\u2010-\u2013]?")


class Field(NamedTuple):
    """A number field: its six date digits (``ddmmyy``) or its digits, the century
    written (``19`` of 1990) or ``""``, and where it is."""

    digits: str
    century: str
    start: int
    end: int
    is_date: bool


class SplitFnr(NamedTuple):
    """A fødselsnummer joined from two fields; ``start``/``end`` are those of the
    personal-number field (the date may be in the segment before)."""

    value: str
    variant: str
    confidence: str
    start: int
    end: int


def _level(found: list[tuple[int, int, int]]) -> int:
    """``triggered``'s answer for these trigger matches."""
    if not found:
        return 0
    return 2 if any(i >= _BIRTH_TRIGGERS for i, _s, _e in found) else 1


@lru_cache(maxsize=1)
def _context_level(context: str) -> int:
    """``_level`` of a segment context's trigger matches. Every row of a table has the
    same context (its header): its level is kept from the row before."""
    return _level(_TRIGGER_AC.find_matches_as_indexes(context.encode("latin-1", "replace")))


def triggered(segment: Segment) -> int:
    """What labels may be in view: 2 a personal-number label, 1 only a birth-date
    label, 0 none (then only a birth date left by the previous segment matters).

    The level is the higher of the text's and the context's (:func:`_context_level`):
    when the context's already is 2 the row's text need not be searched."""
    level = _context_level(segment.context) if segment.context else 0
    if level == 2:
        return 2
    return max(level, _level(_TRIGGER_AC.find_matches_as_indexes(latin1(segment.text))))


def _fields(text: str, classes: bytes | None = None) -> list[Field]:
    """The number fields of ``text``, found on its digit-class bytes ``classes`` (made
    here when not given: a piece of the segment is encoded apart, so that the Latin-1
    bytes the detectors share stay the segment's)."""
    if classes is None:
        classes = text.encode("latin-1", "replace").translate(_DIGIT_CLASS)
    return [_field(text, m) for m in _FIELD.finditer(classes)]


#: ``Field(...)`` without the named tuple's Python-level ``__new__`` (a field is made
#: for every 4-6 digit number of a segment the form pass reads).
_new_field = tuple.__new__


def _field(text: str, m: re.Match[bytes], shift: int = 0) -> Field:
    """The field of ``_FIELD`` match ``m`` on ``text``, its span moved by ``shift``."""
    a, b = m.span()
    if m.group("date"):
        raw = text[a:b]
        yy = raw[6:]
        return _new_field(Field, (raw[:2] + raw[3:5] + yy[-2:], yy[:-2], a + shift, b + shift, True))  # type: ignore[no-any-return]
    return _new_field(Field, (text[a:b], "", a + shift, b + shift, False))  # type: ignore[no-any-return]


def _field_ending_line(text: str, cut: int, end: int) -> Field | None:
    """The last field of the line ``text[cut:end]`` (as ``_fields`` of that line finds
    it, in the segment's offsets) when it ends the line, else None.

    ``find_split`` asks this of every segment whose last line ends in a digit (every
    row of a register) to keep a birth date for the next segment; only a field that
    ends the line can be kept (see :func:`_keep_birth_date`), so the fields before it
    are not built. The line's bytes are cut from the segment's shared Latin-1 bytes
    (one byte per character, so the same bytes as encoding the line apart)."""
    last = None
    for m in _FIELD.finditer(latin1(text)[cut:end].translate(_DIGIT_CLASS)):
        last = m
    if last is None or last.end() != end - cut:
        return None
    return _field(text[cut:end], last, cut)


def _label(segment: Segment, pos: int) -> str | None:
    """The class (fnr/konto/neg) of the label of the field at ``pos``: the nearest
    context word on its line before it, else its column header."""
    text = segment.text
    line_start = text.rfind("\n", 0, pos) + 1
    found = context_matches(text, max(line_start, pos - 40), pos)
    if found:
        return found[-1][0]
    if segment.context:
        col = column_of(text, pos, segment.context)
        head = col if col is not None else header_for(text, pos, segment.context)
        if head:
            return classify_words(head)
    return None


def _from_header(segment: Segment, pos: int) -> bool:
    """The field at ``pos`` sits under a column header that names an fnr field."""
    if not segment.context:
        return False
    col = column_of(segment.text, pos, segment.context)
    return col is not None and classify_words(col) == "fnr"


def _date_part(segment: Segment, f: Field) -> str | None:
    """The six date digits of a birth-date field, or None."""
    if f.is_date:
        return f.digits
    n = len(f.digits)
    if n == 6:
        return f.digits
    if n == 5 and _from_header(segment, f.start):
        return "0" + f.digits  # a spreadsheet number that lost its leading zero
    return None


def _person_part(segment: Segment, f: Field) -> str | None:
    """The five digits of a personal-number field, or None."""
    if f.is_date:
        return None
    n = len(f.digits)
    if n == 5:
        return f.digits
    if n == 4 and _from_header(segment, f.start):
        return "0" + f.digits
    return None


def _join(date6: str, century: str, pnr: str) -> tuple[str, str] | None:
    """The joined number and its variant when it is a valid, strict fødselsnummer
    whose birth date is the date written (and its century, when written)."""
    value = date6 + pnr
    if not mod11_ok(value):
        return None
    info = classify_checked(value)
    if info is None or info.variant != "fnr" or not is_strict(info):
        return None
    if century and info.birth is not None and str(info.birth.year)[:2] != century:
        return None
    return value, info.variant


def _gap_ok(text: str, a: int, b: int) -> bool:
    gap = text[a:b]
    if len(gap) > MAX_GAP or gap.count("\n") > 1 or _PLAIN_GAP.fullmatch(gap):
        return False
    return _DIGIT.search(gap) is None


def find_split(segment: Segment, doc: DocState, classes: bytes | None = None) -> Iterator[SplitFnr]:
    """Fødselsnummer written as a birth date and a personal number in two fields of
    ``segment``, or with the date as the last field of the segment before (a vertical
    form's previous row or paragraph: kept in ``doc``). ``classes``: the segment's
    Latin-1 bytes with every digit as ``0`` (the identifier detector's), if at hand.

    Cheap for most segments: without a run of five digits (every personal-number
    field and every pair needs one) or without a personal-number label in view
    (:func:`triggered`), only the segment's last line is looked at, for a labelled
    birth date that a vertical form's next field may complete."""
    text = segment.text
    pending = doc.pop("_form_birth_date", None)
    if classes is None:
        classes = latin1(text).translate(_DIGIT_CLASS)
    # A personal number is a lone run of five digits, or of four in a spreadsheet
    # column under its header (a lost zero); a year or an amount of four digits, or a
    # longer number, is not looked at.
    run = _LONE_FIVE.search(classes) is not None or (
        bool(segment.context) and _LONE_FOUR.search(classes) is not None
    )
    if pending is None and (not run or triggered(segment) < 2):
        end = len(text)
        while end and text[end - 1].isspace():
            end -= 1
        cut = text.rfind("\n", 0, end) + 1
        if end - cut >= 6 and text[end - 1].isdigit():  # a date ends the line
            # (A last field that stops before the line's final digit has that digit
            # after it, so _keep_birth_date would not keep it: such a field is not built.)
            last = _field_ending_line(text, cut, end)
            if last is not None:
                _keep_birth_date(segment, last, doc)
        return
    fields = _fields(text, latin1(text).translate(_DIGIT_CLASS))
    if not fields:
        return
    first = fields[0]
    if pending is not None and _DIGIT.search(text, 0, first.start) is None:
        pnr = _person_part(segment, first)
        if pnr is not None and _label(segment, first.start) == "fnr":
            joined = _join(pending[0], pending[1], pnr)
            if joined is not None:
                yield SplitFnr(joined[0], joined[1], "high", first.start, first.end)
    for d, p in zip(fields, fields[1:], strict=False):
        # What the field shapes alone rule out, then the gap, before anything that reads
        # a column header (all pure tests: their order does not change the pairs kept).
        if p.is_date or not 4 <= len(p.digits) <= 5 or (not d.is_date and not 5 <= len(d.digits) <= 6):
            continue  # _person_part or _date_part would say None
        if not _gap_ok(text, d.end, p.start):
            continue
        date6 = _date_part(segment, d)
        if date6 is None:
            continue
        pnr = _person_part(segment, p)
        if pnr is None:
            continue
        label_p = _label(segment, p.start)
        if label_p in ("neg", "konto"):
            continue
        label_d = _label(segment, d.start)
        if label_d != "fnr" and label_p != "fnr":
            continue
        joined = _join(date6, d.century, pnr)
        if joined is not None:
            conf = "high" if label_d == label_p == "fnr" else "medium"
            yield SplitFnr(joined[0], joined[1], conf, p.start, p.end)
    _keep_birth_date(segment, fields[-1], doc)


def _keep_birth_date(segment: Segment, last: Field, doc: DocState) -> None:
    """Keep a labelled birth date that ends the segment for the next segment."""
    # The cheap test first (it fails for every field with more of the row after it):
    # the three tests are pure, so their order does not change the answer.
    if segment.text[last.end :].strip(" \t\r\n|:"):
        return
    date6 = _date_part(segment, last)
    if date6 is not None and _label(segment, last.start) == "fnr":
        doc["_form_birth_date"] = (date6, last.century)
