"""The name detector on text written the many ways names are written."""

from __future__ import annotations

import random
from datetime import date

import pytest

from pvscan.interfaces import DocState
from pvscan.model import Segment
from pvscan.patterns.names import LINKED, NameDetector
from pvscan.testing import make_fnr, make_kontonummer


def names(text: str, context: str = "") -> list[str]:
    det, doc = NameDetector(), DocState()
    found = list(det.detect(Segment(text, context=context), doc)) + list(det.finish(doc))
    return [f.value for f in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hei, gjeld Kari Nordmann som søkte om plass i fjor.", ["kari nordmann"]),
        ("Hei Olena Kovalenko,\nTakk for søknaden.", ["olena kovalenko"]),
        ("Namn: Olena Kovalenko\nAdresse: Storgata 1", ["olena kovalenko"]),
        ("Gjelder: Nordmann, Kari\t010190", ["kari nordmann"]),
        ("Kari Nordmanns søknad om avlastning er innvilga.", ["kari nordmann"]),
        (
            "Møte med Anne-Lise Berg-Hansen og Per Olav Tjønnås i dag.",
            ["anne-lise berg-hansen", "per olav tjønnås"],
        ),
        ("KARI NORDMANN\nSØKNAD OM BARNEHAGEPLASS", ["kari nordmann"]),
        ("Kjære fru Ingrid Aasheim!", ["ingrid aasheim"]),
        ("Fornavn: Kari\nEtternavn: Nordmann", ["kari nordmann"]),
        ("Etter samtalen sa Dagfinn Karlsen at han var nøgd.", ["dagfinn karlsen"]),
        ("Kommentar frå Inge D. Hanssen i avisa.", ["inge hanssen"]),
    ],
)
def test_names_found(text: str, expected: list[str]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Han bur i Olav Kyrres gate 3.",  # a street named after a person
        "Jan Mayen-loven gjeld òg her.",  # a compound
        "Kari Anne kom i dag.",  # two first names, no surname
        "PRIS PER MÅNED",  # capitals prove little
        "Møtet i Bergen Kommune vart utsett.",
        "Fakturaen gjeld Storevik Eigedom AS.",
    ],
)
def test_not_names(text: str) -> None:
    assert names(text) == []


def test_table_columns() -> None:
    assert names("Olena Kovalenko | 12.03.1990", context="Navn | Fødd") == ["olena kovalenko"]
    assert names("Kari | Nordmann | 3B", context="Fornavn | Etternavn | Klasse") == ["kari nordmann"]


def test_what_stands_on_a_names_line_is_kept_with_it() -> None:
    det = NameDetector()

    def variants(text: str, context: str = "") -> list[str | None]:
        return [f.variant for f in det.detect(Segment(text, context=context), DocState())]

    fnr = make_fnr(date(1990, 1, 1))
    assert variants(f"Kari Nordmann | {fnr} | Storgata 1") == [f"{LINKED}f=010190"]
    assert variants(f"Kari Nordmann | {fnr[:6]} {fnr[6:]}") == [f"{LINKED}f=010190"]
    assert variants("Kari Nordmann, fødd 05.06.1971, Fjellvegen 2") == [f"{LINKED}f=050671"]
    assert variants("Kari Nordmann | 05.06.1971", context="Namn | Fødd") == [f"{LINKED}f=050671"]
    assert variants("Til: Kari Nordmann <Kari.Nordmann@example.no>") == [
        f"{LINKED}e=kari.nordmann@example.no"
    ]
    assert variants("Kari Nordmann | +47 912 34 567") == [f"{LINKED}t=91234567"]
    acct = make_kontonummer(random.Random(3), bank="1206")
    assert variants(f"Kari Nordmann | {acct[:4]}.{acct[4:6]}.{acct[6:]} | 1 200 kr") == [f"{LINKED}k={acct}"]
    assert variants(f"Kari Nordmann | {fnr[:6]}-{fnr[6:]} | NO93 8601 1117 947") == [
        f"{LINKED}f=010190,k=86011117947"
    ]
    # A class list's row names child and parent: the phone is not linked to either.
    assert variants("Ola Nordmann | 7B | Kari Nordmann | 912 34 567") == [None, None]
    assert variants("Til: Kari Nordmann <kari@example.no>, Per Hansen <per@example.no>") == [
        f"{LINKED}e=kari@example.no",
        f"{LINKED}e=per@example.no",
    ]
    # An absence date is not a birth date; a name alone on its line has nothing.
    assert variants("Kari Nordmann | 01.03.2020 | 3 dagar", context="Namn | Frå | Dagar") == [None]
    assert variants("Hei, gjeld Kari Nordmann.\nRing 912 34 567.") == [None]


