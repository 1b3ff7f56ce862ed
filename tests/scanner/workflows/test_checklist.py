"""The 9.1 checklist, filled in from a real scan, read back from DOCX and HTML."""

from __future__ import annotations

import os
import random

import docx
from click.testing import CliRunner

from pvscan.cli import main
from pvscan.scan import scan
from pvscan.testing import make_fnr

RNG = random.Random(5)
A = make_fnr(rng=RNG)


def test_checklist_docx_and_html(tmp_path, monkeypatch):
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PVSCAN_LANG", "nb")  # `--lang nn` below sets the environment
    home = tmp_path / "kari"
    (home / "Dokumenter").mkdir(parents=True)
    (home / "Dokumenter" / "epikrise.txt").write_text(
        f"Pasient fødselsnummer {A}\nDiagnose: diabetes type 2, innlagt på sykehus.\n", encoding="utf-8"
    )
    (home / "Dokumenter" / "liste.txt").write_text(f"Fødselsnummer {make_fnr(rng=RNG)}\n", encoding="utf-8")
    os.chmod(home / "Dokumenter", 0o755)
    db = str(tmp_path / "inv.sqlite")
    scan([str(home)], db, workers=0)
    r = CliRunner().invoke(main, ["checklist", str(home), "--db", db, "--out", str(tmp_path / "chk")])
    assert r.exit_code == 0, r.output
    d = docx.Document(str(tmp_path / "chk" / "sjekkliste.docx"))
    rows = [(row.cells[0].text, row.cells[1].text) for row in d.tables[0].rows]
    assert rows[0] == ("Kontrollspørsmål", "Dine svar")
    q = dict(rows[1:])
    assert len(q) == 7
    assert q["Oppbevarer jeg ustrukturerte personopplysninger?"].startswith("Ja: 2 filer")
    assert "helseopplysninger" in q["Hvilke typer ustrukturerte personopplysninger oppbevarer jeg?"]
    how = q["Hvordan blir personopplysningene oppbevart?"]
    assert "Dokumenter" in how and "text" in how and "under 1 år" in how
    who = q["Hvem har tilgang til personopplysningene?"]
    assert "drwxr-xr-x" in who and "lesbar for alle" in who
    move = q["Har jeg personopplysninger som skal legges over i et strukturert system?"]
    assert "epikrise.txt" in move and "liste.txt" not in move.split("\n")[1]
    assert (
        "☐ ja" in q["Er jeg kjent med rutinene for innsyn?"]
        and "☐ ja" in q["Er jeg kjent med rutinene for sletting?"]
    )
    html = (tmp_path / "chk" / "sjekkliste.html").read_text(encoding="utf-8")
    assert "Oppbevarer jeg ustrukturerte personopplysninger?" in html and A not in html
    # Nynorsk follows the handbook's wording.
    r = CliRunner().invoke(
        main, ["--lang", "nn", "checklist", str(home), "--db", db, "--out", str(tmp_path / "nn")]
    )
    assert (
        "Oppbevarer eg ustrukturerte personopplysningar?" in (tmp_path / "nn" / "sjekkliste.html").read_text()
    )
