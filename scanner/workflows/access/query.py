"""The access request's query: the requester's items from the inventory, where each
holds the person's identifiers and what else it holds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from pvscan.identity.masking import keyed_hash, linked_facts
from pvscan.identity.search import SearchKey
from pvscan.inventory import Inventory
from pvscan.workflows.find import as_key, key_hashes
from pvscan.workflows.reportdata import IDENTIFIERS

#: How an item was found, strongest first. An item found by a number, an e-mail
#: address or a phone number is the person's; one found only by name may be a
#: namesake's, and the overview says so.
STRONG, NAME_BIRTH, NAME, NAME_OTHER = "identifier", "name_birth", "name", "name_other"


@dataclass
class AccessItem:
    display: str
    path: bytes
    source: str
    kind: str
    owner: str
    mtime: str
    first_seen: str
    locations: list[tuple[str, str, str]] = field(default_factory=list)  # (inner, location, type)
    other_types: Counter[str] = field(default_factory=Counter)
    other_ids: int = 0
    copy: str = ""
    copy_note: str = ""
    residual: int = 0
    #: The kinds of search key that matched (fnr, kontonummer, epost, telefon, navn).
    found_by: set[str] = field(default_factory=set)
    #: STRONG, NAME_BIRTH, NAME or NAME_OTHER (see :func:`evidence`).
    evidence: str = STRONG

    @property
    def weak(self) -> bool:
        """Found by name alone: the caseworker must confirm it is the same person."""
        return self.evidence in (NAME, NAME_OTHER)


@dataclass
class AccessResult:
    out: str
    items: list[AccessItem]
    files: list[str]
    masked_ids: list[str]

    #: Items where the name stands only beside another person's birth date: probably
    #: a namesake; shown apart, not counted as the requester's.
    namesakes: list[AccessItem] = field(default_factory=list)

    @property
    def weak(self) -> int:
        return sum(1 for i in self.items if i.weak)

    @property
    def copies(self) -> int:
        return sum(1 for i in self.items if i.copy)

    @property
    def manual(self) -> int:
        return sum(1 for i in self.items if i.copy_note and not i.copy)


def _date(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9).strftime("%Y-%m-%d") if ns else ""


def _births(masked_ids: list[str]) -> set[str]:
    """The DDMMYY birth dates of the fødselsnummer/D-nummer findings of an item, from
    their masked form (``010190*****``: the date is all the mask keeps)."""
    out = set()
    for m in masked_ids:
        d = m[:6]
        if len(m) == 11 and d.isdigit():
            day = int(d[:2])
            out.add(f"{day - 40:02d}{d[2:]}" if day > 40 else d)
    return out


def evidence(
    found_by: set[str], confirmed: bool, contradicted: bool, free: bool, small_doc_birth: bool
) -> str:
    """How strong a hit is. Any number, e-mail address or phone number is strong.

    A name alone is weaker. What stands on the name's line (a register row, an e-mail
    address line) settles it where the caseworker gave the same kind of key: the
    requester's birth date there confirms (``confirmed``); a line with another birth
    date, e-mail address, phone or account number (``contradicted``) and none with the
    requester's means a namesake, also where the name stands alone elsewhere in the
    file (``free``): one full name in one file is one person. A name standing freely is
    confirmed by the requester's birth date among the fødselsnumre of a document
    about few people (``small_doc_birth``, see :data:`FEW_NUMBERS`): in a register
    some other row shares the birth date by chance."""
    if found_by - {"navn"}:
        return STRONG
    if confirmed:
        return NAME_BIRTH
    if contradicted:
        return NAME_OTHER
    if small_doc_birth:
        return NAME_BIRTH
    return NAME


#: A document with at most this many fødselsnumre is about few people: the
#: requester's birth date among them confirms a name that stands freely.
FEW_NUMBERS = 3


def split_namesakes(items: list[AccessItem]) -> tuple[list[AccessItem], list[AccessItem]]:
    """(the requester's items, items that are probably a namesake's)."""
    return [i for i in items if i.evidence != NAME_OTHER], [i for i in items if i.evidence == NAME_OTHER]


def collect(db_path: str, keys: Sequence[str | SearchKey]) -> tuple[list[AccessItem], set[str]]:
    """The requester's items from the inventory, with the other data in each and how
    each was found."""
    wanted = key_hashes(keys)
    mine = set(wanted)
    parsed = [as_key(k) for k in keys]
    # What the requester's lines would hold, in the form the inventory keeps a name's
    # linked facts (birth date DDMMYY; e-mail and phone as short keyed hashes).
    own = {
        "f": {k.birth.strftime("%d%m%y") for k in parsed if isinstance(k.birth, date)},
        "e": {keyed_hash(v)[:12] for k in parsed if k.kind == "epost" for v in k.values},
        "t": {keyed_hash(v)[:12] for k in parsed if k.kind == "telefon" for v in k.values},
        "k": {keyed_hash(v)[:12] for k in parsed if k.kind == "kontonummer" for v in k.values},
    }
    with Inventory(db_path, readonly=True) as inv:
        started = {r["id"]: (r["started"] or "")[:10] for r in inv.scan_rows()}
        rows = inv.find_by_hash(sorted(mine))
        by_item: dict[int, AccessItem] = {}
        # Per item: did a line with the name confirm, contradict, or say nothing?
        confirmed: set[int] = set()
        contradicted: set[int] = set()
        free: set[int] = set()
        for r in rows:
            it = by_item.get(r["item_id"])
            if it is None:
                meta = inv.item_row(r["item_id"])
                it = by_item[r["item_id"]] = AccessItem(
                    r["display"],
                    bytes(r["path"]),
                    meta["source"],
                    r["kind"] or "",
                    r["owner"] or "",
                    _date(r["mtime_ns"] or 0),
                    started.get(meta["first_seen"], ""),
                )
            key = wanted[r["hash"]]
            it.found_by.add("navn" if key.is_name else key.kind)
            if key.is_name:
                facts = linked_facts(r["variant"])
                part = r["item_id"]
                if any(facts.get(k, set()) & own[k] for k in own):
                    confirmed.add(part)
                elif any(facts.get(k) and own[k] for k in own):
                    contradicted.add(part)
                else:
                    free.add(part)
            loc = (r["inner"], r["location"] or "", r["type"])
            if loc not in it.locations:
                it.locations.append(loc)
        for item_id, it in by_item.items():
            others: set[str] = set()
            fnr_masks = []
            for f in inv.findings_for(item_id):
                if f["type"] == "fodselsnummer":
                    fnr_masks.append(f["masked"])
                if f["hash"] in mine:
                    continue
                if f["type"] in IDENTIFIERS:
                    others.add(f["hash"])
                else:
                    it.other_types[f["type"]] += f["count"] or 1
            it.other_ids = len(others)
            births_in_item = _births(fnr_masks)
            small_doc_birth = len(births_in_item) <= FEW_NUMBERS and bool(own["f"] & births_in_item)
            # One full name in one file is one person: where a line with the name holds
            # a namesake's details (the From line, a register row), the name standing
            # alone elsewhere in the file (the signature) is the namesake's too.
            it.evidence = evidence(
                it.found_by, item_id in confirmed, item_id in contradicted, item_id in free, small_doc_birth
            )
    return sorted(by_item.values(), key=lambda i: i.display), mine
