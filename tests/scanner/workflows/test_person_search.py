"""Person search end to end with real files (python-docx, openpyxl): an access request
by name, e-mail and phone; no name in clear in the inventory; mistyped keys and missing
scan roots refused with exit code 2 and nothing written."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from reportlab.pdfgen import canvas

from pvscan.cli import main
from pvscan.scan import scan
from pvscan.testing import make_fnr, make_kontonummer
from pvscan.workflows.access import access_request, collect
from pvscan.workflows.access.query import NAME, NAME_BIRTH, NAME_OTHER, STRONG
from pvscan.workflows.find import parse_keys

RNG = random.Random(1515)
KARI = make_fnr(date(1990, 1, 1), rng=RNG)
OTHER = make_fnr(date(1971, 6, 5), rng=RNG)  # a namesake's number in a register
ACCT = make_kontonummer(RNG, bank="1206")


def _docx(path: Path, paragraphs: list[str]) -> None:
    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    d.save(str(path))


@pytest.fixture()
def share(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PVSCAN_LANG", "nb")
    root = tmp_path / "share"
    root.mkdir()
    # Names the person without any number.
    _docx(
        root / "brev.docx", ["Hei, gjeld Kari Nordmann som søkte om avlastning.", "Vi kjem tilbake til saka."]
    )
    # A similar name: another person.
    _docx(
        root / "annan.docx",
        ["Hei, gjeld Kari Nordmo som søkte om avlastning.", "Karin Nordmann er orientert."],
    )
    # Reached by e-mail address and phone number only.
    (root / "epost.txt").write_text(
        "Fra: saksbehandler\nSend svaret til kari.nordmann@example.no eller ring 912 34 567.\n",
        encoding="utf-8",
    )
    # Another Kari Nordmann's e-mail address on the name's line.
    (root / "annan_kari.txt").write_text(
        "Til: Kari Nordmann <kari.nordmann@firma.example>\nMøtet er flytta til torsdag.\n", encoding="utf-8"
    )
    # A register: the name beside a namesake's number.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Navn", "Fødselsnummer", "Adresse"])
    ws.append(["Kari Nordmann", OTHER, "Fjellvegen 2"])
    ws.append(["Per Hansen", make_fnr(rng=RNG), "Storgata 1"])
    wb.save(str(root / "register.xlsx"))
    # Her number and her name in a form (Etternavn, Fornavn).
    _docx(
        root / "vedtak.docx", ["Vedtak", "Gjelder: Nordmann, Kari", f"Fødselsnummer: {KARI}", f"Konto {ACCT}"]
    )
    db = str(tmp_path / "inv.sqlite")
    scan([str(root)], db, workers=0)
    return root, db


def test_access_request_by_name_email_and_phone(share: tuple[Path, str], tmp_path: Path) -> None:
    root, db = share
    keys = parse_keys([KARI], [], ["Kari Nordmann"], ["Kari.Nordmann@example.no"], ["+47 91234567"])
    res = access_request(db, keys, str(tmp_path / "sak"))
    found = {Path(i.display).name: i for i in res.items}
    assert set(found) == {"brev.docx", "epost.txt", "vedtak.docx"}
    assert found["brev.docx"].evidence == NAME and found["brev.docx"].weak
    assert found["epost.txt"].evidence == STRONG and found["epost.txt"].found_by == {"epost", "telefon"}
    assert found["vedtak.docx"].found_by == {"fnr", "navn"} and not found["vedtak.docx"].weak
    assert [Path(i.display).name for i in res.namesakes] == ["annan_kari.txt", "register.xlsx"]
    html = (tmp_path / "sak" / "oversikt.html").read_text(encoding="utf-8")
    assert "BEKREFT" in html and "1 filer/e-poster er funnet bare på navn" in html
    assert "K*** N*******" in html and "Nordmann" not in html
    assert "Trolig andre personer med samme navn" in html
    ws = openpyxl.load_workbook(tmp_path / "sak" / "oversikt.xlsx").worksheets[1]
    how = {Path(r[0]).name: r[1] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert how["brev.docx"].startswith("navn – BEKREFT")
    assert how["epost.txt"] == "e-postadresser, telefonnummer"


def test_name_with_birth_date_confirms_and_sets_apart(share: tuple[Path, str]) -> None:
    _, db = share
    from_name = parse_keys(names=["Kari Nordmann"], birth="01.01.1990")
    res = {Path(i.display).name: i.evidence for i in collect(db, from_name)[0]}
    assert res == {
        "brev.docx": NAME,
        "vedtak.docx": NAME_BIRTH,
        "register.xlsx": "name_other",
        "annan_kari.txt": NAME,  # no e-mail address given: nothing to tell them apart
    }


def test_no_name_in_clear_in_the_inventory(share: tuple[Path, str]) -> None:
    _, db = share
    raw = b"".join(p.read_bytes() for p in Path(db).parent.glob("inv.sqlite*")).lower()
    # Not the names, and not the e-mail address kept with a name (a short keyed hash).
    assert b"nordmann" not in raw and b"nordmo" not in raw and b"hansen" not in raw
    assert b"ved:e=" in raw
    assert b"k*** n*******" in raw


def test_find_by_name_cli(share: tuple[Path, str]) -> None:
    _, db = share
    r = CliRunner().invoke(main, ["find", "--name", "Nordmann, Kari", "--db", db, "--jsonl", "-"])
    assert r.exit_code == 0, r.output
    hits = [json.loads(x) for x in r.output.splitlines()]
    assert {Path(h["file"]).name for h in hits} == {
        "annan_kari.txt",
        "brev.docx",
        "register.xlsx",
        "vedtak.docx",
    }
    assert {h["found_by"] for h in hits} == {"navn"} and {h["value"] for h in hits} == {"K*** N*******"}
    r = CliRunner().invoke(main, ["find", "--name", "Ola Nordmann", "--db", db])
    assert r.exit_code == 0 and "Fant ingen filer eller e-poster der navnet O** N******* står" in r.output
    r = CliRunner().invoke(
        main, ["access-request", "--name", "Ola Nordmann", "--db", db, "--out", str(Path(db).parent / "sak2")]
    )
    assert r.exit_code == 0 and "der navnet O** N******* står" in r.output


def _bad(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


BAD_KEYS = [
    ("--fnr", _bad(KARI), "kontrollsifrene"),
    ("--fnr", _bad(make_fnr(rng=RNG, variant="dnr")), "kontrollsifrene"),
    ("--kontonummer", _bad(ACCT), "kontrollsifferet"),
]


@pytest.mark.parametrize(("option", "value", "says"), BAD_KEYS)
def test_mistyped_keys_refused_and_nothing_written(
    share: tuple[Path, str], tmp_path: Path, option: str, value: str, says: str
) -> None:
    _, db = share
    runner = CliRunner()
    r = runner.invoke(main, ["find", option, value, "--db", db])
    assert r.exit_code == 2 and says in r.output
    case = tmp_path / "sak"
    r = runner.invoke(main, ["access-request", option, value, "--db", db, "--out", str(case)])
    assert r.exit_code == 2 and says in r.output
    assert not case.exists()
    plans = tmp_path / "planer"
    r = runner.invoke(main, ["delete", option, value, "--db", db, "--plan-dir", str(plans)])
    assert r.exit_code == 2 and says in r.output
    assert not plans.exists()


def test_missing_scan_root_refused(share: tuple[Path, str], tmp_path: Path) -> None:
    root, db = share
    runner = CliRunner()
    r = runner.invoke(main, ["scan", str(tmp_path / "no" / "such"), "--db", str(tmp_path / "new.sqlite")])
    assert r.exit_code == 2 and str(tmp_path / "no" / "such") in r.output
    assert not (tmp_path / "new.sqlite").exists()
    # A share scanned before and gone now (unmounted): refused, nothing marked gone.
    moved = tmp_path / "moved"
    root.rename(moved)
    r = runner.invoke(main, ["scan", str(root), "--db", db, "-q"])
    assert r.exit_code == 2 and "skannet før" in r.output
    moved.rename(root)
    r = runner.invoke(main, ["find", "--fnr", KARI, "--db", db, "--jsonl", "-"])
    assert [Path(json.loads(x)["file"]).name for x in r.output.splitlines()] == ["vedtak.docx"]


# ---------------------------------------------------------------- namesakes told apart
OLA_CHILD = make_fnr(date(2014, 2, 16), rng=RNG)  # the child in the class list
OLA_ADULT = make_fnr(date(1980, 3, 4), rng=RNG)  # an adult namesake who asks


@pytest.fixture()
def namesakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Files about another Kari Nordmann (or Ola Berg), each with something that tells
    them apart, but not on the name's own line or not in the name's own cells."""
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    root = tmp_path / "share"
    root.mkdir()
    # A class list: child, birth date, parent, the parent's phone; the remark column is
    # empty in the first row (the extractors leave empty cells out).
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Elev", "Fødd", "Føresett", "Telefon føresett", "Merknad"])
    ws.append(["Ola Berg", "16.02.2014", "Per Berg", "415 41 497"])
    ws.append(["Nils Moe", "03.05.2014", "Kari Nordmann", "476 64 981", "Nøtteallergi"])
    wb.save(str(root / "klasseliste.xlsx"))
    # A letter from another Kari Nordmann: her phone in the sender block, a paragraph each.
    _docx(
        root / "klage.docx",
        [
            "Kari Nordmann",
            "Fjellvegen 2",
            "6900 Storevik",
            "Tlf. 476 64 981",
            "Eg klagar på vedtaket i saka.",
        ],
    )
    # A pay slip: the employee's number two lines under her name.
    c = canvas.Canvas(str(root / "lonsslipp.pdf"))
    for i, line in enumerate(
        ["Lønsslipp mars 2024", "Tilsett Kari Nordmann", "Tilsettnr. 1694", f"Fnr. {OTHER}"]
    ):
        c.drawString(72, 800 - 16 * i, line)
    c.save()
    # A decision: the name first in the address block, then with the number.
    (root / "vedtak.txt").write_text(
        f"Kari Nordmann\nFjellvegen 2\n\nVedtak om avlastning\nGjelder: Kari Nordmann, fnr {OTHER}\n",
        encoding="utf-8",
    )
    db = str(tmp_path / "inv.sqlite")
    scan([str(root)], db, workers=0)
    return db


