"""`pvscan self-check` in one command: scan a home folder, report, checklist, advice."""

from __future__ import annotations

import random
import stat

from click.testing import CliRunner

from pvscan.cli import main
from pvscan.testing import make_fnr

A = make_fnr(rng=random.Random(11))


def test_self_check(tmp_path, monkeypatch):
    pv = tmp_path / "home" / ".local" / "share" / "pvscan"
    monkeypatch.setenv("PVSCAN_HOME", str(pv))
    monkeypatch.setenv("PVSCAN_LANG", "nb")  # `--lang` sets the environment for the process
    home = tmp_path / "home"
    (home / "Skrivebord").mkdir(parents=True)
    (home / "Skrivebord" / "notat.txt").write_text(f"Fødselsnummer {A}, diagnose astma\n", encoding="utf-8")
    r = CliRunner().invoke(
        main, ["self-check", "--home", str(home), "--db", str(pv / "inv.sqlite"), "--workers", "0"]
    )
    assert r.exit_code == 0, r.output
    assert "Hva du bør gjøre nå:" in r.output and "pvscan delete" in r.output
    reports = list(pv.glob("selvsjekk-*/min-rapport.html"))
    assert len(reports) == 1
    html = reports[0].read_text(encoding="utf-8")
    assert "notat.txt" in html and A not in html
    assert "min-rapport.html" not in html  # pvscan's own folder is not scanned
    assert (reports[0].parent / "sjekkliste.docx").exists()
    assert stat.S_IMODE(reports[0].parent.stat().st_mode) == 0o700
