"""Is this text Norwegian? A cheap test for the lexicon detectors.

The special-category lexicons are Norwegian: *abort* is an abortion in Norwegian and
a command in Git's documentation, *hiv* a virus and an English verb's relative in an
API description, *diagnose* a Norwegian noun and an English verb in a changelog,
*romani* a people here and a language name in a font's changelog. A hit counts only in
text that is Norwegian, so the test needs to be right where it matters (running text)
and cheap (it runs only for segments that have a lexicon hit).

How: count the words of the text that are function words of Norwegian (bokmål and
nynorsk) and of the foreign languages a Norwegian file share holds most (English,
German, and French/Spanish as they come in software documentation). Function words
are the most frequent words of every language and say little about the topic, so a
few dozen words of text decide. Words that Norwegian shares with one of those
(*i*, *for*, *under*, *men*, *alle*, *der*) are left out of every list. A word with
æ, ø or å counts for Norwegian (Danish reads as Norwegian here, as it should: a
Danish diagnosis is still a diagnosis).

Too little text to tell (a spreadsheet cell, a heading) is ``None``: the caller falls
back on the document's language, and on Norwegian when nothing in the document tells
(a register of names and diagnoses has no function words at all).
"""

from __future__ import annotations

import re

#: Function words of Norwegian, bokmål and nynorsk (none shared with the lists below).
NORWEGIAN = frozenset(
    """
    og ikke ikkje på av til som med det er den et ein eit ei jeg eg meg deg seg oss
    hun ho han dei dere dykk vi me hennes hennar hans deira deres sin sitt sine
    blir ble blei vert vart vore være vere vært blitt bli har hadde hatt skal skulle
    må måtte kan kunne vil ville får fikk fekk fått gjer gjør gjort kjem kommer kom
    frå fra etter hos mot ved om også òg eller både enn fordi dersom hvis viss
    sidan siden mellom gjennom uten utan korleis hvordan kva hva kvar hvor når då
    noen nokon noe noko ingen ingenting mykje mye berre bare slik dette denne desse
    disse inn ut opp ned nå no dag år ikkje heller hjå vår vårt våre deira
    """.split()
)

#: Function words of English, German, French and Spanish.
FOREIGN = frozenset(
    """
    the and of to is are was were be been being with this that these those from by
    not have has had which you your it its an on as if or will would should could
    can may might must shall do does did done when where what who whom there their
    they them then than into about after before such only also other some any each
    use used using see must how why we our us he she his
    und der die das ist nicht mit von zu den dem des eine einer eines sich auf für
    bei wird werden wurde sind auch nach wie oder aus wenn dass durch über kann nur
    noch ich sie wir ihr sein seine keine kein zum zur vom im am beim
    le la les et des est une pour dans du au aux qui que sur par pas ce cette sont
    el los las por con para una del es lo se su sus como más pero
    """.split()
)

_WORD = re.compile(r"[^\W\d_]+")
_AEOA = frozenset("æøåÆØÅ")
#: The foreign words that are not Norwegian ones too (a word in both counts as Norwegian).
_FOREIGN_ONLY = FOREIGN - NORWEGIAN

#: Words looked at, at most (the start of a long text decides).
MAX_WORDS = 400
#: Fewest function words that decide.
MIN_EVIDENCE = 3


#: Per Latin-1 byte: itself where it belongs to a word (``_WORD``), else a space.
_LATIN1_WORDS = bytes(c if _WORD.fullmatch(chr(c)) else 32 for c in range(256))


def counts(text: str, max_words: int = MAX_WORDS) -> tuple[int, int, int]:
    """(Norwegian, foreign, words looked at) over the first ``max_words`` words of
    ``text``; a word with æ, ø or å counts as Norwegian. (Only the first
    ``12 * max_words`` characters are tokenised: a long text's start decides.)"""
    head = text[: 12 * max_words]
    try:
        raw = head.encode("latin-1")
    except UnicodeEncodeError:
        words = _WORD.findall(head)[:max_words]
        if not words:
            return 0, 0, 0
        # One lower() for all words (no word holds a space, and lower() makes none).
        joined = " ".join(words).lower()
        lower = joined.split(" ")
    else:
        # Latin-1 text (most Norwegian text): its words split out by a byte table in
        # one go instead of a regex match each. ``str.lower`` turns each Latin-1
        # character into one that is a word character where it was one, so lowering
        # before splitting gives the same words.
        joined = raw.translate(_LATIN1_WORDS).decode("latin-1").lower()
        lower = joined.split(None, max_words)[:max_words]
        if not lower:
            return 0, 0, 0
    no = sum(map(NORWEGIAN.__contains__, lower))
    fo = sum(map(_FOREIGN_ONLY.__contains__, lower))
    if not _AEOA.isdisjoint(joined):
        no += sum(1 for w in lower if not _AEOA.isdisjoint(w) and w not in NORWEGIAN and w not in FOREIGN)
    return no, fo, len(lower)


def decide(no: int, fo: int) -> bool | None:
    """True for Norwegian, False for foreign, None when the counts are too few.

    Norwegian needs as many Norwegian function words as foreign ones: prose mixing
    the two (a Norwegian letter quoting an English title) stays Norwegian."""
    if no + fo < MIN_EVIDENCE:
        return None
    return no >= fo


def is_norwegian(text: str) -> bool | None:
    """True when ``text`` reads as Norwegian, False when it reads as another language,
    None when there are too few words to tell."""
    return decide(*counts(text)[:2])


#: A document's language is read from its first segments, up to this many words or
#: until ``DOC_EVIDENCE`` function words have decided it (so the test costs a document
#: a bounded amount, however long it is).
DOC_WORDS = 3000
DOC_EVIDENCE = 40


class DocumentLanguage:
    """The running language count of one document: segments are fed in order until
    enough is known. A list of short paragraphs (an HTML changelog, one line each) has
    no function words in the line with a hit, but plenty in the document."""

    __slots__ = ("no", "fo", "words")

    def __init__(self) -> None:
        self.no = self.fo = self.words = 0

    def feed(self, text: str) -> tuple[int, int, int] | None:
        """Count ``text`` while the document is undecided; return its counts then."""
        if self.words >= DOC_WORDS or self.no + self.fo >= DOC_EVIDENCE:
            return None
        got = counts(text, min(MAX_WORDS, DOC_WORDS - self.words))
        self.no += got[0]
        self.fo += got[1]
        self.words += got[2]
        return got

    def feed_and_test(self, text: str) -> bool | None:
        """:meth:`feed` ``text`` and return :func:`is_norwegian` of it, counting it once
        when the feed counts it as far as that test does."""
        whole = DOC_WORDS - self.words >= MAX_WORDS
        got = self.feed(text)
        if got is None or not whole:
            return is_norwegian(text)
        return decide(got[0], got[1])

    def norwegian(self) -> bool | None:
        return decide(self.no, self.fo)

    def surely_norwegian(self) -> bool:
        """The document's first words are overwhelmingly Norwegian (at least
        ``DOC_EVIDENCE`` function words, under a tenth of them foreign): its segments
        need no test of their own."""
        return self.no >= DOC_EVIDENCE and self.fo * 10 < self.no
