"""Special-category detection: lexicon matching and the link to a person."""

from __future__ import annotations

import pytest

from pvscan.interfaces import DocState
from pvscan.model import Finding, Segment
from pvscan.patterns.lexicon import CategoryDetector, load_lexicon, trie_regex
from pvscan.testing import fnr_from

DET = CategoryDetector()


def run(*segments: Segment, findings: list[Finding] | None = None) -> dict[str, str]:
    """Type -> best confidence for one document."""
    doc = DocState("x")
    doc.findings.extend(findings or [])
    for s in segments:
        list(DET.detect(s, doc))
    best: dict[str, str] = {}
    order = {"low": 0, "medium": 1, "high": 2}
    for f in DET.finish(doc):
        if order[f.confidence] >= order.get(best.get(f.type, "low"), 0):
            best[f.type] = f.confidence
    return best


@pytest.mark.parametrize(
    "text",
    [
        "Kari er sjukmeld frå i dag.",
        "Ola fekk diabetesoppfølging på legekontoret.",
        "Eg har vore langtidssykmeldt sidan mars.",
        "Han har ADHD og får medisin kvar dag.",
        "Sjukmeldinga til Per gjeld ut månaden.",
    ],
)
def test_health_about_a_person_is_found(text):
    assert run(Segment(text, "avsnitt 1")).get("helse") in ("medium", "high")


@pytest.mark.parametrize(
    "text",
    [
        "Rutinen skal sikre at sykmeldinger og epikriser ikke lagres på fellesområdet.",
        "Vi søker sykepleiar med erfaring frå demensomsorg og diabetesoppfølging.",
        "Kommunen arbeider med psykisk helse blant unge og førebygging av rus.",
        "Dersom den tilsette er sjuk, skal han/hun levere egenmelding.",
    ],
)
def test_text_about_health_is_not_health_data(text):
    assert run(Segment(text, "avsnitt 1")).get("helse", "low") == "low"


def test_identifier_in_document_links_terms():
    seg = Segment("Vurdering: diagnose F32.1, depresjon.", "avsnitt 3")
    assert run(seg).get("helse", "low") == "low"  # no person words here
    fnr = Finding("fodselsnummer", "01019012345", confidence="high")
    assert run(seg, findings=[fnr])["helse"] in ("medium", "high")


def test_table_row_needs_the_person_in_the_same_row():
    rows = Segment(
        f"Mari Eide;{fnr_from(2, 6, 13, 586)};Epilepsi, sjå tiltaksplan\nRutine;;sjå rutine for epilepsi",
        "linje 2-3",
        "Elev;Fnr;Helse",
    )
    assert run(rows)["helse"] in ("medium", "high")
    staff = Segment(
        "Kari Hansen | sykepleier | Storevik sykehjem", "tabell 1 rad 2", "Navn | Stilling | Enhet"
    )
    assert run(staff).get("helse", "low") == "low"


def test_icd_codes_only_with_a_marker():
    assert run(Segment("Kari kjører en Volvo V70 på E39.", "avsnitt 1")).get("helse", "low") == "low"
    assert run(Segment("Kari har diagnose F32 etter vurdering.", "avsnitt 1"))["helse"] in ("medium", "high")


def test_other_categories():
    assert run(Segment("Ola er medlem av Fagforbundet og betaler fagforeningskontingent.", "a"))[
        "fagforening"
    ] in (
        "medium",
        "high",
    )
    assert run(Segment("Barneverntjenesten mottok en bekymringsmelding om Emma.", "a"))["barnevern"] in (
        "medium",
        "high",
    )
    assert run(Segment("Per ble dømt for vold og sonet i fengsel.", "a"))["straff"] in ("medium", "high")


def test_journalpost_and_saksbehandling_are_not_health():
    hits = run(Segment("Kari registrerte journalposten etter saksbehandling.", "a"))
    assert hits.get("helse", "low") == "low"


def test_lexicon_file_is_well_formed():
    terms = load_lexicon()
    assert len(terms) > 400
    assert {t.weight for t in terms} <= {"strong", "medium", "weak"}
    assert {t.type for t in terms} <= set(CategoryDetector.types)


def test_trie_regex_prefers_longest():
    import re

    r = re.compile("(?:" + trie_regex(["syk", "sykmeld", "sykmeldt"]) + ")")
    assert r.match("sykmeldt").group(0) == "sykmeldt"
    assert r.match("sykt").group(0) == "syk"


def test_lone_surrogates_from_broken_decoders_do_not_break_the_lexicon():
    """Broken RTF/mail decoders can leave lone surrogates in text (seen in realdocs)."""
    from pvscan.interfaces import DocState
    from pvscan.model import Segment, Settings
    from pvscan.patterns.lexicon import CategoryDetector

    det = CategoryDetector(Settings())
    doc = DocState()
    seg = Segment("Kari \ud800 er sjukmeld og har diabetes.", "linje 1")
    found = list(det.detect(seg, doc)) + list(det.finish(doc))
    assert {(f.type, f.value) for f in found} == {("helse", "sjukmeld"), ("helse", "diabetes")}
