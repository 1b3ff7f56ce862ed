"""Fødselsnummer family, kontonummer/IBAN, e-mail addresses and phone numbers.

One compiled ``regex`` pass per segment finds every candidate shape at once; check
digits run before any context work (only ~1 in 11 random digit runs survives the cheap
mod-11 test), and only survivors look at the words around them.

Shapes: ``01019012345``, ``010190 12345`` (space, NBSP, thin space, dash, en dash, dot or
a line break between the groups), ``01.01.90 12345``, ``1234.56.78903``,
``1234 56 78903`` (the last group may wrap to the next line in a narrow PDF
table column), ``NO93 8601 1117 947``, and a 10-digit run where a spreadsheet lost a
leading zero. A candidate never starts or ends inside a longer digit run, or one joined
by ``. - / ,`` to another digit (``21/02760-1``, ``12.345.678.901``).

The fødselsnummer and kontonummer checksums overlap (every fødselsnummer passes the
account rule), so the *shape* and the *nearest label* decide the type: a 4-2-5 grouping
or an account word makes it a kontonummer, a 6-5 grouping or an fnr word a fødselsnummer;
a bare run valid as both is a fødselsnummer with ``alt_type="kontonummer"``.

Beyond single runs: a birth date and a personal number in two fields of a form
(:mod:`.forms`); a 10-digit cell that lost its leading zero under an account header is
an account. Two document-level rules lower bare, unlabelled fødselsnummer to ``low``:
the column density rule (a column or list of 11-digit numbers most of which fail the
fødselsnummer checks holds references, not people: the few that pass by chance are
not people either, as OS2datascanner also reasons), and source code (a digit run in a
constant of a program needs a label to count).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable
from dataclasses import replace

import regex

from pvscan.identity.numbers import classify_checked, iban_no_ok, is_strict, mod11_ok
from pvscan.interfaces import Detector, DocState
from pvscan.model import Finding, Segment, Settings

from .context import (
    NEG_REACH,
    WINDOW_BEFORE,
    classify_words,
    column_of,
    context_matches,
    header_for,
    latin1,
    lower_latin1_window,
    nearest_context,
)
from .forms import find_split

_SP = r"[ \u00a0\u2009\u202f]"
_DASH = r"[\-\u2010\u2011\u2012\u2013]"
#: Between the 6 and 5 groups of a fødselsnummer: one separator, or a line break.
_SEP65 = rf"(?:{_SP}?{_DASH}{_SP}?|{_SP}|\.|[ \t]*\r?\n[ \t]*|{_DASH}\r?\n)?"

CANDIDATES = re.compile(
    rf"""
    (?P<iban>(?<![\w])[Nn][Oo]\d\d(?:{_SP}?\d){{11}}(?!\d))
    |(?<!\d)(?<!\d[./\-\u2013])(?:
        (?P<k425>\d{{4}}(?P<ks>[.{_SP[1:-1]}\-])\d\d(?:(?P=ks)|[ \t]*\r?\n[ \t]*)\d{{5}})
       |(?P<d3>\d\d\.\d\d\.\d\d{_SP}?[ \-]{_SP}?\d{{5}})
       |(?P<f65>\d{{6}}{_SEP65}\d{{5}})
       |(?P<d10>\d{{10}})
       |(?P<tel>(?:(?:\+|00)47{_SP}?)?(?:[2-9]\d{{7}}|[2-9]\d\d{_SP}\d\d{_SP}\d{{3}}|[2-9]\d(?:{_SP}\d\d){{3}}))
    )(?!\d)(?![./\-\u2013]\d)
    """,
    re.VERBOSE,
)
# \d{11} is covered by f65 with an empty separator.

#: Cheap first pass: runs of at least 8 digits-or-separators (every shape above needs 8+
#: digits). CANDIDATES then runs only inside these clusters, so ordinary prose costs one
#: character-class scan. The optional "+"/"NO" prefix is picked up by starting the
#: candidate search a few characters earlier. (A cluster starts at a run's first digit:
#: the ``(?<!\d)`` only spares the engine retrying inside a run too short to be one.)
CLUSTERS = regex.compile(r"(?<!\d)\d[\d \u00a0\u2009\u202f.\-\u2010-\u2013\r\n\t]{6,}\d")


def _byte_classes() -> bytes:
    """A ``bytes.translate`` table over Latin-1 giving each character its part in a
    cluster: ``0`` a digit (and ``?``, see below), `` `` a space (``_CORE``'s kind of
    separator), ``-`` any other CLUSTERS separator Latin-1 holds, ``p`` what makes a
    run not plain before it (``+``, ``O``, ``o``), ``/`` itself, ``x`` anything else.
    (Every ``\\d`` of the ``re``/``regex`` engines in Latin-1 is ASCII.)"""
    table = bytearray(b"x" * 256)
    table[ord("0") : ord("9") + 1] = b"0" * 10
    table[ord("?")] = ord("0")
    for chars, cls in ((" \u00a0", " "), (".-\r\n\t", "-"), ("+Oo", "p"), ("/", "/")):
        for c in chars:
            table[ord(c)] = ord(cls)
    return bytes(table)


_BYTE_CLASSES = _byte_classes()

#: CLUSTERS over the class bytes. A match is a stretch from the first digit of a
#: maximal run of digits and separators to its last digit, 8 characters or more: where
#: the bytes are exact (no ``?``), exactly one cluster; else one that holds whole every
#: cluster it overlaps. A plain cluster (no ``p`` or ``/`` before, no ``/`` after) is
#: named by its shape when it is one bare run (``bare``), a 4-2-5 account (``k425``),
#: a 6-5 number (``f65``), a spaced 3-2-3 or 2-2-2-2 phone (``tel``) or long runs side
#: by side (``runs``, see _long_runs); iter_candidates decides these without
#: CANDIDATES (where the separator or first digit is one CANDIDATES takes). The literal ``0`` first lets the engine skip ahead to the
#: next digit instead of trying the pattern everywhere, the look-ahead right after it
#: turns a short number (a date, an amount) away before any shape is tried, and the
#: possessive quantifiers spare backtracking into a run that cannot end the cluster.
_BYTE_CLUSTERS = re.compile(
    rb"""
    0(?=[0 -]{6,}0)
    (?:
        (?<![p/]0)
        (?:(?P<bare>0{7,}+)|(?P<k425>000[ -]00[ -]0{5})|(?P<f65>0{5}[ -]0{5})|(?P<tel>00\ 00\ 000|0\ 00\ 00\ 00)
          |(?P<runs>0{6,}+(?:[ -]++0{7,}+)++))
        (?![ -]*0|/)
      | [0 -]{6,}0
    )
    """,
    re.VERBOSE,
)

#: The candidate kind of a plain bare run of ASCII digits by its length (see
#: _bare_run), with ``_BARE_CHECK`` where the digits decide.
_BARE_CHECK = "?"
_BARE_BY_LENGTH = {8: _BARE_CHECK, 10: "d10", 11: "f65", 12: _BARE_CHECK}


#: Every CANDIDATES shape holds five digits in a row or two digits with a space between
#: (a spaced phone or IBAN): a cluster with neither (12.03.2024, 2019-2023) holds none.
_CORE = re.compile(r"\d{5}|\d[ \u00a0\u2009\u202f]\d")

#: A candidate as (kind, start, end); kind is a CANDIDATES group name (``k425`` also
#: for its separator group).
Cand = tuple[str, int, int]

#: What CANDIDATES makes of a bare ASCII digit run, by its length, when nothing before
#: it can start a longer shape: 8 digits a phone (first digit 2-9), 10 a fødselsnummer
#: that lost its leading zero, 11 a fødselsnummer or account, 12 a phone after 0047.
_BARE_KIND = {10: "d10", 11: "f65"}
_TEL_FIRST = frozenset("23456789")


def _bare_run(run: str) -> str | None:
    """The candidate kind of a whole bare run (see _BARE_KIND), or None."""
    n = len(run)
    kind = _BARE_KIND.get(n)
    if kind is not None:
        return kind
    if n == 8:
        return "tel" if run[0] in _TEL_FIRST else None
    if n == 12 and run.startswith("0047") and run[4] in _TEL_FIRST:
        return "tel"
    return None


#: Separators of the 4-2-5 account shape ``1234.56.78903``.
_K425_SEPS = frozenset(". -\u00a0\u2009\u202f")


def _k425_run(run: str) -> bool:
    """``run`` is exactly one 4-2-5 account number with one kind of separator."""
    s = run[4]
    return (
        s == run[7]
        and s in _K425_SEPS
        and run[:4].isdigit()
        and run[5:7].isdigit()
        and run[8:].isdigit()
        and run.isascii()
    )


#: The one separator of a 6-5 cluster that makes it a CANDIDATES ``f65``: one of
#: ``_SEP65``'s single characters (space, NBSP, dash, dot, line break; not a tab).
_F65_SEPS = frozenset(" \u00a0-.\n")

#: A cluster with fewer than 11 digits can hold only a phone (8 digits in a row, or
#: 3-2-3 or 2-2-2-2 with single spaces, after an optional 47 prefix) or a 10-digit
#: run: every other shape has 11 digits or more. On class bytes, what each of those
#: holds.
_SHORT_CORE = re.compile(rb"0{8}|000 00 000|00 00 00 00")

_RUN = re.compile(r"\d+")
#: Only these join two digit runs into one ``(?<!\d[./\-\u2013])`` /
#: ``(?![./\-\u2013]\d)`` would reject (``12.345.678.901``, ``21/02760-1``).
_JOINERS = "./-\u2013"


def _long_runs(text: str, a: int, b: int) -> list[Cand] | None:
    """The candidates of the plain cluster ``text[a:b]`` when all its digit runs are
    ASCII and at least 7 long (a register row of numbers side by side); else None.

    Every shape made of several runs has a run of at most 6 digits (4-2-5, 6-5,
    dd.dd.dd 5, spaced phones, the ``0047``/``47`` of a phone prefix), so each such run
    is a candidate only alone, as :func:`_bare_run` says, unless a joiner next to it
    ties it to another run. This spares CANDIDATES, which tries its whole
    alternation at every character of the cluster."""
    runs = [m.span() for m in _RUN.finditer(text, a, b)]
    if any(e - s < 7 for s, e in runs):
        return None
    if not text[a:b].isascii() and not all(text[s:e].isascii() for s, e in runs):
        return None
    out: list[Cand] = []
    for s, e in runs:
        kind = _run_kind(text, s, e)
        if kind is None:
            continue
        if s >= 2 and text[s - 1] in _JOINERS and text[s - 2].isdecimal():
            continue
        if e + 1 < len(text) and text[e] in _JOINERS and text[e + 1].isdecimal():
            continue
        out.append((kind, s, e))
    return out


def _iban_prefix(text: str, a: int) -> bool:
    r"""``NO`` (any case) right before ``a``, not inside a word (CANDIDATES' ``iban``
    start: ``(?<![\w])[Nn][Oo]``; ``re``'s ``\w`` is ``isalnum`` or ``_``)."""
    if a < 2 or text[a - 2] not in "Nn" or text[a - 1] not in "Oo":
        return False
    return a == 2 or not (text[a - 3].isalnum() or text[a - 3] == "_")


def _run_kind(text: str, s: int, e: int) -> str | None:
    """``_bare_run(text[s:e])`` for an ASCII digit run, mostly told by its length alone
    (it runs for every long number in a register)."""
    kind = _BARE_BY_LENGTH.get(e - s)
    return _bare_run(text[s:e]) if kind is _BARE_CHECK else kind


#: The class bytes of the last text iter_candidates saw (the form pass's gate reuses
#: them: ``is`` the very same segment text).
_last_classes: tuple[str, bytes] = ("", b"")


def iter_candidates(text: str) -> list[Cand]:
    """All candidates of ``text`` (shared by the identifier and contact detectors).

    The clusters are found on the class bytes of the text (see ``_BYTE_CLUSTERS``):
    the regex engines would try CLUSTERS at every character of a segment, which in a
    register costs as much as the whole bare ``\\d{11}`` scan, while the Latin-1
    bytes (``?`` for anything else, so offsets stay the same) mapped by
    ``bytes.translate`` are searched several times faster. A match without a ``?`` is
    exactly a cluster: a plain bare run is decided by its length at once (a
    candidate never starts or ends inside a digit run), and one without a shape's
    core (``_CORE``: a date, an amount) is dropped on the class bytes. A match with a
    ``?`` is split into its clusters by running CLUSTERS on it. Every other cluster
    goes through :func:`_cluster_candidates`."""
    global _last_classes
    raw = latin1(text)
    exact = b"?" not in raw
    data = raw.translate(_BYTE_CLASSES)
    _last_classes = (text, data)
    out: list[Cand] = []
    pos = 0
    for m in _BYTE_CLUSTERS.finditer(data):
        a, b = m.span()
        if not exact and raw.find(b"?", a, b) >= 0:
            for c in CLUSTERS.finditer(text, a, b):
                pos = _cluster_candidates(text, *c.span(), pos, out)
            continue
        shape = m.lastgroup
        if shape == "bare":
            # _run_kind inlined: this runs for every long number in a register
            kind = _BARE_BY_LENGTH.get(b - a)
            if kind is _BARE_CHECK:
                kind = _bare_run(text[a:b])
            if kind is not None:
                out.append((kind, a, b))
                pos = b
            continue
        if shape == "k425" and _k425_run(text[a:b]):
            out.append(("k425", a, b))
            pos = b
            continue
        # A plain 6-5 cluster or spaced phone is one candidate (every CANDIDATES shape
        # tried before it at the cluster's start needs a separator or digit elsewhere;
        # no match can start before a plain cluster, nor go on after it).
        if shape == "f65" and text[a + 6] in _F65_SEPS:
            out.append(("f65", a, b))
            pos = b
            continue
        if shape == "tel" and text[a] in _TEL_FIRST:
            out.append(("tel", a, b))
            pos = b
            continue
        if shape == "runs":
            long_runs = _long_runs(text, a, b)
            if long_runs is not None:
                out.extend(long_runs)
                if long_runs:
                    pos = long_runs[-1][2]
                continue
        if data.find(b"00000", a, b) < 0 and data.find(b"0 0", a, b) < 0:
            continue  # no _CORE
        digits = data.count(b"0", a, b)
        if digits < 11 and (digits < 8 or _SHORT_CORE.search(data, a, b) is None):
            continue  # too few digits for any shape (a row's last number and the next row's first)
        if digits == 13 == b - a and _iban_prefix(text, a):
            # A Norwegian IBAN written without spaces (NO9386011117947): CANDIDATES'
            # first alternative, and nothing else can start in the four characters
            # before the run (too few for any shape) nor in the run (a look-behind for
            # a digit), nor end after it.
            out.append(("iban", a - 2, b))
            pos = b
            continue
        pos = _cluster_candidates(text, a, b, pos, out)
    return out


def _cluster_candidates(text: str, a: int, b: int, pos: int, out: list[Cand]) -> int:
    """Add the candidates of the cluster ``text[a:b]`` to ``out``; return where the
    last candidate so far ends (``pos``: no candidate starts before it).

    A cluster that is one bare ASCII digit run is decided by its length without
    running CANDIDATES (a candidate never starts or ends inside a digit run, so the run
    is a candidate only as a whole), and so is a cluster that is exactly one
    ``1234.56.78903``; runs after ``+``, ``O`` (``NO`` of an IBAN) or next to ``/``
    take the full pattern. Other clusters run CANDIDATES only when they hold a
    shape's core (``_CORE``), and not when they are long runs side by side (see
    :func:`_long_runs`)."""
    run = text[a:b]
    n = len(text)
    plain = (a == 0 or text[a - 1] not in "+Oo/") and (b == n or text[b] != "/")
    if plain:
        if run.isdigit() and run.isascii():
            kind = _bare_run(run)
            if kind is not None:
                out.append((kind, a, b))
                return b
            return pos
        if b - a == 13 and _k425_run(run):
            out.append(("k425", a, b))
            return b
    if _CORE.search(run) is None:
        return pos  # a date, an amount, a short reference: no shape fits
    if plain:
        long_runs = _long_runs(text, a, b)
        if long_runs is not None:
            out.extend(long_runs)
            return long_runs[-1][2] if long_runs else pos
    for m in CANDIDATES.finditer(text, max(pos, a - 4), min(n, b + 2)):
        kind = m.lastgroup
        out.append(("k425" if kind == "ks" else kind, m.start(), m.end()))  # type: ignore[arg-type]
        pos = m.end()
    return pos


def shared_candidates(text: str, doc: DocState) -> list[Cand]:
    """``iter_candidates(text)``, computed once per segment for whichever of the
    identifier and contact detectors runs first."""
    cached = doc.get("_candidates")
    if cached is not None and cached[0] is text:
        return cached[1]
    cands = iter_candidates(text)
    doc["_candidates"] = (text, cands)
    return cands


EMAIL = regex.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})*\.[A-Za-z]{2,24}(?![\w-])")
_TEL_WORDS = re.compile(r"(?i)(?<!\w)(?:tlf|telefon\w*|mobil\w*|mob|tel|phone|ring)(?!\w)")

