"""More fast paths of the identifier detector and its helpers, each held to what it
stands in for on randomised input dense in the cases that matter: shaped digit
clusters (6-5 numbers, spaced phones, short clusters across rows) decided without the
candidate pattern, the column lookup with its header split kept, the form pass's
label trigger with its context level kept, and the form pass's end-of-segment birth
date found without building every field of the line. (A file of its own so that work
on the other detectors' fast paths does not touch it.)
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from pvscan.identity.numbers import complete_fnr
from pvscan.interfaces import DocState
from pvscan.model import Segment
from pvscan.patterns import context as ctx
from pvscan.patterns import forms
from pvscan.patterns import identifiers as ids
from pvscan.patterns import lexicon as lex


def _digits(rnd: random.Random, n: int) -> str:
    return "".join(rnd.choice("0123456789") for _ in range(n))


def test_shaped_clusters_are_what_the_candidate_pattern_finds(
    candidates_reference: Callable[[str], list[tuple[str, int, int]]],
) -> None:
    """6-5 numbers, 3-2-3 and 2-2-2-2 phones with every separator (valid or not for the
    shape), after every prefix, and short clusters that span two rows."""
    rnd = random.Random(41)
    seps = [" ", "\u00a0", "-", ".", "\n", "\t", "\r", "\r\n", " - ", "  ", "\u2009", "\u2013", ",", "/"]
    shapes = [
        (6, 5),
        (6, 5),
        (3, 2, 3),
        (3, 2, 3),
        (2, 2, 2, 2),
        (4, 2, 5),
        (2, 6),
        (5, 2),
        (3, 3, 3),
        (2, 2, 3),
    ]
    before = [
        "",
        "",
        " ",
        "x",
        "+",
        "+47 ",
        "0047 ",
        "47 ",
        "NO",
        "no",
        "O",
        "/",
        "a/",
        "7",
        "1.",
        "| ",
        ";",
        "\n",
    ]
    after = ["", "", " ", "x", "/", "/3", ".", ".5", "-", "-4", "\u2013" + "2", " |", ";", "\n", "0"]
    shaped = 0
    for _ in range(20000):
        parts = []
        for _ in range(rnd.randint(1, 4)):
            shape = rnd.choice(shapes)
            sep = rnd.choice(seps) if rnd.random() < 0.5 else rnd.choice(seps[:2])
            first = rnd.choice("0123456789") if rnd.random() < 0.3 else rnd.choice("23456789")
            number = sep.join(_digits(rnd, n) for n in shape)
            parts.append(rnd.choice(before) + first + number[1:] + rnd.choice(after))
        text = rnd.choice(["", "Tlf ", "1,60\n"]) + rnd.choice(["", " ", ";"]).join(parts)
        got = ids.iter_candidates(text)
        assert got == candidates_reference(text), text
        shaped += any(k in ("f65", "tel") for k, _s, _e in got)
    assert shaped > 6000


def _column_of_reference(text: str, start: int, header: str) -> str | None:
    """column_of as it was: the header split at every call."""
    if not header:
        return None
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    for d in ("\t", ";", "|", ","):
        if d in header and d in line:
            col = text.count(d, line_start, start)
            cols = header.split(d)
            return cols[col] if col < len(cols) else ""
    return None


def test_column_of_with_the_split_kept_is_the_plain_lookup() -> None:
    rnd = random.Random(43)
    cells = ["Fnr", "Navn", "Konto nr", "", "a,b", "Dato", "x"]
    delims = ["\t", ";", "|", ",", " | "]
    headers = ["", "Fødselsnummer", "Personnr og mer"]
    headers += [
        rnd.choice(delims).join(rnd.choice(cells) for _ in range(rnd.randint(1, 6))) for _ in range(30)
    ]
    for _ in range(20000):
        header = rnd.choice(headers)
        if rnd.random() < 0.3:
            header = "".join(header)  # an equal string that is not the same object
        rows = [
            rnd.choice(delims).join(rnd.choice(cells + ["12345678901"]) for _ in range(rnd.randint(1, 7)))
            for _ in range(rnd.randint(1, 3))
        ]
        text = "\n".join(rows)
        start = rnd.randrange(len(text) + 1)
        assert ctx.column_of(text, start, header) == _column_of_reference(text, start, header), (
            text,
            start,
            header,
        )


def _triggered_reference(segment: Segment) -> int:
    """triggered as it was: both the text and the context searched every time."""
    found = forms._TRIGGER_AC.find_matches_as_indexes(segment.text.encode("latin-1", "replace"))
    if segment.context:
        found += forms._TRIGGER_AC.find_matches_as_indexes(segment.context.encode("latin-1", "replace"))
    if not found:
        return 0
    return 2 if any(i >= forms._BIRTH_TRIGGERS for i, _s, _e in found) else 1


def test_trigger_level_with_the_context_kept_is_the_search_of_both() -> None:
    rnd = random.Random(47)
    words = ["Fødselsdato", "født", "Personnr", "pers.nr", "PNR", "Individnr", "Navn", "Beløp", "x", "Født"]
    contexts = ["", "Navn | Beløp"] + [" | ".join(rnd.sample(words, rnd.randint(1, 3))) for _ in range(20)]
    for _ in range(10000):
        context = rnd.choice(contexts)
        if rnd.random() < 0.3:
            context = "".join(context)
        text = " ".join(rnd.choice(words + ["010190", "12345"]) for _ in range(rnd.randint(0, 4)))
        segment = Segment(text, location="x", context=context)
        assert forms.triggered(segment) == _triggered_reference(segment), (text, context)


def test_birth_date_ending_the_segment_is_the_last_field_of_its_line() -> None:
    """The end-of-segment path of find_split keeps what it kept when it built every
    field of the last line and gave the last one to _keep_birth_date."""
    rnd = random.Random(53)
    pieces = ["010190", "01.01.90", "01.01.1990", "01-01-1990", "01/01/90", "1990", "12345", "1234", "123"]
    pieces += [
        "1234567",
        "12",
        "1,50",
        "x",
        "Fødselsdato:",
        "født",
        "Kontonr",
        "\n",
        " | ",
        ";",
        "ø",
        "\u0663",
    ]
    contexts = ["", "Fødselsdato", "Navn | Fødselsdato", "Personnummer", "Beløp"]
    kept = 0
    for _ in range(20000):
        text = " ".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 8))) + rnd.choice(
            ["", " ", "\n", " |"]
        )
        segment = Segment(text, location="x", context=rnd.choice(contexts))
        end = len(text)
        while end and text[end - 1].isspace():
            end -= 1
        cut = text.rfind("\n", 0, end) + 1
        if end - cut < 6 or not text[end - 1].isdigit():
            continue
        ctx.latin1(text)  # as in a scan: the identifier detector encoded the segment first
        fields = [f._replace(start=f.start + cut, end=f.end + cut) for f in forms._fields(text[cut:end])]
        want = DocState("x")
        if fields:
            forms._keep_birth_date(segment, fields[-1], want)
        got = DocState("x")
        last = forms._field_ending_line(text, cut, end)
        if last is not None:
            assert last == fields[-1]
            forms._keep_birth_date(segment, last, got)
        assert got.get("_form_birth_date") == want.get("_form_birth_date"), (text, segment.context)
        kept += "_form_birth_date" in want
    assert kept > 300


def test_context_marker_kept_from_the_row_before_is_the_search() -> None:
    rnd = random.Random(59)
    contexts = ["", "Diagnose", "Navn | ICD-10 | Dato", "Kode", "Navn | Dato", "dg.", "kodeverk", "Beløp"]
    for _ in range(5000):
        context = rnd.choice(contexts)
        if rnd.random() < 0.3:
            context = "".join(context)  # equal, not the same object
        assert lex.context_has_marker(context) == (lex.ICD_MARKER.search(context) is not None), context


def _category_outcome(det: lex.CategoryDetector, docs: list[list[Segment]]) -> list[object]:
    out: list[object] = []
    for segments in docs:
        doc = DocState("x")
        for s in segments:
            list(det.detect(s, doc))
        findings = [(f.type, f.value, f.confidence, f.location, f.start, f.end) for f in det.finish(doc)]
        language = doc.get("category_language")
        counts = None if language is None else (language.no, language.fo, language.words)
        hits = {k: vars(h) for k, h in doc.get("category_terms", {}).items()}
        out.append((findings, hits, counts if hits else None, doc.get("names_seen")))
    return out


def test_deferred_language_count_gives_what_counting_every_segment_gives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Segments without a hit are counted for the document's language only when the
    count is read; the findings, every hit's flags and (for a document with hits) the
    count itself are what counting each segment as it comes gives, also when the held
    text overflows and is counted early."""
    det = lex.CategoryDetector()
    det._compile()
    rnd = random.Random(61)
    terms = [t for t in sorted(det.terms) if " " not in t][::7][:40] + ["ADHD", "F32.1", "diagnose F41"]
    norwegian = "og ikke på av til som med det er den jeg hun han har skal kan også eller fordi".split()
    english = "the and of to is are was were with this that from not have which you it".split()
    names = sorted(det.names)[:20] + ["12345678901", "010190 12345"]
    docs = []
    for _ in range(300):
        segments = []
        for i in range(rnd.randint(1, 25)):
            pool = rnd.choice([norwegian, english, norwegian + english])
            words = [rnd.choice(pool) for _ in range(rnd.choice([0, 1, 3, 12, 60, 400]))]
            if rnd.random() < 0.15:
                words.insert(rnd.randint(0, len(words)), rnd.choice(terms))
            if rnd.random() < 0.3:
                words.insert(rnd.randint(0, len(words)), rnd.choice(names))
            sep = rnd.choice([" ", " ", " | ", "\n", ". "])
            context = rnd.choice(["", "", "Merknad", "Navn | Diagnose | Fnr", "Kommentar fra saksbehandler"])
            segments.append(Segment(sep.join(words), location=f"s{i}", context=context))
        docs.append(segments)

    deferred = _category_outcome(det, docs)
    monkeypatch.setattr(lex, "_DEFER_CHARS", 500)
    small = _category_outcome(det, docs)
    monkeypatch.setattr(lex, "_defer_language", lambda doc, text: lex._document_language(doc).feed(text))
    eager = _category_outcome(det, docs)
    assert deferred == eager
    assert small == eager
    assert sum(1 for findings, *_ in eager if findings) > 50