def test_namesakes_told_apart_by_what_stands_beside_the_name_in_the_file(namesakes: str) -> None:
    """The requester (born 1990, phone 912 34 567) shares her name with the parent in a
    class list, a letter writer, an employee and a citizen with another number: each
    file says so, in the name's own cells, its field lines or another of its lines."""
    keys = parse_keys([KARI], [], ["Kari Nordmann"], [], ["912 34 567"])
    res = {Path(i.display).name: i.evidence for i in collect(namesakes, keys)[0]}
    assert res == {
        "klasseliste.xlsx": NAME_OTHER,  # the parent's phone, in the parent's column
        "klage.docx": NAME_OTHER,  # the writer's phone, under her name
        "lonsslipp.pdf": NAME_OTHER,  # the employee's number, under her name
        "vedtak.txt": NAME_OTHER,  # the number on the name's second line
    }


def test_a_class_lists_birth_date_is_the_childs_not_the_parents(namesakes: str) -> None:
    # The parent, searched by name and her own birth date: the child's date is not hers.
    by_name = parse_keys(names=["Kari Nordmann"], birth="01.01.1990")
    assert {Path(i.display).name: i.evidence for i in collect(namesakes, by_name)[0]}[
        "klasseliste.xlsx"
    ] == NAME
    # An adult Ola Berg is not the child born 2014 (the row has no remark: a short row).
    ola = parse_keys([OLA_ADULT], [], ["Ola Berg"])
    assert {Path(i.display).name: i.evidence for i in collect(namesakes, ola)[0]} == {
        "klasseliste.xlsx": NAME_OTHER
    }
    # The child himself is confirmed by his birth date.
    child = parse_keys([OLA_CHILD], [], ["Ola Berg"])
    assert {Path(i.display).name: i.evidence for i in collect(namesakes, child)[0]} == {
        "klasseliste.xlsx": NAME_BIRTH
    }