#: Literal cores of _TEL_WORDS: without one in view the pattern need not run.
_TEL_CORES = ("tlf", "tel", "mob", "phone", "ring")


#: Where a _TEL_WORDS match can start in a lower-cased window: one search for all
#: cores is cheaper than a ``find`` per core (for the window as text and as bytes).
_TEL_CORE = re.compile("|".join(_TEL_CORES))
_TEL_CORE_BYTES = re.compile("|".join(_TEL_CORES).encode())


def _tel_word_before(text: str, s: int) -> bool:
    """A phone word in the 40 characters before ``s`` (``_TEL_WORDS.search`` there,
    run only when a literal core of it is in view).

    This runs for every phone number, and a case-insensitive search that starts with a
    look-behind is tried at every character; a match starts with a core, though, so
    the pattern is tried only where the lower-cased window has one. (The exception:
    ``(?i)`` also reads ``ı`` and ``İ`` as ``i``, so ``rıng`` needs the search; the
    bytes of a window that is all Latin-1 hold neither.)"""
    lo = max(0, s - 40)
    low = lower_latin1_window(text, lo, s)
    if low is not None:
        return _tel_word_at_core(text, lo, s, low, _TEL_CORE_BYTES)
    raw = text[lo:s]
    window = raw.lower()
    if _TEL_CORE.search(window) is None:
        return False
    if "\u0131" in raw or "\u0130" in raw:  # İ also makes window longer than raw
        return _TEL_WORDS.search(text, lo, s) is not None
    return _tel_word_at_core(text, lo, s, window, _TEL_CORE)


