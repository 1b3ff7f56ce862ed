"""The fast paths of the detectors must find exactly what the plain patterns find.

Each fast path (Aho-Corasick prefilter for the lexicon, lower-cased windows for
context words, cut from the segment's Latin-1 bytes when at hand, set tests for the
person link, digit clusters found on class bytes, skipped hopeless digit runs, phone
words tried at their cores, unrolled check digits, the name detector's cue and phone
paths, the one-pass language count) is compared against the pattern it
stands in for on randomised text that
is dense in the tricky cases (odd white space in multi-word terms, compound tails,
acronyms at word edges, cut windows, digit runs of every length).
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
import regex

from pvscan.identity import numbers
from pvscan.interfaces import DocState
from pvscan.model import Segment, Settings
from pvscan.patterns import context as ctx
from pvscan.patterns import identifiers as ids
from pvscan.patterns import language, names
from pvscan.patterns import lexicon as lex
from pvscan.patterns.identifiers import ContactDetector, IdentifierDetector

W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _check(weights: tuple[int, ...], digits: str) -> int | None:
    k = (11 - sum(w * int(c) for w, c in zip(weights, digits, strict=False)) % 11) % 11
    return None if k == 10 else k


def _test_fnr(rnd: random.Random) -> str:
    """A synthetic-looking valid number: day 41-71 (D-number range), 1964 rules."""
    while True:
        nine = f"{rnd.randint(41, 68):02d}{rnd.randint(1, 12):02d}{rnd.randint(0, 99):02d}{rnd.randint(0, 499):03d}"
        k1 = _check(W1, nine)
        if k1 is None:
            continue
        k2 = _check(W2, nine + str(k1))
        if k2 is not None:
            return f"{nine}{k1}{k2}"


@pytest.fixture(scope="module")
def cat() -> lex.CategoryDetector:
    d = lex.CategoryDetector()
    d._compile()
    return d


def test_isspace_is_what_re_calls_space() -> None:
    """The multi-word gate steps back over ``str.isspace`` characters where the
    patterns have ``\\s+``."""
    import re

    assert all(bool(re.match(r"\s", chr(c))) == chr(c).isspace() for c in range(0x110000))


def test_lexicon_is_compiled_lazily() -> None:
    d = lex.CategoryDetector()
    assert not hasattr(d, "main")
    d.detect(Segment("Pasienten har diabetes.", "avsnitt 1"), DocState("x"))
    assert hasattr(d, "main")


def test_lexicon_prefilter_finds_what_the_full_scan_finds(cat: lex.CategoryDetector) -> None:
    assert cat.gate is not None, "ahocorasick-rs is a dependency"
    rnd = random.Random(7)
    terms = list(cat.terms) + list(cat.cs_terms)
    seps = [" ", "\n", "-", "(", ".", ",", "/", "«", "x", "ab", "abc", "", "\u00a0", "_", "1", "ø"]
    ends = ["", "e", "en", "ene", "ar", "x", "inga", "s", "-", "."]
    hits = 0
    for i in range(3000):
        parts = []
        for _ in range(rnd.randint(1, 8)):
            w = rnd.choice(terms)
            r = rnd.random()
            if r < 0.2:
                w = w.upper()
            elif r < 0.4:
                w = w.capitalize()
            if " " in w and rnd.random() < 0.6:
                w = w.replace(" ", rnd.choice((" ", "\t", "\n", "\xa0", "\u2009", "\u3000", "  ", " \n ")))
            parts.append(rnd.choice(seps) + w + rnd.choice(ends))
            if rnd.random() < 0.2:
                parts.append(rnd.choice(["diagnose", "ICD-10", "F32.1", "J45", "dg.", "kode"]))
        text = rnd.choice(["", " ", "\n"]).join(parts)
        low = ctx.lower_same_length(text)
        context = "Diagnose" if i % 5 == 0 else ""
        want = cat._find_reference(text, low, context)
        assert cat._find_fast(text, context) == want, text
        hits += len(want)
    assert hits > 3000  # the text really is full of terms


def test_person_link_sets_match_the_patterns(cat: lex.CategoryDetector) -> None:
    rnd = random.Random(3)
    words = [*lex.PERSON_SET, *sorted(cat.names)[:60], "x", "/", "a/b", "Jeg/", "/han", "henne_", "ø", "KARI"]
    words += ["Hans-", "-Kari", "\n", ". ", "1", "010190 12345"]
    for _ in range(800):
        text = " ".join(
            rnd.choice(words) + rnd.choice(["", "/", "x", ",", "-"]) for _ in range(rnd.randint(1, 30))
        )
        for _ in range(10):
            lo = rnd.randrange(0, len(text) + 1)
            hi = rnd.randrange(lo, len(text) + 1)
            want = bool(lex.PERSON_RE.search(text, lo, hi) or cat.name_re.search(text, lo, hi))
            got = not lex.PERSON_SET.isdisjoint(
                lex._PERSON_RUN.findall(text, lo, hi)
            ) or not cat.names.isdisjoint(lex._NAME_RUN.findall(text, lo, hi))
            assert got == want, (text, lo, hi)


def test_context_gate_matches_finditer() -> None:
    rnd = random.Random(5)
    words = [
        w.replace("\\w*", "er").replace("\\.?", ".").replace("\\s?", " ").replace("\\.", ".")
        for w in ctx.FNR_WORDS
    ]
    words += [
        w.replace("\\w*", "").replace("\\.?", "").replace("\\s?", "")
        for w in (*ctx.KONTO_WORDS, *ctx.NEG_WORDS)
    ]
    words += ["for", "frå", "Fnrx", "KONTONR", "Kto.nr", "ktonr", "f.nr.", "F-NR", "id", "x", "12", "ſak"]
    words += ["\u212aID", "KİD", "FØDT", "Ønr", "?", "µ", "ß", "ÿ", "\u00a0"]  # lower-casing edge cases
    for _ in range(1500):
        text = "".join(
            rnd.choice(words) + rnd.choice([" ", ": ", "", "\n", "-", "."]) for _ in range(rnd.randint(1, 12))
        )
        lo = rnd.randrange(0, len(text) + 1)
        hi = rnd.randrange(lo, len(text) + 1)
        low = ctx.lower_same_length(text)
        want = [(m.lastgroup, *m.span()) for m in ctx.CONTEXT_LOW.finditer(low, lo, hi)]
        got = ctx.context_matches(text, lo, hi)
        assert got == want, (text, lo, hi)
        ctx.latin1(text)  # the segment's bytes at hand: the window is cut from them
        assert ctx.context_matches(text, lo, hi) == want, (text, lo, hi)


def test_latin1_lowering_table_is_str_lower() -> None:
    assert all(chr(ctx.LATIN1_LOWER[i]) == chr(i).lower() for i in range(256))


def _tel_word_reference(text: str, s: int) -> bool:
    lo = max(0, s - 40)
    window = text[lo:s].lower()
    if not any(c in window for c in ids._TEL_CORES):
        return False
    return ids._TEL_WORDS.search(text, lo, s) is not None


def test_phone_word_at_cores_matches_the_search() -> None:
    rnd = random.Random(23)
    words = ["tlf", "TLF", "Telefon", "telefonnr", "mobil", "MOB", "tel", "phone", "ring", "rıng", "RİNG"]
    words += ["hotel", "xtlf", "tlfx", "ringe", "tel.", "mob:", "x", ":", "\n", "1234", "İ", "ı", "_tel", "ſ"]
    hits = 0
    for _ in range(20000):
        text = "".join(
            rnd.choice(words) + rnd.choice(["", " ", ": ", "-"]) for _ in range(rnd.randint(1, 14))
        )
        s = rnd.randrange(0, len(text) + 1)
        want = _tel_word_reference(text, s)
        hits += want
        assert ids._tel_word_before(text, s) == want, (text, s)
        ids.latin1(text)  # the segment's bytes at hand
        assert ids._tel_word_before(text, s) == want, (text, s)
    assert hits > 5000


def test_skipped_digit_runs_never_hold_a_candidate(
    candidates_reference: Callable[[str], list[tuple[str, int, int]]],
) -> None:
    rnd = random.Random(11)
    pieces = ["NO", "no", "O", "+", "00", "0047", "47", " ", ".", "-", "/", "a/", "\u2013", "\n", "x", "Tlf "]
    pieces += ["1234.56.", "1234 56 ", "1234-56.", "1234\u00a056\u00a0", "12.34."]
    for _ in range(4000):
        text = "".join(
            rnd.choice(pieces) + "".join(rnd.choice("0123456789") for _ in range(rnd.randint(1, 16)))
            for _ in range(rnd.randint(1, 6))
        )
        assert ids.iter_candidates(text) == candidates_reference(text), text


def test_byte_clusters_are_the_clusters(
    candidates_reference: Callable[[str], list[tuple[str, int, int]]],
) -> None:
    """Where the Latin-1 bytes are exact (no ``?``), every match of the class-byte
    pattern is one CLUSTERS match and the other way round; with a ``?`` anywhere the
    candidates still come out as the plain patterns find them."""
    rnd = random.Random(29)
    pieces = ["NO", "no", "O", "o", "+", "00", "0047", "47", " ", ".", "-", "/", "a/", "\n", "\r\n"]
    pieces += ["\t", "x", "Tlf ", "  ", " . ", "\u00a0", ",", ":", "?", "\u2013", "\u2010", "\u2009"]
    pieces += ["\u0663", "Ø"]
    lengths = [1, 2, 3, 4, 4, 5, 6, 7, 8, 8, 9, 10, 10, 11, 11, 11, 12, 12, 13, 13, 14, 20]
    exact = 0
    for _ in range(6000):
        text = "".join(
            rnd.choice(pieces) + "".join(rnd.choice("0123456789") for _ in range(rnd.choice(lengths)))
            for _ in range(rnd.randint(1, 7))
        )
        if rnd.random() < 0.6:
            text = "".join(c for c in text if c not in "?\u2013\u2010\u2009\u0663")
        assert ids.iter_candidates(text) == candidates_reference(text), text
        raw = ids.latin1(text)
        if b"?" not in raw:
            exact += 1
            got = [m.span() for m in ids._BYTE_CLUSTERS.finditer(raw.translate(ids._BYTE_CLASSES))]
            assert got == [m.span() for m in ids.CLUSTERS.finditer(text)], text
    assert exact > 2000


def test_date_constructor_checks_what_date_ok_checks() -> None:
    """_classify_date lets ``datetime.date`` reject an impossible date when the year is
    known, in place of _date_ok."""
    import datetime as dt

    for year in (1800, 1854, 1899, 1900, 1904, 1940, 1999, 2000, 2001, 2024, 2039, 2099):
        for month in range(0, 15):
            for day in range(0, 34):
                try:
                    dt.date(year, month, day)
                    ok = True
                except ValueError:
                    ok = False
                assert numbers._date_ok(day, month, year, year % 100) == ok, (year, month, day)


def test_unrolled_check_digits_agree() -> None:
    rnd = random.Random(13)
    for _ in range(20000):
        d = "".join(rnd.choice("0123456789") for _ in range(11))
        s2 = sum(w * int(c) for w, c in zip(W2, d, strict=False)) + int(d[10])
        s1 = sum(w * int(c) for w, c in zip(W1, d, strict=False)) + int(d[9])
        assert numbers.mod11_ok(d) == (s2 % 11 == 0)
        assert numbers.k1_remainder(d) == s1 % 11


def test_contact_first_shares_the_scan_and_finds_the_same() -> None:
    rnd = random.Random(17)
    fnr = _test_fnr(rnd)
    text = f"Fnr: {fnr}\nTlf 91234567 og e-post kari@example.no\nKontonr 1234.56.78903\n"
    seg = Segment(text, "linje 1")
    results = []
    for order in (
        (IdentifierDetector(Settings()), ContactDetector()),
        (ContactDetector(), IdentifierDetector(Settings())),
    ):
        doc = DocState("x")
        found = []
        for d in order:
            found.extend(d.detect(seg, doc))
        assert doc["_candidates"][0] is text
        results.append(sorted((f.type, f.value, f.start) for f in found))
    assert results[0] == results[1]
    assert ("fodselsnummer", fnr, 5) in results[0]
    assert ("telefon", "91234567", text.index("9123")) in results[0]


def test_classification_on_character_codes_agrees_with_int_parsing() -> None:
    rnd = random.Random(19)
    checked = 0
    for _ in range(60000):
        nine = f"{rnd.randint(0, 99):02d}{rnd.randint(0, 99):02d}{rnd.randint(0, 99):02d}{rnd.randint(0, 999):03d}"
        for k1 in range(10):
            ten = nine + str(k1)
            k2 = (11 - sum(w * int(c) for w, c in zip(W2, ten, strict=False)) % 11) % 11
            if k2 == 10:
                continue
            d = ten + str(k2)
            assert numbers.classify_checked(d) == numbers._classify_slow(d), d
            checked += numbers._classify_slow(d) is not None
    assert checked > 10000  # plenty of valid numbers of every variant were compared


def test_name_cue_test_is_the_label_and_salutation_search() -> None:
    """``names._cue_before`` looks at the character a label or salutation ends with
    before running the patterns; it must say what the two searches say."""
    words = ["Hei", "hallo", "KJÆRE", "dr", "Dr.", "Mrs.", "ms", "v/", "c/o", "Att.", "attn", "god  morgen"]
    words += ["Navn", "gjelder", "TIL", "Pasient", "fra", "Kari", "ok", "x.", "1/", "HEİ", "mrſ", "hei!"]
    ends = [
        "",
        ",",
        " ,",
        ", ",
        ",\u00a0",
        ":",
        " :",
        " - ",
        " – ",
        "-",
        "\u00a0",
        "\n",
        "\t",
        "  ",
        "\x1f",
        ";",
        ".,",
    ]
    starts = ["", "x ", "abc", "(", "1", "…\n", "a" * 70 + " "]
    texts = [f"{s}{w}{e}" for s in starts for w in words for e in ends]
    rnd = random.Random(16)
    alphabet = "HhEeIi,:-–./ \u00a0\nTtLlVvC\x1fæ"
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12))) for _ in range(3000)]
    for text in texts:
        at = len(text)
        line = text + "Kari Nordmann"
        want = bool(
            names._LABEL_BEFORE.search(line, max(0, at - 60), at)
            or names._SALUTE_BEFORE.search(line, max(0, at - 30), at)
        )
        assert names._cue_before(line, at) == want, repr(text)


def test_phone_on_an_ascii_digit_line_is_the_phone_pattern() -> None:
    """Lines whose digits are all 0-9 take ``_PHONE_ASCII`` (standard engine): the same
    numbers as ``_PHONE``, whatever stands around them."""
    rnd = random.Random(16)
    alphabet = "0123456789" * 3 + "  \u00a0\u00a0++-./aN\n"
    for _ in range(20000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(6, 30)))
        lo = rnd.randint(0, 3)
        want = ["".join(c for c in m.group() if c.isdigit()) for m in names._PHONE.finditer(text, lo)]
        got = [
            m.group().replace(" ", "").replace("\u00a0", "").lstrip("+")
            for m in names._PHONE_ASCII.finditer(text, lo)
        ]
        assert got == want, repr(text)


def test_language_counts_lower_once() -> None:
    """``language.counts`` lower-cases all words in one go (split out by a byte table
    from Latin-1 text); word by word gives the same."""

    def by_word(text: str, max_words: int) -> tuple[int, int, int]:
        no = fo = 0
        words = language._WORD.findall(text, 0, 12 * max_words)[:max_words]
        for w in words:
            w = w.lower()
            if w in language.NORWEGIAN:
                no += 1
            elif w in language.FOREIGN:
                fo += 1
            elif not language._AEOA.isdisjoint(w):
                no += 1
        return no, fo, len(words)

    rnd = random.Random(16)
    pieces = [
        "og",
        "OG",
        "the",
        "Der",
        "die",
        "ΣΟΦΟΣ",
        "İstanbul",
        "ẞ",
        "på",
        "PÅ",
        "Ære",
        " ",
        " ",
        "\n",
        "-",
        "7",
        "æ",
    ]
    for _ in range(5000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 30)))
        for max_words in (400, 5, 1):
            assert language.counts(text, max_words) == by_word(text, max_words), repr(text)
    # Latin-1 text takes the byte-table path: every Latin-1 character, among words.
    latin1 = [chr(c) for c in range(256)] + ["og", "The", "FÜR", "Ærlig", "µm", "ªb", "x²y", "_a", "ÿ"]
    for _ in range(5000):
        text = "".join(rnd.choice(latin1) for _ in range(rnd.randint(0, 40)))
        for max_words in (400, 5, 1):
            assert language.counts(text, max_words) == by_word(text, max_words), repr(text)


def _linked_reference(text: str, start: int, end: int, context: str = "") -> str | None:
    """``names.linked_on_line`` as it was before its fast paths (every scan on every
    line, each number classified where it is met)."""
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    hi = hi if hi >= 0 else len(text)
    line = text[lo:hi]
    parts: set[str] = set()
    found: list[tuple[int, str]] = []
    for m in names._PERSON_NUMBER.finditer(text, lo, hi):
        number = m.group()
        info = numbers.classify_fnr(number if len(number) == 11 else number[:6] + number[7:])
        if info is not None and (born := info.birth) is not None:
            found.append((m.start(), f"{born.day:02d}{born.month:02d}{born.year % 100:02d}"))
    for m in names._LABELLED_DATE.finditer(text, lo, hi):
        found.append((m.start(), f"{int(m.group(1)):02d}{int(m.group(2)):02d}{m.group(3)[2:]}"))
    if not found:
        _, heads, cells = names.row_cells(context, line)
        for head, cell in zip(heads, cells, strict=True):
            d = names._DATE_CELL.match(cell)
            if d and names._BIRTH_HEADER.search(head):
                found.append((lo, f"{int(d.group(1)):02d}{int(d.group(2)):02d}{d.group(3)[2:]}"))
    if found:
        after = [f for f in found if f[0] >= end]
        parts.add("f=" + (min(after)[1] if after else max(found)[1]))
    parts.update(f"e={m.group().lower()}" for m in names._EMAIL.finditer(text, lo, hi))
    for m in names._ACCOUNT.finditer(text, lo, hi):
        digits = m.group().replace(".", "").replace(" ", "")
        if numbers.mod11_ok(digits) and (len(m.group()) > 11 or numbers.classify_fnr(digits) is None):
            parts.add(f"k={digits}")
    for m in names._IBAN.finditer(text, lo, hi):
        digits = names._NON_DIGIT.sub("", m.group())[-11:]
        if numbers.mod11_ok(digits):
            parts.add(f"k={digits}")
    for m in names._PHONE.finditer(text, lo, hi):
        digits = "".join(c for c in m.group() if c.isdigit())
        parts.add(f"t={digits[-8:]}")
    return names.LINKED + ",".join(sorted(parts)) if parts else None


def test_birth_word_letters_match_only_their_two_cases() -> None:
    """The labelled-date scan runs only on a line whose ``str.lower`` holds a birth
    word's start: sound only if ``(?i)`` matches each of their letters in no other
    character than those ``str.lower`` turns into it."""
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    letters = "fødbornate."
    matched = set(regex.findall("(?i)[" + regex.escape(letters) + "]", every))
    assert all(c.lower() in letters for c in matched)


def test_linked_facts_fast_paths_change_nothing() -> None:
    """``linked_on_line`` skips the scans that cannot match (no digit, no birth word,
    no digit cluster as long as a phone number), reads person numbers and accounts off
    the digit runs, and classifies each person number once; it must link what every
    scan links."""
    rnd = random.Random(21)
    fnrs = [_test_fnr(rnd) for _ in range(30)]
    pieces = [
        *fnrs,
        *(f[:6] + rnd.choice([" ", "-", "\u00a0", "–"]) + f[6:] for f in fnrs),
        "Kari Nordmann",
        "Ola",
        " ",
        "  ",
        " | ",
        ";",
        "\t",
        "\n",
        ",",
        ".",
        "født ",
        "Fødd: ",
        "FØDSELSDATO ",
        "f. ",
        "F.dato ",
        "fdato:",
        "født den ",
        "Born ",
        "DOB ",
        "date of birth ",
        "Dato ",
        "01.02.1990",
        "1.2.1990",
        "31-12-2003",
        "9/9/1999",
        "29.02.2000",
        "kari@example.no",
        "<ola.n@nav.no>",
        "@",
        "912 34 567",
        "+47 41234567",
        "0047 22 33 44 55",
        "1234.56.78903",
        "1234 56 78903",
        "12345678903",
        "NO93 8601 1117 947",
        "no9386011117947",
        "Nordbyen",
        "٣",
        "7",
        "42",
        "123456",
        "12345",
        "1234",
        "56",
        "+47",
        "0047",
        "47",
        "22 33 44 55",
        "4123 4567",
        "-",
        "–",
        "\u00a0",
        ".12345678903.",
        "1234 56.78903",
    ]
    contexts = ["", "Navn | Fødd | Telefon", "Namn;Fødselsdato;Konto", "Navn\tdob", "a, b, c"]
    linked = 0
    for _ in range(20000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 14)))
        context = rnd.choice(contexts)
        start = rnd.randint(0, len(text))
        end = rnd.randint(start, len(text))
        want = _linked_reference(text, start, end, context)
        assert names.linked_on_line(text, start, end, context) == want, (text, start, end, context)
        linked += want is not None and "f=" in want
    assert linked > 1000  # plenty of birth dates among them


def test_taken_spans_answer_what_a_scan_answers() -> None:
    """``names._Taken`` bisects where ``emit`` and ``_runs`` scanned every span taken."""
    rnd = random.Random(5)
    for _ in range(2000):
        taken, spans = names._Taken(), []
        for _ in range(rnd.randint(0, 25)):
            start = rnd.randint(0, 60)
            end = start + rnd.randint(0, 8)
            want = any(s < end and start < e for s, e in spans)
            assert taken.overlaps(start, end) == want, (spans, start, end)
            inside = any(s <= start and end <= e for s, e in spans)
            assert taken.covers(start, end) == inside, (spans, start, end)
            if not want and end > start:
                taken.add(start, end)
                spans.append((start, end))


def _row_cells_reference(context: str, line: str) -> tuple[str, list[str], list[str]]:
    """``names.row_cells`` as it was: the header row split for every row."""
    if not context:
        return "", [], []
    if names.CELL in context:
        heads, cells = context.split(names.CELL), line.split(names.CELL)
        return (names.CELL, heads[: len(cells)], cells) if len(cells) <= len(heads) else ("", [], [])
    for sep, least in (("\t", 1), (";", 1), (",", 2)):
        if context.count(sep) >= least:
            heads, cells = context.split(sep), line.split(sep)
            return (sep, heads, cells) if len(cells) == len(heads) else ("", [], [])
    return "", [], []


def _row_owners_reference(text: str, found: list, context: str) -> dict[int, str | None]:
    """``names._row_owners`` as it was (each row's shares worked out for that row, its
    cells re-joined one by one): what it links to each name it settles."""
    by_line: dict[int, list] = {}
    for f in found:
        by_line.setdefault(text.rfind("\n", 0, f.start) + 1, []).append(f)
    settled: dict[int, str | None] = {}
    for lo, names_ in by_line.items():
        hi = text.find("\n", lo)
        hi = hi if hi >= 0 else len(text)
        sep, heads, cells = _row_cells_reference(context, text[lo:hi])
        if not heads or (len(names_) < 2 and sep == names.CELL):
            continue
        spans, pos = [], lo
        for c in cells:
            spans.append((pos, pos + len(c)))
            pos += len(c) + len(sep)
        name_cell: dict[int, int] = {}
        for f in names_:
            idx = next((i for i, (s, e) in enumerate(spans) if s <= f.start and f.end <= e), None)
            if idx is None or idx in name_cell.values():
                break
            name_cell[id(f)] = idx
        else:
            owners = sorted(name_cell.values())
            words = {i: names._head_words(heads[i]) for i in owners}
            owner_of = {}
            for j in range(len(cells)):
                if j in owners:
                    owner_of[j] = j
                    continue
                named = [i for i in owners if words[i] & names._head_words(heads[j])]
                left = [i for i in owners if i < j]
                owner_of[j] = named[0] if len(named) == 1 else (left[-1] if left else owners[0])
            for f in names_:
                mine = [j for j in range(len(cells)) if owner_of[j] == name_cell[id(f)]]
                sub = names.CELL.join(cells[j] for j in mine)
                offset = sum(len(cells[j]) + len(names.CELL) for j in mine if j < name_cell[id(f)])
                start = offset + (f.start - spans[name_cell[id(f)]][0])
                heads_mine = names.CELL.join(heads[j] for j in mine)
                settled[id(f)] = names.linked_on_line(sub, start, start + f.end - f.start, heads_mine)
    return settled


def test_row_share_out_read_once_per_table_changes_nothing() -> None:
    """``names._row_owners`` reads a table's header and its name columns' shares once,
    gives a row's only name the whole row in one go, and skips one-name segments that
    are no delimited row; it must link what the row-by-row share-out links."""
    from pvscan.model import Finding

    rnd = random.Random(11)
    fnr = _test_fnr(rnd)
    heads = ["Elev", "Fødd", "Føresett", "Telefon føresett", "Navn", "Fnr", "Konto", "E-post"]
    values = ["Kari Nordmann", "Ola Hansen", "01.02.2010", fnr, "912 34 567", "kari@example.no", "x", ""]
    shared = 0
    for _ in range(3000):
        sep = rnd.choice([names.CELL, ";", "\t", ",", " "])
        width = rnd.randint(1, 6)
        context = sep.join(rnd.choice(heads) for _ in range(width)) if rnd.random() < 0.9 else ""
        rows = []
        for _ in range(rnd.randint(1, 3)):
            cells = [rnd.choice(values) for _ in range(width + rnd.choice([0, 0, 0, -1, 1]))]
            rows.append(sep.join(cells))
        text = "\n".join(rows)
        found = []
        for m in regex.finditer(r"Kari Nordmann|Ola Hansen", text):
            if rnd.random() < 0.8:
                found.append(Finding("navn", m.group(), location="x", start=m.start(), end=m.end()))
        if rnd.random() < 0.1 and found:
            found.append(Finding("navn", "y", location="x", start=found[0].start, end=found[0].end + 2))
        want = _row_owners_reference(text, found, context)
        settled = names._row_owners(text, found, context)
        assert settled == set(want), (text, context)
        assert {i: f.variant for f in found if (i := id(f)) in settled} == want, (text, context)
        shared += sum(v is not None for v in want.values())
    assert shared > 500  # many rows shared out, with something linked


def test_latin1_has_no_digits_but_0_to_9() -> None:
    """``names._only_ascii_digits`` passes Latin-1 lines without ``_OTHER_DIGIT``."""
    latin1 = "".join(chr(c) for c in range(256))
    assert names._OTHER_DIGIT.search(latin1) is None
    assert regex.findall(r"\d", latin1) == list("0123456789")
    assert not names._only_ascii_digits("Kari Nordmann ٣")
    assert names._only_ascii_digits("Kari Nordmann – 3")
