"""Access-request cases opened in the web app (innsyn, GDPR art. 15).

A case is opened with the person's numbers (fødselsnummer, D-nummer, kontonummer). They
are used once, in that request: hashed with the installation key, masked for display,
and handed to :func:`pvscan.workflows.access.access_request`, which writes the case folder
(overview as HTML and XLSX). The case row keeps only keyed hashes and masked values, so
the case can be shown again and its overview downloaded without the numbers being
stored anywhere in clear.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from pvscan.inventory import Inventory, now_iso
from pvscan.util.paths import data_dir
from pvscan.workflows.access import access_request
from pvscan.workflows.find import guess_key, key_hashes
from pvscan.workflows.org import Org

#: Files of a case folder that may be downloaded.
DOWNLOADS = ("oversikt.xlsx", "oversikt.html")


@dataclass
class CaseHit:
    display: str
    inner: str
    type: str
    masked: str
    location: str
    owner: str


def cases_root(org: Org) -> str:
    return org.cases_dir or str(data_dir() / "innsyn")


def open_case(
    db_path: str,
    inv: Inventory,
    org: Org,
    numbers: list[str],
    user: str,
    lang: str = "nb",
    copies: bool = False,
) -> int:
    """Open a case for ``numbers`` — one search key per entry: fødselsnummer, D-nummer,
    kontonummer, name, e-mail or phone (raises ``ValueError`` saying what is wrong with
    the first bad one). With ``copies`` and the organisation's ``case_copies``, also make
    copies of the files with every other person's identifiers blacked out."""
    keys = [guess_key(n, lang) for n in numbers if n.strip()]
    if not keys:
        raise ValueError("no search key")
    hashes = sorted(key_hashes(keys))
    masked = ", ".join(k.shown for k in keys)
    root = cases_root(org)
    os.makedirs(root, mode=0o700, exist_ok=True)
    folder = os.path.join(
        root, "sak-" + now_iso().replace(":", "").replace("+", "_")[:17] + "-" + os.urandom(2).hex()
    )
    result = access_request(db_path, keys, folder, copies=copies and org.case_copies, lang=lang)
    case_id = inv.add_case(user, now_iso(), masked, json.dumps(hashes), result.out, len(result.items))
    inv.audit(now_iso(), user, "case_open", f"case:{case_id}", f"{len(result.items)} items")
    return case_id


def case_hits(inv: Inventory, case_id: int) -> list[CaseHit]:
    row = inv.case_row(case_id)
    if row is None:
        raise LookupError(case_id)
    hits = []
    for r in inv.find_by_hash(json.loads(row["hashes"])):
        routed = inv.routed_item(r["item_id"])
        owner = routed["owner"] if routed is not None else r["owner"] or ""
        hits.append(CaseHit(r["display"], r["inner"], r["type"], r["masked"], r["location"] or "", owner))
    return hits


def case_files(inv: Inventory, case_id: int) -> list[str]:
    """What may be downloaded from a case: the overview, and the redacted copies
    (``kopier/…``) when the case made them."""
    row = inv.case_row(case_id)
    if row is None:
        raise LookupError(case_id)
    names = [n for n in DOWNLOADS if os.path.exists(os.path.join(row["folder"], n))]
    copies = os.path.join(row["folder"], "kopier")
    if os.path.isdir(copies):
        names += [f"kopier/{n}" for n in sorted(os.listdir(copies))]
    return names


def case_file(inv: Inventory, case_id: int, name: str) -> str:
    """The path of one downloadable file of a case (only names :func:`case_files` lists)."""
    if name not in case_files(inv, case_id):
        raise LookupError(name)
    row = inv.case_row(case_id)
    return os.path.join(row["folder"], name)  # type: ignore[index]
