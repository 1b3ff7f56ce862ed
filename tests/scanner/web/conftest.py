"""A small organisation with known numbers, scanned into a real inventory, and a
Django test client per person.

Layout (the corpus root stands for a file server)::

    home/kari/…   kari's home folder (unit oppvekst, led by lise)
    home/ola/…    ola's home folder  (unit helse, led by hans)
    felles/…      a share: routed to the fallback remediator ola
    ukjent/…      a root with no rule: undistributed

Every number in it is generated (valid check digits) and listed in ``corpus.numbers``
so the tests can prove none of them appears in any response.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import docx
import openpyxl
import pytest

from pvscan.inventory import Inventory
from pvscan.scan import scan
from pvscan.testing import make_fnr, make_kontonummer
from pvscan.web import settings as web_settings
from pvscan.web.state import WebState, install
from pvscan.workflows.org import from_dict
from pvscan.workflows.owners import route

RNG = random.Random(1414)


@dataclass
class Corpus:
    root: Path
    db: str
    numbers: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    state: WebState | None = None


def _docx(path: Path, lines: list[str]) -> None:
    d = docx.Document()
    for line in lines:
        d.add_paragraph(line)
    d.save(path)


def _xlsx(path: Path, rows: list[list[object]]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)


def build_corpus(tmp: Path) -> Corpus:
    root = tmp / "srv"
    c = Corpus(root, str(tmp / "inv.sqlite"))
    a, b, d, e = (make_fnr(rng=RNG) for _ in range(4))
    dnr = make_fnr(rng=RNG, variant="dnr")
    acct = make_kontonummer(RNG)
    c.numbers = [a, b, d, e, dnr, acct]
    for p in ("home/kari", "home/ola", "felles/okonomi", "ukjent"):
        (root / p).mkdir(parents=True)
    _docx(
        root / "home/kari/helsenotat.docx",
        ["Pasientnotat", f"Fødselsnummer {a}", "Diagnose: diabetes, innlagt på sykehus."],
    )
    _docx(root / "home/kari/soknad.docx", ["Søknad om barnehageplass", f"Søker fødselsnummer {b}"])
    _xlsx(root / "home/kari/liste.xlsx", [["Navn", "Fødselsnummer"], ["A", d], ["B", dnr]])
    (root / "home/kari/notat.txt").write_text(f"Ring tilbake, fnr {e}\n", encoding="utf-8")
    _docx(
        root / "home/ola/lonn.docx",
        ["Lønnsslipp", f"Kontonummer {acct[:4]}.{acct[4:6]}.{acct[6:]}", f"fødselsnummer {a}"],
    )
    _xlsx(root / "felles/okonomi/utbetalinger.xlsx", [["Mottaker", "Konto"], [f"fnr {b}", f"{acct}"]])
    (root / "ukjent/gammel.txt").write_text(f"Fødselsnummer: {d}\n", encoding="utf-8")
    scan([str(root)], c.db, workers=0)
    c.files = {
        "kari": ["helsenotat.docx", "soknad.docx", "liste.xlsx", "notat.txt"],
        "ola": ["lonn.docx", "utbetalinger.xlsx"],
        "": ["gammel.txt"],
    }
    return c


def org_config(root: Path, tmp: Path) -> dict:
    return {
        "dpo": ["per"],
        "caseworkers": ["siri"],
        "deletion": True,
        "quarantine": str(tmp / "karantene"),
        "audit_log": str(tmp / "sletting.jsonl"),
        "cases_dir": str(tmp / "innsyn"),
        "units": {
            "oppvekst": {"name": "Oppvekst", "leaders": ["lise"]},
            "helse": {"name": "Helse", "leaders": ["hans"], "retention_days": 1},
        },
        "users": {
            "kari": {"unit": "oppvekst", "email": "kari@kommune.test", "name": "Kari Nordmann"},
            "ola": {"unit": "helse", "email": "ola@kommune.test", "name": "Ola Nordmann"},
            "lise": {"unit": "oppvekst"},
            "hans": {"unit": "helse"},
            "per": {},
            "siri": {},
        },
        "roots": [
            {"path": str(root / "home"), "home": str(root / "home") + "/{user}/"},
            {"path": str(root / "felles"), "remediator": "ola", "retention_days": 3650},
        ],
    }


@pytest.fixture()
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Corpus:
    """A fresh corpus (files and inventory) for one test: scanning is cheap enough at
    this size, and deletion tests move files."""
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "pvhome"))
    c = build_corpus(tmp_path)
    org = from_dict(org_config(c.root, tmp_path))
    with Inventory(c.db) as inv:
        route(inv, org)
    web_settings.setup(secure_cookies=False)
    c.state = install(WebState(c.db, org, "header"))
    return c


@pytest.fixture()
def client_for(corpus: Corpus):
    """``client_for("kari")``: a Django test client that is kari, through the trusted header."""
    from django.test import Client

    def make(user: str | None, enforce_csrf: bool = True) -> Client:
        headers = {"X-Remote-User": user} if user else {}
        return Client(enforce_csrf_checks=enforce_csrf, REMOTE_ADDR="127.0.0.1", headers=headers)

    return make