def test_a_table_rows_cells_are_shared_out_among_its_names() -> None:
    """Child, birth date, parent, the parent's phone: each name gets its own cells,
    also when the row is shorter than its header (an empty last cell left out)."""
    det = NameDetector()
    head = "Elev | Fødd | Føresett | Telefon føresett | Merknad"
    found = list(
        det.detect(Segment("Ola Berg | 16.02.2014 | Kari Berg | 415 41 497", context=head), DocState())
    )
    assert [(f.value, f.variant) for f in found] == [
        ("ola berg", f"{LINKED}f=160214"),
        ("kari berg", f"{LINKED}t=41541497"),
    ]
    # A delimited file's line keeps its empty cells, under the header row given as context.
    found = list(
        det.detect(
            Segment(
                "Ola Berg;16.02.2014;Kari Berg;415 41 497;",
                context="Elev;Fødd;Føresett;Telefon føresett;Merknad",
            ),
            DocState(),
        )
    )
    assert [f.variant for f in found] == [f"{LINKED}f=160214", f"{LINKED}t=41541497"]
    # The header names whose a column is, wherever it stands.
    head = "Mobil mor | Barn | Mor"
    found = list(det.detect(Segment("412 01 755 | Ola Berg | Kari Berg", context=head), DocState()))
    assert [f.variant for f in found] == [None, f"{LINKED}t=41201755"]


def test_field_lines_under_a_name_are_its_own() -> None:
    det = NameDetector()

    def variants(*segments: str) -> list[str | None]:
        doc = DocState()
        found = [f for s in segments for f in det.detect(Segment(s), doc)]
        return [f.variant for f in found]

    fnr = make_fnr(date(1996, 4, 3))
    assert variants(f"Tilsett Kari Nordmann\nTilsettnr. 1694\nFnr. {fnr}") == [f"{LINKED}f=030496"]
    # A letter's sender block, one paragraph each (one segment each).
    assert variants("Kari Nordmann", "Fjellvegen 2", "6900 Storevik", "Tlf. 476 64 981") == [
        f"{LINKED}t=47664981"
    ]
    # Not after running text, a blank line or another name; not an account (an
    # invoice's "pay to" account stands under the customer's name).
    assert variants(
        f"Kari Nordmann\nHar søkt om avlastning for sonen sin i heile sommarferien.\nFnr. {fnr}"
    ) == [None]
    assert variants(f"Kari Nordmann\n\nFnr. {fnr}") == [None]
    assert variants(f"Kari Nordmann\nPer Hansen\nFnr. {fnr}") == [None, f"{LINKED}f=030496"]
    acct = make_kontonummer(random.Random(3), bank="1206")
    assert variants(f"Kari Nordmann\nKontonummer: {acct}") == [None]


def confidences(text: str) -> list[str]:
    det, doc = NameDetector(), DocState()
    return [f.confidence for f in det.detect(Segment(text), doc)]


def test_names_in_foreign_text_stay_below_the_default_threshold() -> None:
    """A maintainer's name in an English changelog or a German letter is found, but low:
    the name lists hold names used the world over; Norwegian text makes them count."""
    english = (
        "  * New upstream release. Thanks to Kari Nordmann for the patch, which\n"
        "    fixes the build with the new compiler and updates the documentation.\n"
    )
    german = "Sehr geehrte Frau Ingrid Aasheim, wir haben Ihre Anfrage erhalten und werden sie prüfen."
    assert confidences(english) == ["low"]
    assert confidences(german) == ["low"]
    norwegian = "Takk til Kari Nordmann for søknaden, som vi har fått og skal se på i neste veke."
    assert confidences(norwegian) and "low" not in confidences(norwegian)
