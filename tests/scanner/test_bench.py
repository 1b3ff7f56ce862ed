"""Smoke test of ``pvscan bench`` on a few files (no speed assertions)."""

from __future__ import annotations

import json
import random

import docx
from click.testing import CliRunner
from pvscan.bench import bench, naive_fnr
from pvscan.cli import main
from pvscan.testing import make_fnr, make_kontonummer

RNG = random.Random(77)


def test_naive_baseline_regex_checks_digits():
    good = make_fnr(rng=RNG)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert naive_fnr(f"a {good[:6]} {good[6:]} b {bad} c {make_kontonummer(RNG)}") == {good}


def test_bench_runs_all_phases_and_scores_recall(tmp_path, monkeypatch):
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    out = tmp_path / "bench"
    tree = out / "corpus"
    (tree / "a").mkdir(parents=True)
    truth = []
    for i in range(3):
        n = make_fnr(rng=RNG)
        (tree / "a" / f"n{i}.txt").write_text(f"Fødselsnummer: {n}\n")
        truth.append({"file": f"a/n{i}.txt", "type": "fodselsnummer", "value": n, "variant": "fnr"})
    n = make_fnr(rng=RNG)
    d = docx.Document()
    d.add_paragraph(f"Fødselsnummer {n}")
    d.save(str(tree / "vedtak.docx"))
    truth.append({"file": "vedtak.docx", "type": "fodselsnummer", "value": n, "variant": "fnr"})
    (out / "truth.jsonl").write_text("".join(json.dumps(t) + "\n" for t in truth))

    lines: list[str] = []
    res = bench(str(out), workers=1, repeat=1, echo=lines.append)
    phases = res["phases"]
    assert set(phases) == {"a", "b", "c", "d"}
    assert phases["a"]["files"] == phases["d"]["files"] == 4
    assert phases["c"]["read"] == 0 and phases["c"]["unchanged"] == 4
    assert phases["a"]["recall"] == 1.0 and phases["b"]["recall"] == 1.0
    assert all(p["peak_rss"] > 0 for p in phases.values())
    assert any("(b/a)" in line for line in lines) and any("(c/d)" in line for line in lines)


def test_bench_command_needs_a_generator_for_a_missing_corpus(tmp_path):
    res = CliRunner().invoke(main, ["bench", "--corpus", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "--generator" in res.output
