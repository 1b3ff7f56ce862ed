"""Finding one person in the inventory by keyed hash (``pvscan find``).

Works on inventories made without ``--reveal``: the number typed by the caseworker is
hashed with the installation key and matched against the stored hashes. Because the
hash is of the digits alone, a fødselsnummer also finds places where the same digits
were read as a kontonummer (and the other way round).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pvscan.identity import masking
from pvscan.identity.search import (
    SearchKey,
    parse_account,
    parse_birth,
    parse_email,
    parse_name,
    parse_person_number,
    parse_phone,
)
from pvscan.inventory import Inventory
from pvscan.util.i18n import t


def normalise_identifier(text: str) -> str:
    """Digits of a number as typed: ``010190 12345``, ``1234.56.78903``, an IBAN
    ``NO93 8601 1117 947`` (its 11-digit account), a 10-digit fnr that lost its zero.

    Checked: a number that is neither a valid fødselsnummer/D-nummer nor a valid
    kontonummer raises ``ValueError`` with the fødselsnummer's reason (what a
    caseworker most often types)."""
    return as_key(text).values[0]


def as_key(value: str | SearchKey) -> SearchKey:
    """A typed number of unknown kind as a :class:`SearchKey`: a person number when it
    is one, else a kontonummer/IBAN, else the person number's error."""
    if isinstance(value, SearchKey):
        return value
    try:
        return parse_person_number(value)
    except ValueError as exc:
        try:
            return parse_account(value)
        except ValueError:
            raise exc from None


def guess_key(text: str, lang: str | None = None) -> SearchKey:
    """One line a caseworker typed, of any kind: an e-mail address (has ``@``), a name
    (has letters, and is not an IBAN), a phone number (8 digits, or ``+47`` …), else a
    fødselsnummer, D-nummer or kontonummer. Raises ``ValueError`` saying what is wrong."""
    line = text.strip()
    if "@" in line:
        return parse_email(line, lang)
    compact = line.replace(" ", "").upper()
    if any(c.isalpha() for c in line) and not compact.startswith("NO"):
        return parse_name(line, None, lang)
    digits = "".join(c for c in line if c.isdigit())
    if line.startswith("+") or len(digits) == 8:
        return parse_phone(line, lang)
    return as_key(line)


def parse_keys(
    fnr: Iterable[str] = (),
    accounts: Iterable[str] = (),
    names: Iterable[str] = (),
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    birth: str | None = None,
    lang: str | None = None,
) -> list[SearchKey]:
    """Every search key a caseworker typed, parsed; the first bad one raises
    ``ValueError`` saying what is wrong (nothing has been searched or written yet).
    A date of birth belongs to the names; a fødselsnummer's date counts too."""
    born: _dt.date | None = parse_birth(birth, lang) if birth else None
    keys = [parse_person_number(x, lang) for x in fnr]
    keys += [parse_account(x, lang) for x in accounts]
    keys += [parse_email(x, lang) for x in emails]
    keys += [parse_phone(x, lang) for x in phones]
    name_list = list(names)
    if born and not name_list:
        raise ValueError(t("key.birth_alone", lang))
    keys += [parse_name(x, born, lang) for x in name_list]
    if not keys:
        raise ValueError(t("key.none", lang))
    return keys


def key_hashes(keys: Sequence[str | SearchKey]) -> dict[str, SearchKey]:
    """keyed hash -> the key it comes from, for every value of every key."""
    out: dict[str, SearchKey] = {}
    for k in map(as_key, keys):
        for v in k.values:
            out.setdefault(masking.keyed_hash(v), k)
    return out


@dataclass
class Hit:
    file: str
    item: str
    type: str
    masked: str
    location: str
    confidence: str
    owner: str
    mtime_ns: int
    kind: str
    #: The kind of search key that found it (fnr, kontonummer, epost, telefon, navn).
    found_by: str = ""

    def as_record(self) -> dict[str, Any]:
        rec: dict[str, Any] = {"file": self.file}
        if self.item:
            rec["item"] = self.item
        rec.update(
            {
                "type": self.type,
                "value": self.masked,
                "location": self.location,
                "confidence": self.confidence,
                "owner": self.owner,
                "found_by": self.found_by,
            }
        )
        return rec


def find(db: str, keys: Sequence[str | SearchKey]) -> list[Hit]:
    """Every current item holding any of ``keys``: parsed :class:`SearchKey` objects,
    or numbers as typed (fødselsnummer, D-nummer, kontonummer, in any common
    formatting)."""
    wanted = key_hashes(keys)
    with Inventory(db, readonly=True) as inv:
        rows = inv.find_by_hash(sorted(wanted))
    return [
        Hit(
            r["display"],
            r["inner"],
            r["type"],
            r["masked"],
            r["location"] or "",
            r["confidence"] or "",
            r["owner"] or "",
            r["mtime_ns"] or 0,
            r["kind"] or "",
            wanted[r["hash"]].kind,
        )
        for r in rows
    ]
