"""Health data and the other special categories (GDPR art. 9 and 10), child welfare.

A term list (``data/lexicon.tsv``) is compiled into one trie-shaped alternation, run on
the lower-cased segment: a term ending in ``*`` is a stem (``sjukmeld*`` finds
*sjukmeldinga*), other terms allow Norwegian inflection endings and, from six letters,
compound heads (*diabetesoppfølging*). A second, smaller pass finds strong terms as the
tail of a compound (*langtidssykmeldt*). Acronyms (ADHD, KOLS) are matched case-sensitively.
ICD-10/ICPC-2 codes count only next to a diagnosis marker: a word such as *diagnose*,
*ICD-10*, *kode*, or a phrase that says someone has the condition (*fått påvist*, *lider
av*, *behandla for*, *tilvist for*).

The lexicons are Norwegian, and many of their words are words of other languages too
(*abort*, *diagnose*, *hiv*, *romani*): a hit counts only in Norwegian text
(:mod:`pvscan.patterns.language`). Each segment with a hit is tested; a segment too
short to tell (a table cell, a one-line paragraph) takes the language of the document
(read from its first few thousand words), and Norwegian when that does not tell.

A text *about* health (a routine, a job advert, a newsletter) is not health data about a
person. So every hit records whether its sentence or table row points at a person (a
first name, a personal pronoun, an identifier) and ``finish`` reports a category only
when the linked evidence is strong enough: one strong term, or two medium ones, or a
document that holds a fødselsnummer. Unlinked hits are reported at ``low`` confidence
(dropped by the default threshold) so a user can still ask for them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import regex

from pvscan.interfaces import Detector, DocState
from pvscan.model import Finding, Segment, Settings, confidence_rank

from .context import is_word, latin1, lower_same_length
from .language import DocumentLanguage
from .language import counts as language_counts
from .language import decide as language_decide

try:  # native multi-string search; without it the full patterns scan every segment
    import ahocorasick_rs as _ac
except ImportError:  # pragma: no cover - it is a declared dependency
    _ac = None

WEIGHTS = {"strong": 2.0, "medium": 1.0, "weak": 0.5}
#: Inflection endings allowed after a whole-word term (bokmål and nynorsk).
INFLECTIONS = {
    "",
    "e",
    "en",
    "er",
    "ene",
    "et",
    "a",
    "ar",
    "ane",
    "as",
    "s",
    "t",
    "te",
    "ende",
    "ne",
    "ing",
    "inga",
    # nynorsk weak feminine plurals, past tense and passive, adjective -de
    "or",
    "one",
    "de",
    "ast",
}
TYPES = ("helse", "barnevern", "religion", "etnisitet", "fagforening", "seksualitet", "politikk", "straff")


@dataclass(frozen=True)
class Term:
    term: str
    type: str
    weight: str
    prefix: bool
    case_sensitive: bool
    tail: bool


def load_lexicon(text: str | None = None) -> list[Term]:
    if text is None:
        text = resources.files("pvscan.patterns").joinpath("data/lexicon.tsv").read_text("utf-8")
    out: list[Term] = []
    header_seen = False
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if not header_seen and cols[0] == "term":
            header_seen = True
            continue
        term, typ, weight = cols[0].strip(), cols[1].strip(), cols[2].strip()
        flags = set(cols[3].split(",")) if len(cols) > 3 and cols[3] else set()
        prefix = term.endswith("*")
        base = term.rstrip("*")
        cs = "cs" in flags
        tail = weight == "strong" and len(base) >= 6 and " " not in base and "notail" not in flags and not cs
        out.append(Term(base if cs else base.lower(), typ, weight, prefix, cs, tail))
    return out


def load_names() -> frozenset[str]:
    text = resources.files("pvscan.patterns").joinpath("data/fornavn.txt").read_text("utf-8")
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        for n in line.split():
            names.update(n.split("-"))
    return frozenset(names)


def trie_regex(words: Iterable[str]) -> str:
    """A regex alternation factored by common prefixes (fast for hundreds of terms);
    longer alternatives come first so the longest term wins."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        end = "" in node
        alts = []
        for ch in sorted(k for k in node if k):
            piece = r"\s+" if ch == " " else regex.escape(ch)
            alts.append(piece + build(node[ch]))
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if end:
            return "(?:" + body + ")?"
        return body

    return build(trie)