def _tel_word_at_core(text: str, lo: int, s: int, window: str | bytes, cores: re.Pattern) -> bool:
    """``_TEL_WORDS`` matches ``text`` before ``s`` at a core of the lower-cased
    ``window`` (which starts at ``lo``)."""
    core = cores.search(window)
    while core is not None:
        i = core.start()
        if _TEL_WORDS.match(text, lo + i, s) is not None:
            return True
        core = cores.search(window, i + 1)
    return False


#: Words that put an H-number or FH-number into health context.
_HEALTH_CTX = regex.compile(
    r"(?i)(?<!\w)(?:pasient\w*|journal\w*|helse\w*|sjukehus\w*|sykehus\w*|lege\w*|hjelpenummer|"
    r"heimeteneste\w*|hjemmetjeneste\w*|pleie\w*|omsorg\w*|brukar\w*|bruker\w*|epikrise\w*)(?!\w)"
)

_DIGITS = str.maketrans("", "", " \u00a0\u2009\u202f.-\u2010\u2011\u2012\u2013\r\n\t")


def _digits(s: str) -> str:
    return s.translate(_DIGITS)


def with_table_header(segment: Segment, doc: DocState) -> Segment:
    """A delimited table in a plain .txt export or a PDF has its header row only in the
    first segment: remember it in ``doc`` and give it as context to later segments.
    ``replace`` keeps the segment's type, so a row's per-cell locations survive."""
    if segment.context:
        return segment
    header = _header_row(segment.text)
    if header is not None:
        doc["id_table_header"] = header
    if "id_table_header" in doc:
        return replace(segment, context=doc["id_table_header"])
    return segment


