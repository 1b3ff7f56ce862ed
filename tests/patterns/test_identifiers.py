"""Identifier detection: property-based (hypothesis) and example-based tests.

Numbers are generated with the check-digit functions; nothing here is a real person's.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pvscan.identity.numbers import classify_fnr, complete_fnr, complete_kontonummer, iban_no_ok, mod11_ok
from pvscan.interfaces import DocState
from pvscan.model import Segment
from pvscan.patterns.identifiers import ContactDetector, IdentifierDetector

DET = IdentifierDetector()
WORDS = "kommunen vedtak eleven søknad møtet referat budsjett dag og i på er som til fra med skal har".split()


def valid(prefix: str) -> str:
    """The first valid 1964-rule number whose first 9 digits start with ``prefix``."""
    for i in range(10 ** (9 - len(prefix))):
        v = complete_fnr(prefix + str(i).zfill(9 - len(prefix)))
        if v is not None and classify_fnr(v) is not None:
            return v
    raise AssertionError(prefix)


def find(text: str, context: str = "") -> list:
    return list(DET.detect(Segment(text, "linje 1", context), DocState()))


@st.composite
def fnr(draw, variant: str = "fnr") -> str:
    born = draw(st.dates(dt.date(1900, 1, 1), dt.date(1999, 12, 31)))
    day, month = born.day, born.month
    if variant == "dnr":
        day += 40
    if variant == "hnr":
        month += 40
    ind = draw(st.integers(0, 499))
    num = complete_fnr(f"{day:02d}{month:02d}{born.year % 100:02d}{ind:03d}")
    assume(num is not None)
    return num


@st.composite
def konto(draw) -> str:
    n = complete_kontonummer(f"{draw(st.integers(1000, 9999))}{draw(st.integers(0, 999999)):06d}")
    assume(n is not None)
    return n


prose = st.lists(st.sampled_from(WORDS), min_size=0, max_size=12).map(" ".join)
FNR_FORMS = {
    "plain": lambda v: v,
    "space": lambda v: f"{v[:6]} {v[6:]}",
    "dash": lambda v: f"{v[:6]}-{v[6:]}",
    "nbsp": lambda v: f"{v[:6]}\u00a0{v[6:]}",
    "endash": lambda v: f"{v[:6]}\u2013{v[6:]}",
    "linebreak": lambda v: f"{v[:6]}\n{v[6:]}",
}


@settings(max_examples=300, suppress_health_check=[HealthCheck.filter_too_much])
@given(v=fnr(), form=st.sampled_from(sorted(FNR_FORMS)), before=prose, after=prose, label=st.booleans())
def test_valid_fnr_in_any_form_is_found(v, form, before, after, label):
    written = FNR_FORMS[form](v)
    text = f"{before} {'fødselsnummer: ' if label else ''}{written} {after}"
    hits = [f for f in find(text) if f.type == "fodselsnummer"]
    assert [h.value for h in hits] == [v]
    assert hits[0].confidence == ("high" if label else "medium")
    assert text[hits[0].start : hits[0].end] == written


@settings(max_examples=150, suppress_health_check=[HealthCheck.filter_too_much])
@given(v=fnr("dnr"), before=prose)
def test_d_number_variant(v, before):
    hits = find(f"{before} d-nummer {v}")
    assert [(h.value, h.variant) for h in hits] == [(v, "dnr")]


@settings(max_examples=150, suppress_health_check=[HealthCheck.filter_too_much])
@given(v=fnr("hnr"))
def test_h_number_needs_context(v):
    assert [h.confidence for h in find(f"nummer {v} registrert")] == ["low"]
    assert [h.variant for h in find(f"Pasient på sjukehuset, H-nummer {v}")] == ["hnr"]
    assert find(f"Pasient på sjukehuset, H-nummer {v}")[0].confidence == "medium"


@settings(max_examples=400)
@given(st.text(alphabet="0123456789", min_size=11, max_size=11), prose)
def test_invalid_11_digit_strings_are_never_fodselsnummer(s, before):
    assume(classify_fnr(s) is None)
    hits = find(f"{before} fnr {s}")
    assert not [h for h in hits if h.type == "fodselsnummer"]


@settings(max_examples=200, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    v=fnr(),
    pre=st.text(alphabet="0123456789", min_size=1, max_size=3),
    post=st.text(alphabet="0123456789", min_size=1, max_size=3),
)
def test_boundaries_inside_longer_digit_runs(v, pre, post):
    for text in (f"{pre}{v}", f"{v}{post}", f"{pre}.{v}", f"{v}-{post}", f"{pre}/{v}", f"sak {v}/{post}"):
        assert not [h for h in find(text) if h.value == v], text


@settings(max_examples=200, suppress_health_check=[HealthCheck.filter_too_much])
@given(k=konto(), form=st.sampled_from(["dotted", "spaced"]), before=prose)
def test_kontonummer_formats(k, form, before):
    written = f"{k[:4]}.{k[4:6]}.{k[6:]}" if form == "dotted" else f"{k[:4]} {k[4:6]} {k[6:]}"
    hits = find(f"{before} {written}")
    assert [(h.type, h.value) for h in hits] == [("kontonummer", k)]


def _iban(k: str) -> str:
    check = 98 - int(k + "232400") % 97
    return f"NO{check:02d}{k}"


@settings(max_examples=200, suppress_health_check=[HealthCheck.filter_too_much])
@given(k=konto(), spaced=st.booleans())
def test_iban_is_normalised_to_the_account(k, spaced):
    iban = _iban(k)
    assert iban_no_ok(iban)
    written = " ".join(iban[i : i + 4] for i in range(0, 15, 4)) if spaced else iban
    hits = find(f"Betal til {written} innan fredag")
    assert [(h.type, h.value, h.confidence) for h in hits] == [("kontonummer", k, "high")]


@settings(max_examples=200, suppress_health_check=[HealthCheck.filter_too_much])
@given(k=konto())
def test_plain_account_needs_a_label(k):
    assume(classify_fnr(k) is None)
    assert [(h.type, h.confidence) for h in find(f"Kontonummer: {k}")] == [("kontonummer", "high")]
    assert [h.confidence for h in find(f"nummer {k}")] == ["low"]


def test_distractor_context_lowers_confidence():
    v = valid("010190")
    assert find(f"KID: {v}")[0].confidence == "low"
    assert find(f"Fakturanr {v}")[0].confidence == "low"
    assert find(f"Fødselsnr {v}")[0].confidence == "high"


def test_both_readings_keep_the_alternative():
    v = valid("010190")
    (f,) = find(f"nummer {v}")
    assert (f.type, f.alt_type) == ("fodselsnummer", "kontonummer")
    (g,) = find(f"Kontonr: {v}")
    assert (g.type, g.alt_type) == ("kontonummer", "fodselsnummer")


def test_csv_column_header_decides():
    v = valid("150385")
    k = complete_kontonummer("1503850000") or complete_kontonummer("1503850001")
    text = f"Ola Nordmann;{v};{k}"
    hits = find(text, context="Namn;Fødselsnummer;Kontonummer")
    assert {(h.type, h.value) for h in hits} == {("fodselsnummer", v), ("kontonummer", k)}


def test_spreadsheet_number_lost_its_leading_zero():
    v = valid("050512")
    hits = find(v[1:], context="Fnr")
    assert [(h.value, h.confidence) for h in hits] == [(v, "high")]
    assert find(f"ordre {v[1:]} sendt") == []


def test_2032_rule_numbers_with_label():
    # Skatteetaten's example of a k1 remainder 1 number.
    info = classify_fnr("30108299939")
    assert info is not None and info.rule2032
    assert [h.confidence for h in find("fødselsnummer 30108299939")] == ["medium"]
    assert [h.confidence for h in find("nummer 30108299939")] == ["low"]


def _any_valid(prefix: str) -> bool:
    return any(
        (v := complete_fnr(prefix + str(i).zfill(9 - len(prefix)))) is not None
        and classify_fnr(v) is not None
        for i in range(10 ** (9 - len(prefix)))
    )


@pytest.mark.parametrize(
    "prefix,ok",
    [
        ("2902005", True),  # 29.02.2000 (individual number 500-999, yy <= 39): leap year
        ("2902001", False),  # 29.02.1900: not a leap year
        ("2902014", False),  # 29.02.1901
        ("3104904", False),  # 31 April
        ("0012904", False),  # day 0
        ("6902005", True),  # D-number of 29.02.2000 (day + 40)
        ("2942005", True),  # H-number of 29.02.2000 (month + 40)
    ],
)
def test_real_dates_only(prefix, ok):
    assert _any_valid(prefix) == ok


def test_synthetic_and_fh_variants():
    syn = valid("018190")
    assert classify_fnr(syn).variant == "syntetisk"
    # FHI SyntPop: month + 65, birth date kept; months beyond +65 / +80 are no variant
    info = classify_fnr(valid("296690"))  # 29 January (SyntPop)
    assert (info.variant, info.birth.month, info.birth.day) == ("syntetisk", 1, 29)
    assert _any_valid("306790") is False  # 30 February in SyntPop is no date either
    assert not any(classify_fnr(x) for x in (complete_fnr(f"0178{i:05d}") for i in range(300)) if x)
    fh = next(x for x in (complete_fnr(f"81234567{i}") for i in range(10)) if x)
    assert classify_fnr(fh).variant == "fh"
    assert mod11_ok(fh)


def test_contacts():
    det = ContactDetector()
    hits = list(
        det.detect(
            Segment("Kontakt: kari.nordmann@example.no, tlf. 912 34 567 eller +47 22334455"), DocState()
        )
    )
    got = {(h.type, h.value, h.confidence) for h in hits}
    assert ("epost", "kari.nordmann@example.no", "medium") in got
    assert ("telefon", "91234567", "medium") in got
    assert ("telefon", "22334455", "medium") in got


def test_a_distractor_in_the_heading_above_vetoes_only_a_value_standing_alone() -> None:
    """Paragraph extractors pass the previous paragraph as context. "Telefon…" in a
    heading is no label for a number inside a sentence under it, but is one for a
    value alone under a "Telefon" title (a sheet cell or a form field)."""
    v = valid("150385")
    (f,) = find(f"Pasient: Maja Strand ({v})", context="Journalnotat – Telefonsamtale")
    assert (f.type, f.value, f.confidence) == ("fodselsnummer", v, "medium")
    (g,) = find(v, context="Telefon")
    assert (g.type, g.value, g.confidence) == ("fodselsnummer", v, "low")
    (h,) = find(f"Pasient: Maja Strand ({v})", context="Fødselsnummer")
    assert h.confidence == "high"  # an identity label above still counts


def test_accounts_in_a_space_separated_table_under_a_kontonr_header() -> None:
    """A PDF page renders a table as lines of words: the header line names the columns
    once, far above most rows."""
    import random

    from pvscan.testing import make_fnr, make_kontonummer

    rng = random.Random(4)
    rows = []
    accounts = []
    for i in range(40):
        k = make_kontonummer(rng)
        while classify_fnr(k) is not None:
            k = make_kontonummer(rng)
        accounts.append(k)
        rows.append(f"Person {i} {make_fnr(rng=rng)} sjukepleiar {20 + i} {k} Heimetenesta")
    text = "Tilsette\nNamn Fødselsnr Stilling Stillingsprosent Kontonr Eining\n" + "\n".join(rows)
    found = {f.value: (f.type, f.confidence) for f in find(text)}
    assert all(found[k] in (("kontonummer", "medium"), ("kontonummer", "high")) for k in accounts)
    # Without the header line the same rows give accounts only at low confidence.
    bare = {f.value: f.confidence for f in find("\n".join(rows)) if f.type == "kontonummer"}
    assert set(bare.values()) == {"low"}
    # A blank line ends the table: rows below it are not under the header.
    after = {
        f.value: f.confidence
        for f in find(text + "\n\n" + rows[0])
        if f.start > len(text) and f.type == "kontonummer"
    }
    assert after == {accounts[0]: "low"}