#: Personal pronouns: a sentence with one is about someone. "han/hun" (generic) is not.
PERSON_WORDS = (
    r"(?<![\w/])(?:[Jj]eg|[Ee]g|meg|[Mm]in|[Hh]an|[Hh]un|[Hh]o|henne|ham|honom|[Hh]ennar|[Hh]ennes|"
    r"[Ss]onen|[Ss]ønnen|[Dd]ottera|[Dd]atteren|[Dd]otter|[Mm]annen|[Kk]ona)(?![\w/])"
)
PERSON_RE = regex.compile(PERSON_WORDS)


def _expand_person_words(pattern: str) -> frozenset[str]:
    """The words PERSON_WORDS matches (``[Jj]eg`` -> Jeg, jeg)."""
    inner = pattern[pattern.index("(?:") + 3 : pattern.index(")(?!")]
    out: set[str] = set()
    for alt in inner.split("|"):
        if alt.startswith("["):
            out.update(c + alt[4:] for c in alt[1:3])
        else:
            out.add(alt)
    return frozenset(out)


#: PERSON_RE as a set: it matches exactly a whole run of ``[\w/]`` that is one of these.
PERSON_SET = _expand_person_words(PERSON_WORDS)
_PERSON_RUN = regex.compile(r"(?<![\w/])[\w/]+")
#: name_re's runs (``re`` word characters, like name_re itself).
_NAME_RUN = re.compile(r"(?<!\w)\w+")
ICD_RE = regex.compile(r"(?<![\w/.\-])[A-Z]\d\d(?:\.?\d{1,2})?(?![\w/\-])")
#: How every ICD_RE match starts (same engine, so the same ``\d``): a search for it
#: without the look-behind runs some three times faster, and most text has none.
_ICD_START = regex.compile(r"[A-Z]\d\d")
#: What puts a code near it into health context: a diagnosis word or a code system.
ICD_MARKER = regex.compile(
    r"(?i)(?<!\w)(?:diagnos\w*|hoveddiagnose|bidiagnose|dg\.?|icd(?:-?10)?|icpc(?:-?2)?|kode\w*)(?!\w)"
)
#: A phrase saying that someone has, is treated for or was referred for a condition
#: (bokmål and nynorsk): *fått påvist E11*, *lider av F41*, *behandles for J45*. It
#: counts only right before the code (``ICD_PHRASE_REACH``): "påvist" is also said of
#: faults and rooms.
_PHRASE_VERBS = (
    ("påvis", ""),
    ("lider av|lid av|led av", ""),
    ("behandles|behandlet|behandla|behandlast|behandlas", "for"),
    ("henvist|tilvist|henvises|tilvisast", "for|med"),
    ("utredes|utredet|utreda|utredast|utredning|utgreidd|utgreiing|utgreiast", "for"),
    ("sykmeldt|sjukmeldt|sjukemeldt|sjukmeld|sjukemeld", "for|med"),
)
#: The same phrases as literal pieces, for the prefilter (one space between words).
_ICD_PHRASE_CORES = tuple(
    f"{verb} {prep}" if prep else verb
    for verbs, preps in _PHRASE_VERBS
    for verb in verbs.split("|")
    for prep in (preps.split("|") if preps else [""])
)
ICD_PHRASE = regex.compile(
    r"(?i)(?<!\w)(?:påvis\w*|lider\s+av|lid\s+av|led\s+av|"
    + "|".join(r"(?:" + verbs + r")\s+(?:" + preps + ")" for verbs, preps in _PHRASE_VERBS[2:])
    + r")[\s:,]*$"
)
ICD_PHRASE_REACH = 30


