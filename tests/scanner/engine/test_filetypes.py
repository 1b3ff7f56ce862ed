"""Program files and media are not documents: skipped by type, never a problem, and
media listed in the coverage record and the checklist (issue "Findings people can
trust": a developer's home folder made 280,000 "could not be read" entries)."""

from __future__ import annotations

import py_compile
import shutil
import struct
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner

from pvscan.cli import main
from pvscan.engine.filetypes import MEDIA, PROGRAM, not_a_document
from pvscan.model import ItemData, Settings
from pvscan.scan import scan
from pvscan.workflows.checklist import answers
from pvscan.workflows.reportdata import build

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _tree(root: Path) -> Path:
    root.mkdir()
    src = root / "modul.py"
    src.write_text("X = 3.14159265358979323846264338327950288\n")
    py_compile.compile(str(src), cfile=str(root / "modul.cpython-311.pyc"))
    src.unlink()
    shutil.copy("/bin/true", root / "verktoy")  # an ELF executable, no extension
    if FONT.exists():
        shutil.copy(FONT, root / "skrift.ttf")
    with wave.open(str(root / "samtale.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 800)
    # An MP4 container: a 'ftyp' box first, as every MP4/MOV/M4A starts.
    (root / "kamera.mp4").write_bytes(struct.pack(">I", 24) + b"ftypisom" + b"\x00" * 12 + b"\x00" * 64)
    (root / "notat.txt").write_text("Møtereferat uten personopplysninger.\n")
    return root


def test_classification_by_magic_then_name():
    assert not_a_document(ItemData("a", data=b"\x7fELF\x02\x01\x01" + b"\0" * 50)) == PROGRAM
    assert not_a_document(ItemData("Main.class", data=b"\xca\xfe\xba\xbe\x00\x00\x00\x34")) == PROGRAM
    assert not_a_document(ItemData("x.pyc", data=b"\xa7\x0d\x0d\x0a" + b"\0" * 12)) == PROGRAM
    assert not_a_document(ItemData("opptak", data=b"ID3\x04\x00" + b"\0" * 20)) == MEDIA
    assert not_a_document(ItemData("v", data=b"RIFF\x10\0\0\0WAVEfmt ")) == MEDIA
    assert not_a_document(ItemData("lyd", data=b".snd\0\0\0\x18" + b"\0" * 16)) == MEDIA
    assert not_a_document(ItemData("lyd", data=b"FORM\0\0\0\x20AIFCFVER")) == MEDIA
    assert not_a_document(ItemData("ukjent.xyz", data=b"\x01\x02\x03\x04")) is None


def test_scan_skips_programs_and_media_and_lists_media(tmp_path):
    root = _tree(tmp_path / "heim")
    db = str(tmp_path / "inv.sqlite")
    s = scan([str(root)], db, settings=Settings(ocr=False), workers=0)
    expected_programs = 3 if FONT.exists() else 2
    assert s.skipped == {"media": 2, "program": expected_programs}
    assert s.problems == 0 and s.unscannable == 0
    data = build(db, only_findings=False)
    cov = data.coverage[-1]
    assert cov["not_documents"] == {"program": expected_programs, "media": 2}
    assert sorted(Path(m["file"]).name for m in cov["media"]) == ["kamera.mp4", "samtale.wav"]
    assert cov["skipped"] == []  # nothing reported as unreadable
    checklist = "\n".join(line for a in answers(data, "nb") for line in a.lines)
    assert "samtale.wav" in checklist and "lyd- og videofiler" in checklist
    assert "verktoy" not in checklist


def test_exit_code_is_zero_when_only_programs_and_media_were_skipped(tmp_path, monkeypatch):
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    root = _tree(tmp_path / "heim")
    res = CliRunner().invoke(main, ["scan", str(root), "--db", str(tmp_path / "i.sqlite"), "--workers", "0"])
    assert res.exit_code == 0, res.output
    assert "Ikke lest med vilje" in res.output
    (root / "skadet.xyz").write_bytes(bytes(range(256)) * 4)  # an unknown binary is still a problem
    res = CliRunner().invoke(main, ["scan", str(root), "--db", str(tmp_path / "i.sqlite"), "--workers", "0"])
    assert res.exit_code == 1, res.output


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_summary_line_in_every_language(tmp_path, monkeypatch, lang):
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    root = _tree(tmp_path / "heim")
    res = CliRunner().invoke(
        main, ["--lang", lang, "scan", str(root), "--db", str(tmp_path / "i.sqlite"), "--workers", "0"]
    )
    assert res.exit_code == 0
    assert {"nb": "programfiler", "nn": "programfiler", "en": "program files"}[lang] in res.output