class IdentifierDetector(Detector):
    """Fødselsnummer (F, D, H, FH, synthetic, 2032 rule) and kontonummer/IBAN."""

    id = "no_identifiers"
    version = "1"
    types = ("fodselsnummer", "kontonummer")
    description = {
        "nb": "Fødselsnummer, D-, H- og FH-nummer og testnummer (kontrollsiffer, dato, 2032-regler) og kontonummer/IBAN, med kontekstord",
        "nn": "Fødselsnummer, D-, H- og FH-nummer og testnummer (kontrollsiffer, dato, 2032-reglar) og kontonummer/IBAN, med kontekstord",
        "en": "Norwegian national identity numbers (F, D, H, FH, synthetic, 2032 rules) and bank accounts/IBAN, with context words",
    }

    def __init__(self, settings: Settings | None = None, today: _dt.date | None = None):
        self.today = today or _dt.date.today()
        self._memo: tuple[str, dict[int, bool]] | None = None

    def _header_memo(self, text: str) -> dict[int, bool]:
        """The table-header memo of the segment ``text`` (a new one for a new text)."""
        memo = self._memo
        if memo is None or memo[0] is not text:
            memo = self._memo = (text, {})
        return memo[1]

    # -------------------------------------------------------------- context
    def _context(self, seg: Segment, start: int, end: int) -> tuple[str | None, bool]:
        """(keyword class, came from a column header).

        In a delimited table row the column header decides; elsewhere the nearest label
        in the text, and only without one a short header (a spreadsheet column title).
        """
        if seg.context:
            col = column_of(seg.text, start, seg.context)
            if col is not None:
                cls = classify_words(col)
                if cls is not None:
                    return cls, True
        near = nearest_context(seg.text, start, end)
        if near is not None or not seg.context:
            return near, False
        head = header_for(seg.text, start, seg.context)
        cls = classify_words(head) if head else None
        if cls == "neg" and _has_words_before(seg.text, start):
            # A distractor in a title ("Journalnotat – Telefonsamtale") is a label only
            # for a value standing alone under it (a sheet cell, a form field), as an
            # in-text distractor counts only right before the value on its line.
            return None, False
        return cls, cls is not None

    # -------------------------------------------------------------- detection
    def detect(self, segment: Segment, doc: DocState) -> Iterable[Finding]:
        text = segment.text
        out: list[Finding] = []
        segment = with_table_header(segment, doc)
        runs: list[tuple[int, Finding | None]] = []  # bare 11-digit runs, for finish
        for kind, s, e in shared_candidates(text, doc):
            if kind == "tel":
                continue  # phones are the ContactDetector's; matched here so they never feed an fnr
            f = self._candidate(kind, s, e, segment)
            if f is not None:
                out.append(f)
            if kind == "f65" and e - s == 11:
                runs.append((s, f))
        if runs:
            _count_columns(runs, segment, doc)
        seen: set[str] | None = None
        classes = _last_classes[1] if _last_classes[0] is text else None
        for x in find_split(segment, doc, classes):
            if seen is None:
                seen = {f.value for f in out}
            if x.value not in seen:
                out.append(
                    Finding(
                        "fodselsnummer",
                        x.value,
                        confidence=x.confidence,
                        variant=x.variant,
                        start=x.start,
                        end=x.end,
                    )
                )
        return out

    # -------------------------------------------------------------- document rules
    def finish(self, doc: DocState) -> Iterable[Finding]:
        """Lower to ``low`` the unlabelled fødselsnummer that sit in a column or list of
        11-digit numbers most of which fail the checks (payment references, invoice
        numbers: a few pass by chance), or in source code."""
        pending = doc.get("_id_unlabelled")
        if not pending:
            return ()
        cols = doc["_id_columns"]
        for f, key, code in pending:
            total, valid = cols[key]
            if code or (total >= DENSITY_MIN and valid * 2 < total):
                f.confidence = "low"
        return ()

    def _candidate(self, kind: str, s: int, e: int, seg: Segment) -> Finding | None:
        raw = seg.text[s:e]
        if kind == "iban":
            digits = _digits(raw[2:])
            acct = digits[2:]
            if not mod11_ok(acct):
                return None
            conf = "high" if iban_no_ok("NO" + digits) else "medium"
            return Finding("kontonummer", acct, confidence=conf, start=s, end=e)
        digits = raw if e - s == 11 else _digits(raw)
        if kind == "d10":
            return self._ten(digits, seg, s, e)
        if len(digits) != 11 or not mod11_ok(digits):
            return None  # k2 and the account check digit are the same test: cheap reject
        info = classify_checked(digits)
        ctx, from_header = self._context(seg, s, e)
        if kind == "k425":
            conf = "high" if ctx == "konto" else "low" if ctx == "neg" else "medium"
            alt = "fodselsnummer" if info is not None and info.variant in ("fnr", "dnr") else None
            return Finding("kontonummer", digits, confidence=conf, alt_type=alt, start=s, end=e)
        bare = kind == "f65" and len(raw) == 11
        if info is None:
            if not bare:
                return None
            if ctx == "konto":
                conf = "high"
            elif ctx is None and _konto_word_before(seg.text, s, self._header_memo(seg.text)):
                conf = "medium"  # a table whose "Kontonr" header is a few lines up (PDF)
            else:
                conf = "low"
            return Finding("kontonummer", digits, confidence=conf, start=s, end=e)
        if bare and ctx == "konto" and (from_header or not self._fnr_label_wins(seg.text, s)):
            return Finding("kontonummer", digits, confidence="high", alt_type="fodselsnummer", start=s, end=e)
        if bare and ctx is None and info.variant in ("fnr", "dnr", "syntetisk") and not is_strict(info):
            if _konto_word_before(seg.text, s, self._header_memo(seg.text)):
                # Valid only as a test or 2032-rule number or with an odd century, which
                # needs a label, and an account column or label is in view: an account.
                # (H and FH numbers keep their health-context rule.)
                return Finding(
                    "kontonummer", digits, confidence="medium", alt_type="fodselsnummer", start=s, end=e
                )
        conf = self._fnr_confidence(info, ctx, seg.text, s, e)
        return Finding(
            "fodselsnummer",
            digits,
            confidence=conf,
            variant=info.variant,
            alt_type="kontonummer" if bare else None,
            start=s,
            end=e,
        )

    def _fnr_label_wins(self, text: str, s: int) -> bool:
        """A bare run valid as both types, after an account word, stays a fødselsnummer
        when an fnr label is also near and the account word is not right before it
        (a PDF table row under "Fødselsnr … Kontonr")."""
        lo = max(0, s - 2 * WINDOW_BEFORE)
        last_konto = None
        fnr_seen = False
        for cls, _a, b in context_matches(text, lo, s):
            if cls == "fnr":
                fnr_seen = True
            elif cls == "konto":
                last_konto = b
        if not fnr_seen or last_konto is None:
            return False
        gap = text[last_konto:s]
        return len(gap) > NEG_REACH or "\n" in gap

    def _fnr_confidence(self, info, ctx: str | None, text: str, s: int, e: int) -> str:
        if ctx == "neg":
            return "low"
        if is_strict(info):
            if info.birth is not None and info.birth > self.today:
                return "medium" if ctx == "fnr" else "low"
            return "high" if ctx == "fnr" else "medium"
        if info.variant in ("hnr", "fh"):
            if ctx == "fnr":
                return "medium"
            lo = max(0, s - 300)
            return "medium" if _HEALTH_CTX.search(text, lo, min(len(text), e + 300)) else "low"
        # 2032-rule numbers, century mismatches and synthetic test numbers need a label.
        return "medium" if ctx == "fnr" else "low"

    def _ten(self, digits: str, seg: Segment, s: int, e: int) -> Finding | None:
        """A fødselsnummer or an account number stored as a number in a spreadsheet
        lost its leading zero: an account under an account header (or label) when the
        10 digits are the whole cell or the header is the column's."""
        padded = "0" + digits
        if not mod11_ok(padded):
            return None
        info = classify_checked(padded)
        ctx, from_header = self._context(seg, s, e)
        whole_cell = seg.text.strip() == digits
        if ctx == "konto" and (from_header or whole_cell or _cell_alone(seg.text, s, e)):
            alt = "fodselsnummer" if info is not None and info.variant in ("fnr", "dnr") else None
            return Finding("kontonummer", padded, confidence="high", alt_type=alt, start=s, end=e)
        if info is None or info.variant not in ("fnr", "dnr", "hnr", "syntetisk"):
            return None
        if ctx == "fnr" and (from_header or whole_cell):
            conf = "high"
        elif whole_cell and ctx != "neg" and info.variant == "fnr" and info.century_ok:
            conf = "medium"
        else:
            return None
        return Finding("fodselsnummer", padded, confidence=conf, variant=info.variant, start=s, end=e)


