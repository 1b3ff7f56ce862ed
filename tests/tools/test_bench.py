"""Smoke test of ``pvscan bench`` on a few files (no speed assertions)."""

from __future__ import annotations

import json
import random
import shutil

import docx
import pytest
from click.testing import CliRunner

from pvscan.testing import make_fnr, make_kontonummer
from tools.__main__ import main
from tools.bench import bench, naive_fnr

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
    # a copy big enough to be hashed: the duplicate tree takes its result from the original
    d.add_paragraph("Fyll. " * 2000)
    d.save(str(tree / "vedtak.docx"))
    res = bench(str(out), workers=1, repeat=1, echo=lines.append, ocr=False, dup_every=1)
    phases = res["phases"]
    assert set(phases) == {"a", "b", "c", "d", "e", "e2"}
    assert phases["e"]["files"] == 4 and phases["e2"]["files"] == 6 and phases["e2"]["copies"] == 2
    assert phases["a"]["jsonl_s"] is not None
    assert any(line.startswith("writing --jsonl with --reveal after a:") for line in lines)
    assert any(line.startswith("duplicate-heavy tree: 6 files of which 2 copies") for line in lines)
    assert phases["a"]["files"] == phases["d"]["files"] == 4
    assert phases["c"]["read"] == 0 and phases["c"]["unchanged"] == 4
    assert phases["a"]["recall"] == 1.0 and phases["b"]["recall"] == 1.0
    assert all(p["peak_rss"] > 0 and 0 < p["peak_pss"] <= p["peak_rss"] for p in phases.values())
    assert any("(b/a)" in line and "without OCR" in line for line in lines)
    assert any("(c/d)" in line for line in lines)


def scanned_pdf(path, text: str) -> None:
    """An image-only PDF (a 'scan'): the text is pixels, with no text layer."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 64)
    img = Image.new("L", (2480, 800), 255)
    ImageDraw.Draw(img).text((100, 300), text, font=font, fill=0)
    c = canvas.Canvas(str(path), pagesize=A4)
    c.drawImage(ImageReader(img), 0, 500, width=A4[0], height=A4[0] * 800 / 2480)
    c.showPage()
    c.save()


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract")
def test_bench_keeps_ocr_apart_from_the_like_for_like_speed_up(tmp_path, monkeypatch):
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    out = tmp_path / "bench"
    tree = out / "corpus"
    tree.mkdir(parents=True)
    text_n, scan_n = make_fnr(rng=RNG), make_fnr(rng=RNG)
    (tree / "notat.txt").write_text(f"Fødselsnummer: {text_n}\n")
    scanned_pdf(tree / "skann.pdf", f"Fodselsnummer {scan_n}")
    truth = [
        {"file": "notat.txt", "type": "fodselsnummer", "value": text_n, "variant": "fnr"},
        {"file": "skann.pdf", "type": "fodselsnummer", "value": scan_n, "variant": "fnr"},
    ]
    files = [{"file": "notat.txt", "status": "ok"}, {"file": "skann.pdf", "status": "needs_ocr"}]
    (out / "truth.jsonl").write_text("".join(json.dumps(t) + "\n" for t in truth))
    (out / "files.jsonl").write_text("".join(json.dumps(f) + "\n" for f in files))

    lines: list[str] = []
    res = bench(str(out), workers=1, repeat=1, echo=lines.append, duplicates=False)
    phases = res["phases"]
    assert set(phases) == {"a", "a+", "b", "c", "d"}
    assert any(line.startswith("OCR work in (a+): pages 1 OCR'd") for line in lines), lines
    # readable files: all three find the number; the scan: only pvscan with OCR
    assert phases["a"]["recall"] == phases["a+"]["recall"] == phases["b"]["recall"] == 1.0
    assert phases["a+"]["recall_ocr"] == 1.0
    assert phases["a"]["recall_ocr"] == phases["b"]["recall_ocr"] == 0.0
    assert res["speedup_b_over_a"] == phases["b"]["elapsed"] / phases["a"]["elapsed"]
    assert res["truth_fnr"] == 1 and res["truth_fnr_ocr"] == 1
    # the re-scan is of the OCR inventory with OCR on: nothing is read again
    assert phases["c"]["read"] == 0 and phases["c"]["unchanged"] == 2
    assert any(line.startswith("cost of OCR") for line in lines)


def test_bench_command_needs_a_generator_for_a_missing_corpus(tmp_path):
    res = CliRunner().invoke(main, ["bench", "--corpus", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "--generator" in res.output
