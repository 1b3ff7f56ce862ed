"""Report writers on a real inventory: HTML in a real headless Chromium (no console
errors, screenshot saved), XLSX read back, CSV/JSON, languages, history, coverage."""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pvscan.cli import main
from pvscan.engine.manager import make_plugin_manager
from pvscan.reports.html import render
from pvscan.scan import scan
from pvscan.testing import make_fnr
from pvscan.workflows.reportdata import build

RNG = random.Random(31)
NUMBERS = [make_fnr(rng=RNG) for _ in range(6)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM = (
    shutil.which("chromium")
    or shutil.which("chromium-browser")
    or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
)


@pytest.fixture()
def inventory(tmp_path, monkeypatch):
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PVSCAN_LANG", "nb")
    root = tmp_path / "share"
    for unit in ("Helse", "Skole", "Økonomi"):
        (root / unit).mkdir(parents=True)
    (root / "Helse" / "journal.txt").write_text(
        f"Pasient fødselsnummer {NUMBERS[0]}\nDiagnose diabetes, innlagt på sykehus\n", encoding="utf-8"
    )
    (root / "Skole" / "elever.csv").write_text(
        "Navn;Fødselsnummer\n" + "".join(f"Elev {i};{n}\n" for i, n in enumerate(NUMBERS[1:4])),
        encoding="utf-8",
    )
    (root / "Økonomi" / "ødelagt.docx").write_bytes(b"PK\x03\x04 not really a docx")
    db = str(tmp_path / "inv.sqlite")
    scan([str(root)], db, workers=0)
    (root / "Økonomi" / "ny.txt").write_text(f"Fødselsnummer {NUMBERS[4]}\n", encoding="utf-8")
    scan([str(root)], db, workers=0)
    return root, db, tmp_path


def test_reportdata_numbers(inventory):
    root, db, _ = inventory
    d = build(db)
    assert d.totals["items"] == 3 and d.by_type["fodselsnummer"] == 5
    assert d.by_folder[0]["folder"].endswith("Helse")  # sensitive first: the worst folder
    assert {u["unit"] for u in d.by_unit} == {"Helse", "Skole", "Økonomi"}
    assert d.has_history and [i.display.rsplit("/", 1)[1] for i in d.new_since_last] == ["ny.txt"]
    cov = d.coverage[-1]
    assert cov["unscannable"] == 1 and cov["by_reason"] == {"corrupt": 1}
    assert any(p.startswith("detector no_identifiers") for p in cov["plugins"])


def _chromium_screenshot(html: Path, png: Path) -> str:
    profile = html.parent / "chromium-profile"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,2200",
        f"--screenshot={png}",
        html.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return proc.stderr


def test_html_report_in_headless_chromium(inventory):
    root, db, tmp = inventory
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI")
        pytest.skip("chromium not installed")
    out = tmp / "rapport.html"
    r = CliRunner().invoke(main, ["report", "--db", db, "--out", str(out)])
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "Mapper med flest funn" in html and "<svg" in html and "Dekning" in html and "skadet fil" in html
    for n in NUMBERS:
        assert n not in html
    assert NUMBERS[0][:6] + "*****" in html
    ARTIFACTS.mkdir(exist_ok=True)
    png = ARTIFACTS / "report.png"
    if png.exists():
        png.unlink()
    stderr = _chromium_screenshot(out, png)
    console = [line for line in stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == [], console
    assert png.exists() and png.stat().st_size > 10_000
    print(f"screenshot: {png}")
    # The check itself can fail: a page with a console error is caught.
    bad = tmp / "bad.html"
    bad.write_text("<!DOCTYPE html><script>console.error('boom')</script>")
    assert "boom" in _chromium_screenshot(bad, tmp / "bad.png")


def test_xlsx_csv_json_and_languages(inventory):
    root, db, tmp = inventory
    run = CliRunner().invoke
    assert run(main, ["report", "--db", db, "--format", "xlsx", "--out", str(tmp / "r.xlsx")]).exit_code == 0
    wb = openpyxl.load_workbook(tmp / "r.xlsx")
    assert wb.sheetnames[:2] == ["Sammendrag", "Funn"]
    rows = list(wb["Funn"].iter_rows(min_row=2, values_only=True))
    assert len(rows) >= 5 and {r[2] for r in rows} >= {"fødselsnummer", "helseopplysninger"}
    assert all(n not in str(rows) for n in NUMBERS)
    assert run(main, ["report", "--db", db, "--format", "csv", "--out", str(tmp / "r.csv")]).exit_code == 0
    with open(tmp / "r.csv", encoding="utf-8-sig") as fh:
        recs = list(csv.DictReader(fh, delimiter=";"))
    assert {r["unit"] for r in recs} == {"Helse", "Skole", "Økonomi"} and any(r["new"] == "1" for r in recs)
    assert run(main, ["report", "--db", db, "--format", "json", "--out", str(tmp / "r.json")]).exit_code == 0
    doc = json.loads((tmp / "r.json").read_text())
    assert doc["coverage"][-1]["skipped"][0]["category"] == "corrupt" and doc["totals"]["items"] == 3
    assert oct(os.stat(tmp / "r.json").st_mode & 0o777) == "0o600"
    # Languages
    en = render(build(db, lang="en"), "en")
    nn = render(build(db, lang="nn"), "nn")
    assert "Personal data in files and mail" in en and 'lang="en"' in en
    assert "Personopplysningar i filer og e-post" in nn
    # Owner filter and unknown format
    assert build(db, owner="nobody-here").items == []
    assert run(main, ["report", "--db", db, "--format", "nope", "--out", str(tmp / "x")]).exit_code == 2
    # Output inside the scanned share is refused.
    assert run(main, ["report", "--db", db, "--out", str(root / "r.html")]).exit_code == 2


def test_report_writers_are_plugins():
    from pvscan import hookimpl
    from pvscan.interfaces import ReportWriter

    class Mine(ReportWriter):
        name, formats = "mine", ("kommune-txt",)

    class Plugin:
        @hookimpl
        def pvscan_report_writers(self):
            return [Mine()]

    pm = make_plugin_manager(extra=[Plugin()])
    formats = {f for group in pm.hook.pvscan_report_writers() for w in group for f in w.formats}
    assert {"html", "xlsx", "csv", "json", "kommune-txt"} <= formats