@lru_cache(maxsize=1)
def context_has_marker(context: str) -> bool:
    """``ICD_MARKER.search(context)`` as a bool. Every row of a table has the same
    context (its header): the answer is kept from the row before (one entry, so a long
    paragraph given as context does not pile up)."""
    return ICD_MARKER.search(context) is not None


FNR_SHAPE = regex.compile(r"(?<!\d)\d{6}[ \-]?\d{5}(?!\d)")
#: Where a sentence (the unit a person link must share with a term) ends: sentence
#: punctuation, a blank line, or a line break before a capital (a heading, a form
#: label, a new table line; hard-wrapped prose continues in lower case).
SENT_END = regex.compile(r"[.!?](?:\s|$)|\n\s*\n|\r?\n(?=[ \t]*[A-ZÆØÅ0-9])")


# ------------------------------------------------------------------ prefilter
_MAIN, _TAIL, _CS, _ICD = 1, 2, 4, 8
_NONSPACE = re.compile(r"\S*")
#: Literal cores of ICD_MARKER (lower case): no marker, no code can count.
_ICD_CORES = ("diagnos", "dg", "icd", "icpc", "kode", *_ICD_PHRASE_CORES)


def case_variants(word: str) -> set[str]:
    """The casings a lower-case word is looked for in: each hyphen-joined part in lower
    case, upper case or capitalised (diabetes, DIABETES, Diabetes, MR-undersøkelse)."""
    opts = [{x, x.upper(), x[:1].upper() + x[1:]} for x in word.split("-")]
    return {"-".join(c) for c in itertools.product(*opts)}


class _Gate:
    """One Aho-Corasick automaton that finds every place where a lexicon pattern *could*
    match: each single-word term, each compound-tail term and each diagnosis marker in
    the casings of :func:`case_variants`, each acronym as written, and for a multi-word
    term its longest word (the place where the term would start is then found by
    stepping back over the words before it: gating on a first word such as "den" would
    stop at every "den").

    The automaton runs over the segment encoded as Latin-1 with ``?`` for anything
    else: one byte per character, so its offsets are the text's own, and no
    lower-casing or index mapping of the whole text (several times faster than
    searching the ``str``). The full patterns then run on a lower-cased copy of the few
    words at each place. A word in some other mixed casing (``DiaBetes``) is not seen;
    every casing people write is."""

    def __init__(self, terms: dict[str, Term], cs_terms: dict[str, Term]) -> None:
        kinds: dict[str, int] = {}
        #: gate word -> the lengths of the words before it, one tuple per multi-word term
        before: dict[str, set[tuple[int, ...]]] = {}

        def add(word: str, k: int) -> None:
            for v in case_variants(word):
                kinds[v] = kinds.get(v, 0) | k

        for key, t in terms.items():
            if " " in key:
                words = key.split(" ")
                i = max(range(len(words)), key=lambda j: len(words[j]))
                for v in case_variants(words[i]):
                    kinds.setdefault(v, 0)
                    before.setdefault(v, set()).add(tuple(len(w) for w in words[:i]))
            else:
                add(key, _MAIN)
            if t.tail:
                add(key, _TAIL)
        for key in cs_terms:
            kinds[key] = kinds.get(key, 0) | _CS
        for core in _ICD_CORES:
            add(core, _ICD)
        patterns = sorted(p for p in kinds if _latin1(p))
        self.kinds = [kinds[p] for p in patterns]
        self.before = [sorted(before.get(p, ())) for p in patterns]
        self.ac = _ac.BytesAhoCorasick(
            [p.encode("latin-1") for p in patterns], implementation=_ac.Implementation.DFA
        )

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """(pattern index, start, end) of every gate match in ``text``."""
        return self.ac.find_matches_as_indexes(latin1(text), overlapping=True)


def _tabular(text: str) -> bool:
    """A delimited table row or rows (CSV, TSV, ``a | b | c``)."""
    return "\t" in text or ";" in text or ("|" in text and " | " in text)  # memchr first