def _find_split_reference(segment: Segment, doc: DocState) -> list[forms.SplitFnr]:
    """find_split as it was: every field of the segment built, each pair's date part
    read before its gap, and the birth date's label before what follows it."""
    text = segment.text
    pending = doc.pop("_form_birth_date", None)
    out = []

    def keep(last: forms.Field) -> None:
        date6 = forms._date_part(segment, last)
        if (
            date6 is not None
            and not segment.text[last.end :].strip(" \t\r\n|:")
            and forms._label(segment, last.start) == "fnr"
        ):
            doc["_form_birth_date"] = (date6, last.century)

    classes = text.encode("latin-1", "replace").translate(forms._DIGIT_CLASS)
    run = forms._LONE_FIVE.search(classes) is not None or (
        bool(segment.context) and forms._LONE_FOUR.search(classes) is not None
    )
    if pending is None and (not run or _triggered_reference(segment) < 2):
        end = len(text)
        while end and text[end - 1].isspace():
            end -= 1
        cut = text.rfind("\n", 0, end) + 1
        if end - cut >= 6 and text[end - 1].isdigit():
            fields = [f._replace(start=f.start + cut, end=f.end + cut) for f in forms._fields(text[cut:end])]
            if fields:
                keep(fields[-1])
        return out
    fields = forms._fields(text)
    if not fields:
        return out
    first = fields[0]
    if pending is not None and forms._DIGIT.search(text, 0, first.start) is None:
        pnr = forms._person_part(segment, first)
        if pnr is not None and forms._label(segment, first.start) == "fnr":
            joined = forms._join(pending[0], pending[1], pnr)
            if joined is not None:
                out.append(forms.SplitFnr(joined[0], joined[1], "high", first.start, first.end))
    for d, p in zip(fields, fields[1:], strict=False):
        date6 = forms._date_part(segment, d)
        if date6 is None or not forms._gap_ok(text, d.end, p.start):
            continue
        pnr = forms._person_part(segment, p)
        if pnr is None:
            continue
        label_p = forms._label(segment, p.start)
        if label_p in ("neg", "konto"):
            continue
        label_d = forms._label(segment, d.start)
        if label_d != "fnr" and label_p != "fnr":
            continue
        joined = forms._join(date6, d.century, pnr)
        if joined is not None:
            conf = "high" if label_d == label_p == "fnr" else "medium"
            out.append(forms.SplitFnr(joined[0], joined[1], conf, p.start, p.end))
    keep(fields[-1])
    return out


