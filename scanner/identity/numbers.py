"""Check-digit arithmetic for Norwegian identifiers, free of any text handling.

Kept apart from the detectors so tests (and other plugins) can validate and generate
numbers with exactly the rules the scanner applies. See the module docstrings of
:mod:`pvscan.patterns.identifiers` for how these rules meet text.
"""

from __future__ import annotations

import datetime as _dt
from typing import NamedTuple

W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


#: 48 (ord "0") times the weights plus the check digit's 1: subtracted once instead of
#: per digit.
_OFF2 = 48 * (sum(W2) + 1)
_OFF1 = 48 * (sum(W1) + 1)


def mod11_ok(digits: str) -> bool:
    """Kontonummer rule (also the fødselsnummer k2 rule): weights 5,4,3,2,7,6,5,4,3,2.

    Unrolled over the character codes: it runs for every 11-digit run in a document."""
    if len(digits) < 11 or not digits.isascii():
        return _mod11_slow(digits)
    b = digits.encode()
    s = 5 * b[0] + 4 * b[1] + 3 * b[2] + 2 * b[3] + 7 * b[4] + 6 * b[5] + 5 * b[6] + 4 * b[7] + 3 * b[8]
    return (s + 2 * b[9] + b[10] - _OFF2) % 11 == 0


def _mod11_slow(digits: str) -> bool:
    s = sum(w * (ord(c) - 48) for w, c in zip(W2, digits, strict=False))
    return (s + ord(digits[10]) - 48) % 11 == 0


def k1_remainder(digits: str) -> int:
    """0 under the 1964 rule; 1-3 are also valid for numbers issued from 2032."""
    if len(digits) < 10 or not digits.isascii():
        s = sum(w * (ord(c) - 48) for w, c in zip(W1, digits, strict=False))
        return (s + ord(digits[9]) - 48) % 11
    b = digits.encode()
    s = 3 * b[0] + 7 * b[1] + 6 * b[2] + b[3] + 8 * b[4] + 9 * b[5] + 4 * b[6] + 5 * b[7] + 2 * b[8]
    return (s + b[9] - _OFF1) % 11


def _century(ind: int, yy: int) -> int | None:
    if ind <= 499:
        return 1900
    if 500 <= ind <= 749 and yy >= 54:
        return 1800
    if ind >= 500 and yy <= 39:
        return 2000
    if ind >= 900 and yy >= 40:
        return 1900
    return None


#: Days per month, February as in a leap year (the year is checked apart).
_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _date_ok(day: int, month: int, year: int | None, yy: int) -> bool:
    if not (1 <= month <= 12 and 1 <= day <= _DAYS[month]):
        return False
    if month == 2 and day == 29:
        return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) if year else yy % 4 == 0
    return True


class FnrInfo(NamedTuple):
    """What an 11-digit string is as a member of the fødselsnummer family.

    ``variant``: fnr, dnr, hnr, fh or syntetisk. ``rule2032``: the first check digit is
    only valid under the rules announced for 2032 (remainder 1-3). ``century_ok``: the
    individual number fits the pre-2032 century table (false for 2032-rule numbers).
    (A named tuple: it is made for every valid candidate, and cheaply.)
    """

    variant: str
    rule2032: bool
    century_ok: bool
    birth: _dt.date | None


def classify_fnr(digits: str) -> FnrInfo | None:
    """Validate ``digits`` (exactly 11 digits) as any fødselsnummer variant."""
    if len(digits) != 11 or not digits.isdigit() or not mod11_ok(digits):
        return None
    return classify_checked(digits)