def _latin1(s: str) -> bool:
    try:
        s.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _start_before(text: str, q: int, lengths: tuple[int, ...]) -> int:
    """Where a multi-word term whose words before the one at ``q`` have ``lengths``
    would start: step back over white space and one word per length. -1 if it cannot."""
    j = q
    for n in reversed(lengths):
        k = j
        while k > 0 and text[k - 1].isspace():
            k -= 1
        if k == j or k - n < 0:
            return -1
        j = k - n
    return j


@dataclass
class Hit:
    """What a document holds of one term: where it was first seen, and whether any of
    its occurrences is tied to a person (all that :meth:`CategoryDetector.finish`
    asks, so later occurrences only update the flags)."""

    type: str
    term: str
    weight: str
    #: Some occurrence's sentence or row points at a person.
    linked: bool
    #: Some occurrence is a lone spreadsheet cell under a short column title.
    table_cell: bool
    #: Some occurrence is in a segment that reads as Norwegian (True), only in
    #: foreign ones (False), or only in segments too short to tell (None).
    norwegian: bool | None
    location: str
    start: int
    end: int


#: Entries kept in a detector's cache of looked-up words before it is emptied, and the
#: longest run of words kept (so the cache stays within a few MB).
_CACHE_MAX = 20_000
#: Characters on each side of a segment's first hit that its language is read from.
LANGUAGE_WINDOW = 300
_CACHE_WORD_CHARS = 100


#: Characters of deferred segment text a document holds at most before it is counted
#: (see ``_defer_language``).
_DEFER_CHARS = 65_536


def _defer_language(doc: DocState, text: str) -> None:
    """Keep a segment without a hit for the document's language count.

    The count (:class:`DocumentLanguage`, fed every segment in order until the
    document is decided) is read only for a segment with a hit and in ``finish`` when
    the document has hits; many documents have none. So a segment without a hit is
    counted only when the count is next read (``_document_language``): fed the same
    texts in the same order, it is the same count, and a document without hits never
    counts at all. The texts kept are bounded (``_DEFER_CHARS``): past that they are
    counted at once."""
    pending: list[str] | None = doc.get("category_language_pending")
    if pending is None:
        pending = doc["category_language_pending"] = []
    pending.append(text)
    held = doc.get("category_language_held", 0) + len(text)
    doc["category_language_held"] = held
    if held > _DEFER_CHARS:
        _document_language(doc)


def _document_language(doc: DocState) -> DocumentLanguage:
    """The document's language count, with the deferred segments fed first (in order)."""
    language: DocumentLanguage | None = doc.get("category_language")
    if language is None:
        language = doc["category_language"] = DocumentLanguage()
    pending: list[str] | None = doc.get("category_language_pending")
    if pending:
        for earlier in pending:
            language.feed(earlier)
        pending.clear()
        doc["category_language_held"] = 0
    return language