def test_form_pass_finds_what_it_found_before() -> None:
    """Split fødselsnummer (in one segment and across two) from random forms, tables
    and rows: the pairs ruled out by their shapes before any header is read, and the
    birth date kept only when nothing follows it, give what the pass gave."""
    rnd = random.Random(67)
    dates = ["010190", "01.01.90", "01.01.1990", "10190", "31.12.1985", "311285", "01/01/90", "24.12.2005"]
    persons = ["12345", "1234", "23456", "01234", "99999", "123"]
    pairs = []  # a date and a personal number that complete each other to a valid number
    while len(pairs) < 60:
        day, month, yy = rnd.randint(1, 28), rnd.randint(1, 12), rnd.randint(40, 99)
        full = complete_fnr(f"{day:02d}{month:02d}{yy:02d}{rnd.randint(0, 499):03d}")
        if full is not None:
            for date in (
                full[:6],
                f"{day:02d}.{month:02d}.19{yy:02d}",
                f"{day:02d}-{month:02d}-{yy:02d}",
                full[1:6],
            ):
                pairs += [(date, full[6:])] + ([(date, full[7:])] if full[6] == "0" else [])
    labels = ["Fødselsdato:", "Personnummer:", "Født", "Pnr", "Kontonr:", "KID", "Navn", "", "Beløp"]
    seps = [" ", " | ", "\n", "; ", ": ", " - ", "   ", "\t"]
    contexts = [
        "",
        "",
        "Fødselsdato | Personnummer",
        "Navn | Fødselsdato | Pnr",
        "Personnr",
        "Beløp | Kontonr",
    ]
    found = 0
    for _ in range(4000):
        doc = DocState("x")
        ref = DocState("x")
        context = rnd.choice(contexts)
        for _ in range(rnd.randint(1, 4)):
            parts = []
            for _ in range(rnd.randint(1, 6)):
                if rnd.random() < 0.3:
                    date, person = rnd.choice(pairs)
                    parts += [rnd.choice(labels), date, rnd.choice(labels), person]
                    continue
                parts.append(rnd.choice(labels))
                parts.append(rnd.choice(dates + persons + ["12345678901", "2024", "x"]))
            text = "".join(p + rnd.choice(seps) for p in parts).rstrip(rnd.choice(["", " ", "\n"]))
            segment = Segment(text, location="x", context=context)
            ids.iter_candidates(text)  # as in a scan: the segment's bytes and classes at hand
            want = _find_split_reference(segment, ref)
            got = list(forms.find_split(segment, doc, ids._last_classes[1]))
            assert got == want, (text, context)
            assert doc.get("_form_birth_date") == ref.get("_form_birth_date"), (text, context)
            found += len(got)
    assert found > 300


