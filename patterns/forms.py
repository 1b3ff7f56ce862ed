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
_TRIGGER_AC = _ac.BytesAhoCorasick(
    [t.encode("latin-1") for t in TRIGGERS], implementation=_ac.Implementation.DFA
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


def triggered(segment: Segment) -> int:
    """What labels may be in view: 2 a personal-number label, 1 only a birth-date
    label, 0 none (then only a birth date left by the previous segment matters)."""
    ctx = segment.context
    found = _TRIGGER_AC.find_matches_as_indexes(latin1(segment.text))
    if ctx:
        found += _TRIGGER_AC.find_matches_as_indexes(ctx.encode("latin-1", "replace"))
    if not found:
        return 0
    return 2 if any(i >= _BIRTH_TRIGGERS for i, _s, _e in found) else 1


def _fields(text: str) -> list[Field]:
    out = []
    for m in _FIELD.finditer(latin1(text).translate(_DIGIT_CLASS)):
        a, b = m.span()
        if m.group("date"):
            raw = text[a:b]
            yy = raw[6:]
            out.append(Field(raw[:2] + raw[3:5] + yy[-2:], yy[:-2], a, b, True))
        else:
            out.append(Field(text[a:b], "", a, b, False))
    return out


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


def find_split(segment: Segment, doc: DocState, labels: int) -> Iterator[SplitFnr]:
    """Fødselsnummer written as a birth date and a personal number in two fields of
    ``segment``, or with the date as the last field of the segment before (a vertical
    form's previous row or paragraph: kept in ``doc``). ``labels`` is what
    :func:`triggered` said: with only a birth-date label in view, only the segment's
    last line is looked at (a date there may start a vertical form)."""
    text = segment.text
    pending = doc.pop("_form_birth_date", None)
    if labels < 2 and pending is None:
        tail = text.rstrip()
        cut = tail.rfind("\n") + 1
        fields = [f._replace(start=f.start + cut, end=f.end + cut) for f in _fields(tail[cut:])]
        if fields:
            _keep_birth_date(segment, fields[-1], doc)
        return
    fields = _fields(text)
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
        date6 = _date_part(segment, d)
        if date6 is None or not _gap_ok(text, d.end, p.start):
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
    date6 = _date_part(segment, last)
    if (
        date6 is not None
        and not segment.text[last.end :].strip(" \t\r\n|:")
        and _label(segment, last.start) == "fnr"
    ):
        doc["_form_birth_date"] = (date6, last.century)
