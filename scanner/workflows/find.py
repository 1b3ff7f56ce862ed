"""Finding one person in the inventory by keyed hash (``pvscan find``).

Works on inventories made without ``--reveal``: the number typed by the caseworker is
hashed with the installation key and matched against the stored hashes. Because the
hash is of the digits alone, a fødselsnummer also finds places where the same digits
were read as a kontonummer (and the other way round).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pvscan.identity import masking
from pvscan.inventory import Inventory


def normalise_identifier(text: str) -> str:
    """Digits of a number as typed: ``010190 12345``, ``1234.56.78903``, an IBAN
    ``NO93 8601 1117 947`` (its 11-digit account), a 10-digit fnr that lost its zero."""
    t = text.strip().replace(" ", "").replace("\u00a0", "").upper()
    if t.startswith("NO") and len(t) >= 15:
        t = t[4:]
    digits = "".join(c for c in t if c.isdigit())
    if len(digits) == 10:
        digits = "0" + digits
    if len(digits) != 11:
        raise ValueError(f"not an 11-digit number: {text!r}")
    return digits


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
            }
        )
        return rec


def find(db: str, numbers: list[str]) -> list[Hit]:
    """Every current item holding any of ``numbers`` (fødselsnummer, D-nummer,
    kontonummer, in any common formatting)."""
    hashes = []
    for n in numbers:
        value = normalise_identifier(n)
        hashes.append(masking.keyed_hash(value))
    with Inventory(db, readonly=True) as inv:
        rows = inv.find_by_hash(hashes)
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
        )
        for r in rows
    ]
