"""Search keys as typed: normalised to what the detectors store, or refused with the reason."""

from __future__ import annotations

import random
from datetime import date

import pytest

from pvscan.identity.numbers import complete_fnr
from pvscan.identity.search import (
    name_variants,
    parse_account,
    parse_birth,
    parse_email,
    parse_name,
    parse_person_number,
    parse_phone,
    split_name,
)
from pvscan.testing import make_fnr, make_kontonummer

RNG = random.Random(15)


def _bad_check(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def test_person_numbers_in_common_forms() -> None:
    fnr = make_fnr(date(1990, 1, 1), rng=RNG)
    for typed in (fnr, f"{fnr[:6]} {fnr[6:]}", f"{fnr[:6]}-{fnr[6:]}"):
        key = parse_person_number(typed)
        assert key.values == (fnr,) and key.kind == "fnr" and key.birth == date(1990, 1, 1)
        assert key.shown == "010190*****"
    dnr = make_fnr(date(1985, 5, 17), variant="dnr", rng=RNG)
    assert parse_person_number(dnr).kind == "dnr"
    assert parse_person_number(dnr).birth == date(1985, 5, 17)
    lost_zero = make_fnr(date(1990, 1, 5), rng=RNG)
    assert parse_person_number(lost_zero[1:]).values == (lost_zero,)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("1234", "har 4 sifre"),
        ("0101901234x", "bare ha sifre"),
    ],
)
def test_person_number_refused_with_reason(typed: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_person_number(typed)


def test_wrong_check_digits_and_impossible_dates_are_told_apart() -> None:
    fnr = make_fnr(rng=RNG)
    with pytest.raises(ValueError, match="kontrollsifrene"):
        parse_person_number(_bad_check(fnr))
    # Valid check digits, impossible dates: 31 February; a D-number's day 72 (= 32);
    # an H-number's month 53 (= 13); both day and month over 40.
    for first9, reason in (
        ("310290123", "datoen 31.02.90"),
        ("720190123", "D-nummer"),
        ("015390123", "H-nummer"),
        ("455390123", "både dag og måned"),
    ):
        number = next(n for i in range(100, 1000) if (n := complete_fnr(first9[:6] + str(i))))
        with pytest.raises(ValueError, match=reason):
            parse_person_number(number)


def test_accounts_and_iban() -> None:
    acct = make_kontonummer(RNG, bank="1206")
    assert parse_account(f"{acct[:4]}.{acct[4:6]}.{acct[6:]}").values == (acct,)
    assert parse_account("NO93 8601 1117 947").values == ("86011117947",)
    with pytest.raises(ValueError, match="kontrollsifferet"):
        parse_account(_bad_check(acct))
    with pytest.raises(ValueError, match="IBAN"):
        parse_account("NO94 8601 1117 947")


def test_email_and_phone_as_the_contact_detector_stores_them() -> None:
    assert parse_email(" <Kari.Nordmann@Example.NO> ").values == ("kari.nordmann@example.no",)
    with pytest.raises(ValueError):
        parse_email("kari.nordmann(at)example.no")
    for typed in ("+47 912 34 567", "0047 91234567", "912 34 567", "91 23 45 67"):
        assert parse_phone(typed).values == ("91234567",), typed
    for bad in ("1234", "012 34 567", "ring meg"):
        with pytest.raises(ValueError):
            parse_phone(bad)


def test_names_normalised_and_their_variants() -> None:
    assert split_name("Nordmann, Kari Anne") == ["Kari", "Anne", "Nordmann"]
    key = parse_name("  KARI  Anne Nordmann ")
    assert key.values == ("kari anne nordmann", "kari nordmann")
    assert key.shown == "K*** A*** N*******"
    assert name_variants(["Anne-Lise", "Berg"]) == ("anne-lise berg", "anne lise berg")
    with pytest.raises(ValueError, match="både fornavn og etternavn"):
        parse_name("Kari")
    with pytest.raises(ValueError):
        parse_name("Kari N0rdmann")
    assert parse_birth("01.02.1990") == date(1990, 2, 1)
    with pytest.raises(ValueError):
        parse_birth("31.02.1990")