def _icd_reference(text: str, context: str) -> list[tuple[str, int, int]]:
    """The ICD pass as it was: ICD_RE run over every segment of four characters or more."""
    found = []
    if "\n" in text or len(text) > 3:
        for m in lex.ICD_RE.finditer(text):
            s, e = m.span()
            if (
                lex.ICD_MARKER.search(text, max(0, s - 80), min(len(text), e + 20))
                or (context and lex.ICD_MARKER.search(context))
                or lex.ICD_PHRASE.search(text, max(0, s - lex.ICD_PHRASE_REACH), s)
            ):
                found.append((m.group(0), s, e))
    return found


def test_icd_pass_with_its_start_gate_finds_what_it_found() -> None:
    """Codes (with Unicode digits too), markers in the text and in the context: the
    pass that first looks for a code's start finds the same codes."""
    rnd = random.Random(71)
    pieces = [
        "F32.1",
        "E11",
        "J45.9",
        "A0",
        "X123",
        "F\u0663\u0662",
        "f32",
        "/F32",
        "F32-",
        "diagnose",
        "ICD-10",
    ]
    pieces += ["Dg.", "påvist", "lider av", "kode", "x", "\n", "12", "Ø", "E1\u0661.5", "Z99.99", "-F3"]
    contexts = ["", "Diagnose", "Navn", "Merknad"]
    codes = 0
    for _ in range(5000):
        text = rnd.choice(["", " ", ", "]).join(rnd.choice(pieces) for _ in range(rnd.randint(0, 8)))
        context = rnd.choice(contexts)
        found: list[tuple[lex.Term, int, int]] = []
        lex.CategoryDetector._icd(text, context, found)
        got = [(t.term, s, e) for t, s, e in found]
        assert got == _icd_reference(text, context), (text, context)
        codes += len(got)
    assert codes > 2000


def test_unspaced_iban_is_what_the_candidate_pattern_finds(
    candidates_reference: Callable[[str], list[tuple[str, int, int]]],
) -> None:
    rnd = random.Random(73)
    before = ["", " ", "x", "_", "Ø", "1", "+", "/", "-", "(", "\n", "konto:", "3"]
    prefix = ["NO", "no", "No", "nO", "N0", "O", "NOR", "SE"]
    after = ["", " ", "/", "/2", ".", ".4", "-1", "x", "0"]
    ibans = 0
    for _ in range(20000):
        run = _digits(rnd, rnd.choice([11, 12, 13, 13, 13, 14]))
        text = rnd.choice(before) + rnd.choice(prefix) + run + rnd.choice(after)
        text = rnd.choice(["", "Tlf 22 33 44 55 ", "010190 12345 "]) + text
        got = ids.iter_candidates(text)
        assert got == candidates_reference(text), text
        ibans += any(k == "iban" for k, _s, _e in got)
    assert ibans > 2000