class CategoryDetector(Detector):
    """Lexicon-based special categories, reported only when tied to a person."""

    id = "no_categories"
    version = "1"
    types = TYPES
    description = {
        "nb": "Helseopplysninger, barnevern, religion, etnisitet, fagforening, seksualitet, politikk og straff (ordliste, krever kobling til en person)",
        "nn": "Helseopplysningar, barnevern, religion, etnisitet, fagforeining, seksualitet, politikk og straff (ordliste, krev kopling til ein person)",
        "en": "Health, child welfare, religion, ethnicity, trade union, sexuality, politics and criminal data (lexicon; needs a link to a person)",
    }

    def __init__(self, settings: Settings | None = None, terms: list[Term] | None = None):
        # The lexicon is read and its patterns compiled on the first detect(): the
        # parent process builds every detector for an unchanged re-scan that reads
        # nothing.
        self._given = terms
        self._ready = False

    def _compile(self) -> None:
        terms = self._given if self._given is not None else load_lexicon()
        self.terms: dict[str, Term] = {}
        self.cs_terms: dict[str, Term] = {}
        for t in terms:
            (self.cs_terms if t.case_sensitive else self.terms)[t.term] = t
        # The stdlib engine runs these big literal tries several times faster than
        # ``regex`` (measured); ``regex`` is kept for the small patterns.
        self.main = re.compile(r"(?<!\w)(?P<t>" + trie_regex(self.terms) + r")(?P<x>\w*)")
        tails = [k for k, t in self.terms.items() if t.tail]
        self.tail = re.compile(r"(?P<t>" + trie_regex(tails) + r")(?P<x>\w*)") if tails else None
        self.cs = (
            re.compile(r"(?<![\w\-])(?P<t>" + trie_regex(self.cs_terms) + r")(?P<x>)(?![\w\-])")
            if self.cs_terms
            else None
        )
        self.names = load_names()
        self.name_re = re.compile(r"(?<![\w])(?:" + trie_regex(sorted(self.names)) + r")(?![\w])")
        self.gate = _Gate(self.terms, self.cs_terms) if _ac is not None else None
        max_words = max((k.count(" ") + 1 for k in self.terms), default=1)
        self._word_cache: dict[str, tuple[int, Term | None]] = {}
        self.span_re = re.compile(r"\S*" + r"(?:\s+\S*)?" * (max_words - 1))
        self._ready = True

    # ------------------------------------------------------------ per segment
    def _lookup(self, table: dict[str, Term], m: regex.Match) -> Term | None:
        key = " ".join(m.group("t").split())
        t = table.get(key)
        if t is None:
            return None
        if not t.prefix and m.group("x") not in INFLECTIONS and len(key) < 6:
            return None
        return t

    def _linked(self, text: str, s: int, e: int, tabular: bool) -> bool:
        lo, hi = max(0, s - 200), min(len(text), e + 200)
        if tabular:
            lo = max(lo, text.rfind("\n", 0, s) + 1)
            nl = text.find("\n", e)
            hi = min(hi, nl if nl >= 0 else len(text))
        else:
            for m in SENT_END.finditer(text, lo, s):
                lo = m.end()
            m = SENT_END.search(text, e, hi)
            if m is not None:
                hi = m.start()
        # Same answers as PERSON_RE / name_re searches over [lo, hi) (a person word or a
        # name is a whole run of word characters), but one C-level tokenisation each
        # and a set test instead of a big alternation tried at every position. The
        # three tests are pure, so the cheapest goes first: one search for a number's
        # shape (a register row holds one) before tokenising the window twice, names
        # (``re``) before person words (``regex``, slower per call).
        return bool(
            FNR_SHAPE.search(text, lo, hi)
            or not self.names.isdisjoint(_NAME_RUN.findall(text, lo, hi))
            or not PERSON_SET.isdisjoint(_PERSON_RUN.findall(text, lo, hi))
        )

    def _find_reference(self, text: str, low: str, context: str) -> list[tuple[Term, int, int]]:
        """Every term hit by running the full patterns over the segment (the definition;
        used when the Aho-Corasick prefilter is not installed)."""
        found: list[tuple[Term, int, int]] = []
        for m in self.main.finditer(low):
            t = self._lookup(self.terms, m)
            if t is not None:
                found.append((t, m.start(), m.end()))
        if self.tail is not None:
            for m in self.tail.finditer(low):
                self._tail_hit(low, m, found)
        if self.cs is not None:
            for m in self.cs.finditer(text):
                t = self.cs_terms.get(m.group("t"))
                if t is not None:
                    found.append((t, m.start(), m.end()))
        self._icd(text, context, found)
        return found

    def _find_fast(self, text: str, context: str) -> list[tuple[Term, int, int]]:
        """The same hits as :meth:`_find_reference`, in the same order, but the patterns
        run only where one Aho-Corasick pass over the segment (native code) saw a term
        start, each on a lower-cased copy of the few words there. Text without a
        trigger costs that one pass."""
        gate = self.gate
        assert gate is not None
        matches = gate.find(text)
        found: list[tuple[Term, int, int]] = []
        if not matches:
            # Most segments: no term, no acronym and no marker can match (what the
            # steps below come to with nothing seen, without setting them up).
            if context and context_has_marker(context):
                self._icd(text, context, found)
            return found
        main_at: set[int] = set()
        tail_at: list[int] = []
        cs_at: set[int] = set()
        icd = False
        kinds = gate.kinds
        for idx, s, _e in matches:
            k = kinds[idx]
            if k & _MAIN and (s == 0 or not is_word(text[s - 1])):
                main_at.add(s)
            for lengths in gate.before[idx]:
                p = _start_before(text, s, lengths)
                if p >= 0 and (p == 0 or not is_word(text[p - 1])):
                    main_at.add(p)
            if k & _TAIL and s >= 3 and text[s - 3 : s].isalpha():
                tail_at.append(s)
            if k & _CS:
                cs_at.add(s)
            if k & _ICD:
                icd = True
        # main: finditer's left-to-right, non-overlapping walk over the word starts seen.
        # The same words recur (a register names its diagnoses again and again): the
        # answer for a run of words is cached.
        cache = self._word_cache
        # A match lies within the first ``max_words`` white-space separated tokens from
        # its start (terms are words joined by white space, then ``\w*``), so matching on
        # just those tokens, lower-cased, gives the same match as on the whole text.
        last = -1
        for p in sorted(main_at):
            if p < last:
                continue
            end = self.span_re.match(text, p).end()  # type: ignore[union-attr]
            words = text[p:end]
            got = cache.get(words)
            if got is None:
                m = self.main.match(lower_same_length(words))
                got = (-1, None) if m is None else (m.end(), self._lookup(self.terms, m))
                if len(words) <= _CACHE_WORD_CHARS:  # a long run (base64, a URL) is not kept
                    if len(cache) >= _CACHE_MAX:
                        cache.clear()
                    cache[words] = got
            n, t = got
            if n < 0:
                continue
            last = p + n
            if t is not None:
                found.append((t, p, last))
        # tails: a tail match never crosses white space, so the whitespace-delimited
        # chunk around each inner occurrence is searched exactly as the whole text would be
        if tail_at and self.tail is not None:
            chunks: set[tuple[int, int]] = set()
            for s in tail_at:
                a = s
                while a > 0 and not text[a - 1].isspace():
                    a -= 1
                chunks.add((a, _NONSPACE.match(text, s).end()))  # type: ignore[union-attr]
            for a, b in sorted(chunks):
                chunk = lower_same_length(text[a:b])
                for m in self.tail.finditer(chunk):
                    self._tail_hit(chunk, m, found, a)
        if cs_at and self.cs is not None:
            for p in sorted(cs_at):
                m = self.cs.match(text, p)
                if m is not None:
                    t = self.cs_terms.get(m.group("t"))
                    if t is not None:
                        found.append((t, m.start(), m.end()))
        if icd or (context and context_has_marker(context)):
            self._icd(text, context, found)
        return found

    def _tail_hit(self, low: str, m: re.Match, found: list[tuple[Term, int, int]], offset: int = 0) -> None:
        """Record a compound-tail match of ``low`` (a lower-cased text that starts at
        ``offset`` of the segment)."""
        s0 = m.start()
        if s0 < 3 or not low[s0 - 3 : s0].isalpha():
            return  # word-initial: the main pass has it; a tail needs a 3+ letter head
        t = self.terms.get(m.group("t"))
        if t is not None and t.tail:
            found.append((t, s0 + offset, m.end() + offset))

    @staticmethod
    def _icd(text: str, context: str, found: list[tuple[Term, int, int]]) -> None:
        """ICD-10/ICPC-2 codes, counted only next to a diagnosis marker."""
        if ("\n" in text or len(text) > 3) and _ICD_START.search(text) is not None:
            for m in ICD_RE.finditer(text):
                s, e = m.span()
                if (
                    ICD_MARKER.search(text, max(0, s - 80), min(len(text), e + 20))
                    or (context and context_has_marker(context))
                    or ICD_PHRASE.search(text, max(0, s - ICD_PHRASE_REACH), s)
                ):
                    found.append((Term(m.group(0), "helse", "strong", False, True, False), s, e))

    def detect(self, segment: Segment, doc: DocState) -> Iterable[Finding]:
        if not self._ready:
            self._compile()
        text = segment.text
        terms: dict[tuple[str, str], Hit] = doc.setdefault("category_terms", {})
        if self.gate is not None:
            found = self._find_fast(text, segment.context)
        else:
            found = self._find_reference(text, lower_same_length(text), segment.context)
        # A table row (CSV line, "a | b | c" row): the person link must be in the same row.
        tabular = bool(found) and _tabular(text)
        # A lone spreadsheet cell under a short column title: the row is not in view, so
        # a document that lists named people links it (see finish).
        cell = (
            bool(segment.context)
            and len(segment.context) <= 60
            and len(text) <= 80
            and "\n" not in text.strip()
            and not _tabular(text)
        )
        if not found:  # the language count can wait (see _defer_language)
            _defer_language(doc, text)
            if cell or "\n" in text:
                self._count_names(text, doc)
            return ()
        language = _document_language(doc)
        got = language.feed(text)
        lang: bool | None = None
        if not language.surely_norwegian() and (
            got is not None
            or any(
                terms.get((t.type, t.term)) is None or terms[t.type, t.term].norwegian is not True
                for t, _s, _e in found
            )
        ):
            # (A term already seen in Norwegian text needs no second test.) A long
            # segment is judged by the text around its first hit.
            if got is None:
                a = max(0, found[0][1] - LANGUAGE_WINDOW)
                got = language_counts(text[a : found[0][2] + LANGUAGE_WINDOW])
            lang = language_decide(got[0], got[1])
        for t, s, e in found:
            h = terms.get((t.type, t.term))
            if h is None:
                h = terms[t.type, t.term] = Hit(
                    t.type, t.term, t.weight, False, cell, lang, segment.location, s, e
                )
            else:
                if cell:
                    h.table_cell = True
                if lang is not None and h.norwegian is not True:
                    h.norwegian = lang
            if not h.linked and self._linked(text, s, e, tabular):
                h.linked = True
        if cell or "\n" in text:
            self._count_names(text, doc)
        return ()

    def _count_names(self, text: str, doc: DocState) -> None:
        """Count (up to 3) the cells and multi-line segments that name someone."""
        n = doc.get("names_seen", 0)
        if n < 3 and self.name_re.search(text):
            doc["names_seen"] = n + 1

    # ------------------------------------------------------------ per item
    def finish(self, doc: DocState) -> Iterable[Finding]:
        terms: dict[tuple[str, str], Hit] = doc.get("category_terms", {})
        if not terms:
            return ()
        has_id = any(f.type == "fodselsnummer" and confidence_rank(f.confidence) >= 1 for f in doc.findings)
        person_table = doc.get("names_seen", 0) >= 2
        # A hit seen only where the language could not be told takes the document's
        # (its other hit segments'); Norwegian when nothing tells.
        language = _document_language(doc)
        doc_norwegian = language.norwegian() is not False
        out: list[Finding] = []
        # In order of the first hit (a set's order changes with the hash seed from one
        # run to the next, and so would the order of the findings in every output).
        for typ in dict.fromkeys(h.type for h in terms.values()):
            mine = [h for h in terms.values() if h.type == typ]
            linked = [
                h
                for h in mine
                if (h.linked or has_id or (h.table_cell and person_table))
                and (h.norwegian or (h.norwegian is None and doc_norwegian))
            ]
            linked_terms = {h.term for h in linked}
            score = sum(WEIGHTS[h.weight] for h in linked if h.weight != "weak")
            if score > 0 and any(h.weight == "weak" for h in linked):
                score += WEIGHTS["weak"]  # supporting words add a little, never enough alone
            if score >= 3:
                conf = "high"
            elif score >= 2:
                conf = "medium"
            else:
                conf = "low"
            for h in mine:
                out.append(
                    Finding(
                        typ,
                        h.term,
                        location=h.location,
                        confidence=conf if h.term in linked_terms else "low",
                        detector=self.id,
                        start=h.start,
                        end=h.end,
                    )
                )
        return out