#: A column needs this many bare 11-digit runs before the density rule judges it.
DENSITY_MIN = 5
_COL_DELIMS = ("|", ";", "\t")


def _count_columns(runs: list[tuple[int, Finding | None]], seg: Segment, doc: DocState) -> None:
    """Count the segment's bare 11-digit runs per column (see
    :meth:`IdentifierDetector.finish`): each as (start, what it became, None when it
    failed the checks). A column is the table's header (the segment's context, cut
    short) and the number of cell delimiters before the run on its line (the
    segment's first delimiter of ``| ; tab``); lines without delimiters (a list) are
    column -1 of their header. A fødselsnummer at ``medium`` (no fnr label: a labelled
    one is ``high``; or a weaker variant with one) is kept aside for the test, with
    whether it sits in source code."""
    text = seg.text
    head = seg.context[:120]
    delim = ""
    for d in _COL_DELIMS:  # the first one in the text (a loop: no generator per segment)
        if d in text:
            delim = d
            break
    cols = doc.get("_id_columns")
    if cols is None:
        cols = doc["_id_columns"] = {}
    for s, f in runs:
        if delim:
            key = (head, text.count(delim, text.rfind("\n", 0, s) + 1, s) or -1)
        else:
            key = (head, -1)
        c = cols.get(key)
        if c is None:
            c = cols[key] = [0, 0]
        c[0] += 1
        if f is not None and f.type == "fodselsnummer":
            c[1] += 1
            if f.confidence == "medium":
                doc.setdefault("_id_unlabelled", []).append((f, key, _looks_like_code(text, doc)))