def classify_checked(digits: str) -> FnrInfo | None:
    """:func:`classify_fnr` for 11 digits that already passed :func:`mod11_ok`.

    It runs for every candidate that passes the first test, so it works on the
    character codes (``b[i] - 48``) rather than converting slices to ``int``."""
    if not digits.isascii():
        return _classify_slow(digits)
    b = digits.encode()
    r = (
        3 * b[0]
        + 7 * b[1]
        + 6 * b[2]
        + b[3]
        + 8 * b[4]
        + 9 * b[5]
        + 4 * b[6]
        + 5 * b[7]
        + 2 * b[8]
        + b[9]
        - _OFF1
    ) % 11
    if r > 3:
        return None
    if b[0] >= 56:  # 8 or 9: felles hjelpenummer: no date, 1964 check digits
        return _FH if r == 0 else None
    return _classify_date(
        r,
        10 * b[0] + b[1] - 528,
        10 * b[2] + b[3] - 528,
        10 * b[4] + b[5] - 528,
        100 * b[6] + 10 * b[7] + b[8] - 5328,
    )


def _classify_slow(digits: str) -> FnrInfo | None:
    r = k1_remainder(digits)
    if r > 3:
        return None
    if int(digits[0]) >= 8:
        return _FH if r == 0 else None
    return _classify_date(r, int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6:9]))


_new_info = tuple.__new__


def _classify_date(r: int, day: int, month: int, yy: int, ind: int) -> FnrInfo | None:
    """Variant, century and birth date from the parts of a number with k1 remainder r."""
    variant = "fnr"
    if day > 40:
        day -= 40
        variant = "dnr"
    if 81 <= month <= 92:  # Tenor / Test-Norge (Skatteetaten)
        month -= 80
        variant = "syntetisk"
    elif 66 <= month <= 77:  # FHI's synthetic population (SyntPop)
        month -= 65
        variant = "syntetisk"
    elif 41 <= month <= 52:
        month -= 40
        variant = "hnr"
    rule2032 = r != 0
    if rule2032:
        if variant == "hnr":
            return None  # the 2032 rule is announced for F and D numbers (and test numbers)
        year: int | None = 2000 + yy
        century_ok = False
    else:
        century = _century(ind, yy)
        century_ok = century is not None
        year = century + yy if century is not None else None
    if year is None:
        if not _date_ok(day, month, year, yy):
            return None
        birth = None
    else:
        # The date constructor checks exactly what _date_ok checks when the year is
        # known (month, day of month, 29 February in a leap year), and the date is
        # wanted anyway: one check instead of two for every valid number.
        try:
            birth = _dt.date(year, month, day)
        except ValueError:
            return None
    return _new_info(FnrInfo, (variant, rule2032, century_ok, birth))  # type: ignore[return-value]


_FH = FnrInfo("fh", False, True, None)


def is_strict(info: FnrInfo) -> bool:
    """An ordinary F or D number under the 1964 rule with a consistent century."""
    return info.variant in ("fnr", "dnr") and not info.rule2032 and info.century_ok


def is_strict_fnr(digits: str) -> bool:
    """``digits`` are an ordinary F or D number (see :func:`is_strict`)."""
    info = classify_fnr(digits)
    return info is not None and is_strict(info)


def iban_no_ok(s: str) -> bool:
    """ISO 7064 mod 97-10 of a Norwegian IBAN (``NO`` + 13 digits, no spaces)."""
    if len(s) != 15 or not s[:2].upper() == "NO" or not s[2:].isdigit():
        return False
    rearranged = s[4:] + "2324" + s[2:4]  # N=23, O=24
    return int(rearranged) % 97 == 1


# ------------------------------------------------------------------ generation
def _k(weights: tuple[int, ...], digits: str) -> int | None:
    r = sum(w * int(c) for w, c in zip(weights, digits, strict=False)) % 11
    k = (11 - r) % 11
    return None if k == 10 else k


def complete_fnr(first9: str) -> str | None:
    """Append both 1964-rule check digits, or None if the prefix can never be valid."""
    k1 = _k(W1, first9)
    if k1 is None:
        return None
    k2 = _k(W2, first9 + str(k1))
    return None if k2 is None else f"{first9}{k1}{k2}"


def complete_kontonummer(first10: str) -> str | None:
    k = _k(W2, first10)
    return None if k is None else f"{first10}{k}"
