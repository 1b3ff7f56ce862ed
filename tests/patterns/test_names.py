"""The name detector on text written the many ways names are written."""

from __future__ import annotations

from datetime import date

import pytest

from pvscan.interfaces import DocState
from pvscan.model import Segment
from pvscan.patterns.names import BESIDE_BIRTH, NameDetector
from pvscan.testing import make_fnr


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


def test_a_name_beside_a_person_number_or_birth_date_is_marked() -> None:
    det = NameDetector()
    fnr = make_fnr(date(1990, 1, 1))
    row = det.detect(Segment(f"Kari Nordmann | {fnr} | Storgata 1"), DocState())
    labelled = det.detect(Segment("Kari Nordmann, fødd 05.06.1971, Fjellvegen 2"), DocState())
    column = det.detect(Segment("Kari Nordmann | 05.06.1971", context="Namn | Fødd"), DocState())
    absence = det.detect(
        Segment("Kari Nordmann | 01.03.2020 | 3 dagar", context="Namn | Frå | Dagar"), DocState()
    )
    free = det.detect(Segment("Hei, gjeld Kari Nordmann."), DocState())
    assert [f.variant for f in row] == [f"{BESIDE_BIRTH}:010190"]
    assert [f.variant for f in labelled] == [f"{BESIDE_BIRTH}:050671"]
    assert [f.variant for f in column] == [f"{BESIDE_BIRTH}:050671"]
    assert [f.variant for f in absence] == [None]
    assert [f.variant for f in free] == [None]