_CODE_LINE = re.compile(
    r"""^[ \t]*(?:def |class |import |from \S+ import |return\b|if |elif |for |while |\#|//|/\*|\*|@|\}|\)|\]|[\w.\[\]'"]+\s*[+\-*/|&]?=[^=])"""
    r"""|[{};(\[,\\]\s*$""",
    re.MULTILINE,
)


def _looks_like_code(text: str, doc: DocState) -> bool:
    """Most lines of ``text`` are program code (a statement, an assignment, a line
    ending in a bracket or comma): a digit run there is a constant, not a person,
    unless a label says so. (A delimited table is not code: its lines are rows.)
    Decided once per segment."""
    memo = doc.get("_id_code")
    if memo is not None and memo[0] is text:
        return memo[1]
    lines = [ln for ln in text.splitlines() if ln.strip()]
    code = False
    if len(lines) >= 3 and not (";" in text and text.count(";") >= len(lines)):
        n = sum(1 for ln in lines if _CODE_LINE.search(ln))
        code = n * 2 > len(lines)
    doc["_id_code"] = (text, code)
    return code


def _cell_alone(text: str, s: int, e: int) -> bool:
    """The run fills its table cell (a row's cells are joined by `` | ``)."""
    before = text[max(0, s - 3) : s]
    after = text[e : e + 3]
    return (s == 0 or before.endswith(("| ", "\t", ";"))) and (
        e == len(text) or after.startswith((" |", "\t", ";"))
    )


