"""Health terms in both written standards, codes after "has it" phrases, and the
language test that keeps the Norwegian lexicons off English, German and code.

Files are made by the real libraries (python-docx, openpyxl) or written as the plain
text and gzip files a system ships, and scanned through the whole engine.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import docx
import openpyxl
import pytest

from pvscan.interfaces import DocState
from pvscan.model import Segment
from pvscan.patterns.language import is_norwegian
from pvscan.patterns.lexicon import CategoryDetector
from pvscan.testing import process_file

SPECIAL = {"helse", "barnevern", "religion", "etnisitet", "fagforening", "seksualitet", "politikk", "straff"}


def categories(path: Path) -> dict[str, set[str]]:
    """Special-category type -> matched terms the engine reports at the default threshold."""
    out: dict[str, set[str]] = {}
    for f in process_file(path).findings:
        if f.type in SPECIAL:
            out.setdefault(f.type, set()).add(f.value)
    return out


def terms(text: str) -> set[str]:
    """Lexicon terms (and codes) one segment hits, linked or not."""
    det = CategoryDetector()
    doc = DocState("x")
    list(det.detect(Segment(text, "avsnitt 1"), doc))
    return {h.term for h in doc["category_terms"].values()} if "category_terms" in doc else set()


# ------------------------------------------------------------------ inflection
@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Ho leverte sjukmeldinga i går.", "sjukmelding"),
        ("Legeerklæringa kom til henne i dag.", "legeerklæring"),
        ("Han hadde tre innleggingane i fjor.", "innlegging"),
        ("Han fekk blodprøvesvara sine i dag.", "blodprøve"),
        ("Sykmeldingene hennes kom i går.", "sykmelding"),
        ("Innleggelsene hans var mange.", "innleggelse"),
        ("Psykiatriinnleggingane hennar var mange.", "innlegging"),
        ("Ho er deltidssjukmeld.", "sjukmeld"),
    ],
)
def test_inflections_and_compounds_in_both_standards(text: str, term: str) -> None:
    assert any(term in t for t in terms(text))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Han har diagnosen F32.1 sidan i fjor.", "F32.1"),
        ("Ho har fått påvist E11 i vår.", "E11"),
        ("Pasienten lider av J45 og bruker inhalator.", "J45"),
        ("Ho vart tilvist for P76 av fastlegen.", "P76"),
        ("Hun behandles for K21 på sykehuset.", "K21"),
    ],
)
def test_code_after_a_phrase_saying_someone_has_it(text: str, code: str) -> None:
    assert code in terms(text)


@pytest.mark.parametrize(
    "text",
    ["Vi har påvist feil i rom B12 og C14.", "Bussen går frå E39 kl. 12.", "Møtet er i A10."],
)
def test_codes_without_such_a_phrase_do_not_count(text: str) -> None:
    assert not any(t[:1].isupper() and t[1:3].isdigit() for t in terms(text))


def test_nynorsk_case_note_docx_is_health(tmp_path: Path) -> None:
    d = docx.Document()
    d.add_paragraph("Notat frå heimetenesta")
    d.add_paragraph("Kari har fått påvist E11 og skal følgjast opp. Sjukmeldinga hennar gjeld til 1. mars.")
    d.add_paragraph("Blodprøvesvara hennar kom i går, og legeerklæringa hennar er send til NAV.")
    d.save(tmp_path / "notat.docx")
    found = categories(tmp_path / "notat.docx")
    assert {"E11", "sjukmelding", "blodprøve", "legeerklæring"} <= found["helse"]


# ------------------------------------------------------------------ language
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Eg har vore sjuk i fleire veker, og det er ikkje lett å kome seg opp att.", True),
        ("Jeg har vært syk i flere uker, og det er ikke lett å komme seg opp igjen.", True),
        ("The patient was diagnosed with diabetes and is treated with insulin.", False),
        ("Der Patient wurde mit einer Depression in die Klinik aufgenommen.", False),
        ("Diabetes", None),
    ],
)
def test_language_test(text: str, expected: bool | None) -> None:
    assert is_norwegian(text) is expected


def test_english_changelog_does_not_fire(tmp_path: Path) -> None:
    """A Debian changelog (gzip, as shipped) and Git's documentation: *abort*,
    *diagnose*, *kreft* (a contributor's name), *romani* (a language)."""
    log = (
        "dpkg (1.21.1) unstable; urgency=medium\n\n"
        "  [ Guillem Jover ]\n"
        "  * Abort when the database cannot be locked, and diagnose the lock holder (Martin).\n"
        "  * Add Romani to the list of supported languages, thanks to Anna Kreft.\n"
        "  * Do not abort on a blind rebase; Thomas reported it to us.\n\n"
        " -- Guillem Jover <guillem@debian.org>  Mon, 01 Jan 2024 12:00:00 +0100\n"
    )
    (tmp_path / "changelog.Debian.gz").write_bytes(gzip.compress(log.encode() * 20))
    (tmp_path / "git-rebase.txt").write_text(
        "--abort\n\tAbort the rebase operation and reset HEAD to the original branch.\n"
        "If Martin wants to diagnose why the rebase failed, he reads the hiv section in the manual, "
        "and Martin may abort.\n" * 10
    )
    assert categories(tmp_path / "changelog.Debian.gz") == {}
    assert categories(tmp_path / "git-rebase.txt") == {}


def test_json_api_description_does_not_fire(tmp_path: Path) -> None:
    api = {
        "openapi": "3.0.0",
        "paths": {
            "/hiv/tests": {
                "get": {
                    "summary": "List the HIV test endpoints",
                    "description": "Returns the hiv resources of the account of Daniel. Daniel may abort "
                    "the request, and Daniel should use the diagnose endpoint for cancer screening errors.",
                }
            }
        },
    }
    (tmp_path / "api.json").write_text(json.dumps(api, indent=2))
    assert categories(tmp_path / "api.json") == {}


def test_german_medical_text_does_not_fire(tmp_path: Path) -> None:
    d = docx.Document()
    d.add_paragraph(
        "Der Patient Hans Müller wurde mit Diabetes und einer schweren Depression stationär "
        "aufgenommen, die Diagnose hat der Hausarzt von Hans bestätigt, und Hans bekommt Insulin. "
        "Eine Psykose wurde bei Hans nicht festgestellt."
    )
    d.save(tmp_path / "arztbrief.docx")
    assert categories(tmp_path / "arztbrief.docx") == {}


def test_norwegian_register_without_prose_still_fires(tmp_path: Path) -> None:
    """A sheet of names and diagnoses has no function words: the language cannot be
    told, and the lexicon applies (Norwegian is the default)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Namn", "Diagnose", "Merknad"])
    ws.append(["Kari Nordmann", "Diabetes type 2", "Insulin"])
    ws.append(["Ola Hansen", "Depresjon", "Sjukmeld"])
    wb.save(tmp_path / "oversikt.xlsx")
    assert "helse" in categories(tmp_path / "oversikt.xlsx")
