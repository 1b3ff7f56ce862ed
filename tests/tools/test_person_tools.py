"""The measuring tools of person search: NorNE scoring and access-request completeness."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from pvscan.scan import scan
from pvscan.testing import make_fnr
from tools.norne import evaluate, sentences
from tools.person_search import measure

CONLLU = """# text = Dommer Finn Eilertsen avstår.
1\tDommer\tdommer\tNOUN\t_\t_\t2\tnmod\t_\tname=O
2\tFinn\tFinn\tPROPN\t_\t_\t4\tnsubj\t_\tname=B-PER
3\tEilertsen\tEilertsen\tPROPN\t_\t_\t2\tflat:name\t_\tname=I-PER
4\tavstår\tavstå\tVERB\t_\t_\t0\troot\t_\tSpaceAfter=No|name=O
5\t.\t$.\tPUNCT\t_\t_\t4\tpunct\t_\tname=O

# text = Stoltenberg og Kari Nordmann kom til Jan Mayen.
1\tStoltenberg\tStoltenberg\tPROPN\t_\t_\t5\tnsubj\t_\tname=B-PER
2\tog\tog\tCCONJ\t_\t_\t4\tcc\t_\tname=O
3\tKari\tKari\tPROPN\t_\t_\t1\tconj\t_\tname=B-PER
4\tNordmann\tNordmann\tPROPN\t_\t_\t3\tflat:name\t_\tname=I-PER
5\tkom\tkomme\tVERB\t_\t_\t0\troot\t_\tname=O
6\ttil\ttil\tADP\t_\t_\t8\tcase\t_\tname=O
7\tJan\tJan\tPROPN\t_\t_\t8\tcompound\t_\tname=B-GPE_LOC
8\tMayen\tMayen\tPROPN\t_\t_\t5\tobl\t_\tSpaceAfter=No|name=I-GPE_LOC
9\t.\t$.\tPUNCT\t_\t_\t5\tpunct\t_\tname=O

"""


def test_norne_scoring(tmp_path: Path) -> None:
    path = tmp_path / "dev.conllu"
    path.write_text(CONLLU, encoding="utf-8")
    sents = list(sentences(str(path)))
    assert sents[0][0] == "Dommer Finn Eilertsen avstår."
    assert [sents[1][0][s:e] for s, e in sents[1][1]] == ["Stoltenberg", "Kari Nordmann"]
    r = evaluate(str(path))
    assert (r["full_names"], r["predicted"], r["precision"], r["recall"]) == (2, 2, 1.0, 1.0)
    assert r["per_entities"] == 3 and r["all_per_recall"] == pytest.approx(2 / 3)


def test_person_search_measure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    rng = random.Random(7)
    people = [
        {
            "pid": 0,
            "name": "Kari Nordmann",
            "fnr": make_fnr(rng=rng),
            "konto": None,
            "email": "kari@example.no",
            "phone": "91234567",
        },
        {
            "pid": 1,
            "name": "Per Hansen",
            "fnr": make_fnr(rng=rng),
            "konto": None,
            "email": None,
            "phone": None,
        },
    ]
    corpus = tmp_path / "c" / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "a.txt").write_text(f"Fødselsnummer {people[0]['fnr']}\n", encoding="utf-8")
    (corpus / "b.txt").write_text("Hei, gjeld Kari Nordmann.\n", encoding="utf-8")
    (corpus / "c.txt").write_text("Ring meg på 912 34 567.\n", encoding="utf-8")
    (corpus / "d.txt").write_text("Per Hansen var ikkje til stades.\n", encoding="utf-8")
    files = [("a.txt", [0]), ("b.txt", [0]), ("c.txt", [0]), ("d.txt", [1])]
    (tmp_path / "c" / "persons.jsonl").write_text("".join(json.dumps(p) + "\n" for p in people))
    (tmp_path / "c" / "files.jsonl").write_text(
        "".join(json.dumps({"file": f, "status": "ok", "person_ids": ids}) + "\n" for f, ids in files)
    )
    db = str(tmp_path / "inv.sqlite")
    scan([str(corpus)], db, workers=0)
    res = measure(db, str(tmp_path / "c"), 10, 1)
    before, after = res.values()
    assert (before["files_truth"], before["files_listed"], before["recall"]) == (4, 1, 0.25)
    assert (after["files_listed"], after["recall"], after["precision"]) == (4, 1.0, 1.0)
    assert after["name_only"] == 2 and after["name_only_wrong"] == 0