def _has_words_before(text: str, s: int) -> bool:
    """The line holding ``s`` has letters before it."""
    line_start = text.rfind("\n", 0, s) + 1
    return any(c.isalpha() for c in text[line_start:s])


#: How far back a weak (non-adjacent) account label still counts.
KONTO_REACH = 300


def _konto_word_before(text: str, s: int, memo: dict[int, bool]) -> bool:
    """An account word within ``KONTO_REACH`` characters before ``s`` with no
    distractor word after it, or in the header line of the table ``s`` sits in
    (``memo``: see :func:`_header_line_names_konto`)."""
    konto = False
    for cls, _a, b in context_matches(text, max(0, s - KONTO_REACH), s):
        if cls == "konto":
            konto = True
        elif cls == "neg" and s - b <= NEG_REACH and "\n" not in text[b:s]:
            return False  # "KID: …" right before the number
    return konto or _header_line_names_konto(text, s, memo)


_FIVE_DIGITS = re.compile(r"\d{5}")


def _header_line_names_konto(text: str, s: int, memo: dict[int, bool]) -> bool:
    """A table whose columns are set apart by spaces only (a PDF page, a text export)
    has its header line above its rows: going up from ``s`` over rows (lines with a
    long number) to the first line without one, does that line name an account?
    A blank line ends the table.

    ``memo`` (one per segment) keeps the answer for every line end passed on the way,
    so the rows of one table are walked once, not once per number."""
    end = text.rfind("\n", 0, s)
    passed = []
    answer = False
    while end > 0:
        known = memo.get(end)
        if known is not None:
            answer = known
            break
        passed.append(end)
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        if not line.strip():
            break
        if _FIVE_DIGITS.search(line) is None:
            answer = any(cls == "konto" for cls, _a, _b in context_matches(line, 0, len(line)))
            break
        end = start - 1
    for e in passed:
        memo[e] = answer
    return answer


