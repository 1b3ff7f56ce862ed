"""Search keys as a person types them: parsed into the exact form the inventory hashes,
or refused with a message that says what is wrong.

A caseworker who mistypes one digit of a fødselsnummer must not be told "we hold
nothing about you": a number that cannot exist (check digits, an impossible date, a
D- or H-number whose date does not work either) is refused here, before anything is
searched or written. Every parser returns a :class:`SearchKey` whose ``values`` are
exactly what the detectors store (digits for numbers, lower-case address for e-mail,
the national 8 digits for a phone, the normalised full name), so its keyed hash matches.

Names are normalised here, not in the detector, because the detector and the search
must agree to the letter: the detector imports :func:`normalise_name` from this module.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass

from pvscan.identity import numbers
from pvscan.identity.masking import mask
from pvscan.util.i18n import t


@dataclass(frozen=True)
class SearchKey:
    """One parsed search key.

    ``kind``: ``fnr``, ``dnr``, ``hnr``, ``fh``, ``syntetisk``, ``kontonummer``,
    ``epost``, ``telefon`` or ``navn``. ``values``: the normalised forms whose keyed
    hashes are looked up (a name has several: with and without middle names).
    ``shown``: the masked form for the case overview. ``birth``: a date of birth that
    was given with a name (or is part of a fødselsnummer)."""

    kind: str
    values: tuple[str, ...]
    shown: str
    birth: _dt.date | None = None

    @property
    def is_name(self) -> bool:
        return self.kind == "navn"


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _clean(text: str) -> str:
    return text.strip().replace("\u00a0", "").replace(" ", "").replace(".", "").replace("-", "")


def _eleven_digits(raw: str, text: str, lang: str | None, kind: str) -> str:
    """The 11 digits of a typed number (``raw``, cleaned of spaces and dots), with the
    leading zero a spreadsheet took put back; else why not (``key.<kind>_chars``,
    ``key.<kind>_length``)."""
    if not raw.isdigit():
        raise ValueError(t(f"key.{kind}_chars", lang, value=text))
    digits = "0" + raw if len(raw) == 10 else raw
    if len(digits) != 11:
        raise ValueError(t(f"key.{kind}_length", lang, value=text, n=len(raw)))
    return digits


def parse_person_number(text: str, lang: str | None = None) -> SearchKey:
    """A fødselsnummer, D-nummer, H-nummer or synthetic test number, in any common
    formatting (``010190 12345``, ``010190-12345``); a 10-digit number that lost its
    leading zero in a spreadsheet is taken back."""
    digits = _eleven_digits(_clean(text), text, lang, "fnr")
    if not numbers.mod11_ok(digits) or numbers.k1_remainder(digits) > 3:
        raise ValueError(t("key.fnr_check", lang, value=text))
    info = numbers.classify_checked(digits)
    if info is None:
        raise ValueError(_date_problem(digits, text, lang))
    return SearchKey(info.variant, (digits,), mask("fodselsnummer", digits), info.birth)


def _date_problem(digits: str, text: str, lang: str | None) -> str:
    """Why a number with good check digits is still not a person number: its date."""
    day, month = int(digits[:2]), int(digits[2:4])
    shown = f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}"
    if day > 40 and month > 40:
        return t("key.fnr_dh", lang, value=text)
    if day > 40:
        return t("key.dnr_date", lang, value=text, date=f"{day - 40:02d}.{digits[2:4]}.{digits[4:6]}")
    if month > 40:
        return t("key.hnr_date", lang, value=text, date=f"{digits[:2]}.{month - 40:02d}.{digits[4:6]}")
    return t("key.fnr_date", lang, value=text, date=shown)


def parse_account(text: str, lang: str | None = None) -> SearchKey:
    """A kontonummer (``1234.56.78903``, ``1234 56 78903``) or a Norwegian IBAN
    (``NO93 8601 1117 947``), checked by its MOD11 (and the IBAN's mod 97) check digit.
    A 10-digit account that lost its leading zero is taken back."""
    raw = _clean(text).upper()
    if raw.startswith("NO"):
        if not numbers.iban_no_ok(raw):
            raise ValueError(t("key.iban_check", lang, value=text))
        raw = raw[4:]
    digits = _eleven_digits(raw, text, lang, "acct")
    if not numbers.mod11_ok(digits):
        raise ValueError(t("key.acct_check", lang, value=text))
    return SearchKey("kontonummer", (digits,), mask("kontonummer", digits))


_EMAIL = re.compile(r"^[A-Za-z0-9._%+'\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")


def parse_email(text: str, lang: str | None = None) -> SearchKey:
    """An e-mail address, lower-cased as the contact detector stores it."""
    value = text.strip().strip("<>").strip().lower()
    if value.startswith("mailto:"):
        value = value[7:]
    if not _EMAIL.match(value):
        raise ValueError(t("key.email", lang, value=text))
    return SearchKey("epost", (value,), mask("epost", value))


def parse_phone(text: str, lang: str | None = None) -> SearchKey:
    """A phone number as the contact detector stores it: the 8 national digits
    (``+47 912 34 567``, ``0047 91234567``, ``912 34 567``); a foreign number keeps
    its digits after the two-digit country code, as the detector does."""
    raw = text.strip().replace("\u00a0", " ")
    if re.search(r"[^\d\s+().\-]", raw):
        raise ValueError(t("key.phone", lang, value=text))
    intl = raw.startswith(("+", "00"))
    digits = _digits(raw)
    if digits.startswith("0047"):
        digits = digits[4:]
    elif intl:  # as the detector: "+47…" loses its country code, "00…" its 00
        digits = digits[2:]
    elif len(digits) == 10 and digits.startswith("47"):
        digits = digits[2:]
    if not intl and (len(digits) != 8 or digits[0] in "01"):
        raise ValueError(t("key.phone", lang, value=text))
    if intl and not 6 <= len(digits) <= 13:
        raise ValueError(t("key.phone", lang, value=text))
    return SearchKey("telefon", (digits,), mask("telefon", digits))


def parse_birth(text: str, lang: str | None = None) -> _dt.date:
    """A date of birth: ``DD.MM.YYYY``, ``YYYY-MM-DD`` or ``DDMMYYYY``."""
    s = text.strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d%m%Y", "%d/%m/%Y"):
        try:
            d = _dt.datetime.strptime(s, fmt).date()
        except ValueError:
            continue
        if d > _dt.date.today() or d.year < 1850:
            break
        return d
    raise ValueError(t("key.birth", lang, value=text))


# ------------------------------------------------------------------ names
#: Letters a name may hold besides the alphabet: hyphen, apostrophe, space.
_NAME_OK = re.compile(r"^[^\W\d_]+(?:[-'’][^\W\d_]+)*$")
_HYPHEN = re.compile(r"\s*-\s*")


def normalise_name(parts: list[str] | tuple[str, ...]) -> str:
    """The stored form of a full name: its parts in reading order (first names first),
    NFC, lower-case, one space between parts, hyphens kept (``anne-lise``).

    The detector and the search both call this, so "KARI  Nordmann", "Kari Nordmann"
    and "Nordmann, Kari" all hash alike."""
    out = []
    for p in parts:
        p = unicodedata.normalize("NFC", p).strip().replace("’", "'")
        if "-" in p:
            p = _HYPHEN.sub("-", p)
        if p:
            out.append(p.lower())
    return " ".join(out)


def name_variants(parts: list[str]) -> tuple[str, ...]:
    """The forms of a name a document may use: the full name, and the first name with
    the last surname (documents often leave middle names out; "Kari Anne Nordmann"
    is "Kari Nordmann" in an e-mail). Only forms with a first name and the surname:
    which of the middle parts are first names and which a first surname cannot be
    told from the typed name, and "Kari Anne" alone would be a first name."""
    full = normalise_name(parts)
    out = [full]
    if len(parts) >= 3:
        out.append(normalise_name([parts[0], parts[-1]]))
        if len(parts) >= 4:
            out.append(normalise_name([parts[0], parts[1], parts[-1]]))
    first = parts[0]
    if "-" in first:  # Anne-Lise Berg is also written Anne Lise Berg
        out.append(normalise_name([*first.split("-"), *parts[1:]]))
    return tuple(dict.fromkeys(out))


def split_name(text: str, lang: str | None = None) -> list[str]:
    """The parts of a name as typed, first names first: ``Kari Nordmann``,
    ``Nordmann, Kari``, ``Anne-Lise Berg Hansen``. At least a first name and a
    surname: one name alone would find every Kari."""
    s = unicodedata.normalize("NFC", text).strip()
    s = re.sub(r"\s*-\s*", "-", s)
    if "," in s:
        last, _, first = s.partition(",")
        if "," in first:
            raise ValueError(t("key.name", lang, value=text))
        s = f"{first.strip()} {last.strip()}"
    parts = s.split()
    if len(parts) < 2:
        raise ValueError(t("key.name_short", lang, value=text))
    if not all(_NAME_OK.match(p) for p in parts):
        raise ValueError(t("key.name", lang, value=text))
    return parts


def parse_name(text: str, birth: _dt.date | None = None, lang: str | None = None) -> SearchKey:
    """A full name (optionally with a date of birth to tell namesakes apart)."""
    parts = split_name(text, lang)
    variants = name_variants(parts)
    return SearchKey("navn", variants, mask("navn", variants[0]), birth)