_HEADER_DELIMS = ("\t", ";", "|")


def _header_row(text: str) -> str | None:
    """The first line of ``text`` when it looks like a table header naming identifier
    columns (delimited, several columns, a keyword, no long digit runs)."""
    nl = text.find("\n", 0, 400)
    first = (text[:nl] if nl >= 0 else text[:400]).strip("\r\ufeff ")
    if len(first) > 300 or not first:
        return None
    for d in _HEADER_DELIMS:
        if first.count(d) >= 2:
            if regex.search(r"\d{5}", first) is None and classify_words(first) in ("fnr", "konto"):
                return first
            return None
    return None


class ContactDetector(Detector):
    """E-mail addresses and Norwegian phone numbers: low sensitivity, but they tie a
    document to a person (used by the special-category detectors)."""

    id = "no_contact"
    version = "1"
    types = ("epost", "telefon")
    description = {
        "nb": "E-postadresser og norske telefonnummer (lav sensitivitet, knyter et dokument til en person)",
        "nn": "E-postadresser og norske telefonnummer (låg sensitivitet, knyter eit dokument til ein person)",
        "en": "E-mail addresses and Norwegian phone numbers (low sensitivity; link a document to a person)",
    }

    def detect(self, segment: Segment, doc: DocState) -> Iterable[Finding]:
        text = segment.text
        out: list[Finding] = []
        segment = with_table_header(segment, doc)
        if "@" in text:
            for m in EMAIL.finditer(text):
                out.append(
                    Finding("epost", m.group(0).lower(), confidence="medium", start=m.start(), end=m.end())
                )
        for kind, s, e in shared_candidates(text, doc):
            if kind != "tel":
                continue
            raw = text[s:e]
            intl = raw.startswith(("+", "00"))
            near = _tel_word_before(text, s)
            if not near and segment.context:
                near = _TEL_WORDS.search(header_for(text, s, segment.context)) is not None
            digits = _digits(raw.lstrip("+"))
            if digits.startswith("0047"):
                digits = digits[4:]
            elif intl:
                digits = digits[2:]
            conf = "medium" if (intl or near) else "low"
            out.append(Finding("telefon", digits, confidence=conf, start=s, end=e))
        return out
