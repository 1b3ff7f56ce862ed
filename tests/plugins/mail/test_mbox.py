"""The mbox extractor: streamed splitting, message steps, and the realdocs mbox files."""

from __future__ import annotations

import io
import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest

from pvscan.engine.process import Engine
from pvscan.model import InnerItem, ItemData, ItemRef, Settings
from pvscan.plugins.mail.mbox import MboxExtractor, iter_messages
from pvscan.testing import fnr_from

REALDOCS = Path(__file__).resolve().parents[4] / "shared" / "realdocs"


def fnr(day: int, month: int, year: int, individ: int = 123) -> str:
    return fnr_from(day, month, year, individ)


NUMBERS = [fnr(1, 3, 85), fnr(12, 11, 72), fnr(24, 12, 90)]


def make_mbox(path: Path) -> None:
    box = mailbox.mbox(str(path), create=True)
    for n, (day, number) in enumerate(zip((1, 2, 3), NUMBERS, strict=True), start=1):
        msg = EmailMessage()
        msg["Subject"] = f"Sak {n}"
        msg["From"] = "saksbehandler@example.no"
        msg["To"] = "arkiv@example.no"
        msg["Date"] = f"Fri, 0{day} Mar 2024 10:00:00 +0100"
        msg.set_content(f"Melding {n}\n\nFrom the desk of the clerk\nFnr {number}\n")
        if n == 2:
            msg.add_attachment(
                f"Vedlagt {NUMBERS[0]}".encode(), maintype="text", subtype="plain", filename="notat.txt"
            )
        box.add(msg)
    box.flush()
    box.close()


def test_messages_become_inner_items_with_date_subject_steps(tmp_path: Path) -> None:
    path = tmp_path / "innboks.mbox"
    make_mbox(path)
    pieces = list(MboxExtractor().extract(ItemData(path.name, path=str(path)), Settings()))
    assert [p.name for p in pieces] == [
        "2024-03-01 Emne: Sak 1",
        "2024-03-02 Emne: Sak 2",
        "2024-03-03 Emne: Sak 3",
    ]
    assert all(isinstance(p, InnerItem) for p in pieces)
    # mailbox escaped ">From the desk" in the body; we undo it and the body stays whole
    first = pieces[0].data.read()
    assert b"From the desk" in first and NUMBERS[0].encode() in first


def test_engine_findings_carry_message_and_attachment_steps(tmp_path: Path) -> None:
    path = tmp_path / "innboks.mbox"
    make_mbox(path)
    ref = ItemRef("local", str(path), str(path), path.stat().st_size, 0)
    result = Engine(Settings()).process(ref)
    assert result.kind == "mbox" and not result.unscannable, result.problems
    found = {(f.value, f.item, f.location) for f in result.findings if f.value in NUMBERS}
    assert (NUMBERS[2], "2024-03-03 Emne: Sak 3", "tekst") in found
    assert any(item == "2024-03-02 Emne: Sak 2 / vedlegg: notat.txt" for _, item, _ in found), found


def test_unescaped_from_in_body_does_not_split() -> None:
    data = (
        b"From a@b Mon Jun 01 10:00:00 2009\nSubject: En\nFrom: a@b\n\nFavoritt:\n\nFrom Russia with love\n\nslutt\n\n"
        b"From c@d Mon Jun 01 11:00:00 2009\nSubject: To\nFrom: c@d\n\nhei\n"
    )
    messages = [(line, spool.item("x").read()) for line, spool in iter_messages(io.BytesIO(data))]
    assert len(messages) == 2
    assert b"From Russia with love" in messages[0][1]


def test_missing_date_uses_from_line_and_duplicate_steps_are_unique() -> None:
    data = (
        b"From a@b Mon Jun 01 10:00:00 2009\nSubject: Likt\nFrom: a@b\n\nen\n\n"
        b"From a@b Tue Jun 02 10:00:00 2009\nSubject: Likt\nFrom: a@b\n\nto\n\n"
        b"From a@b Tue Jun 02 10:00:00 2009\nSubject: Likt\nFrom: a@b\n\ntre\n"
    )
    names = [p.name for p in MboxExtractor().extract(ItemData("x.mbox", data=data), Settings())]
    assert names == ["2009-06-01 Emne: Likt", "2009-06-02 Emne: Likt", "2009-06-02 Emne: Likt (2)"]


def test_large_mbox_is_streamed_not_loaded(tmp_path: Path) -> None:
    """A 40 MB message goes to a spool file; the mbox is never read whole."""
    path = tmp_path / "stor.mbox"
    with open(path, "wb") as fh:
        fh.write(b"From a@b Mon Jun 01 10:00:00 2009\nSubject: Stor\nFrom: a@b\n\n")
        line = b"x" * 99 + b"\n"
        for _ in range(400_000):
            fh.write(line)
        fh.write(b"\nFrom a@b Mon Jun 01 10:00:00 2009\nSubject: Liten\nFrom: a@b\n\nhei\n")
    pieces = list(MboxExtractor().extract(ItemData(path.name, path=str(path)), Settings()))
    assert [p.name for p in pieces] == ["2009-06-01 Emne: Stor", "2009-06-01 Emne: Liten"]


def test_realdocs_mbox_files() -> None:
    manifest = REALDOCS / "manifest.tsv"
    if not manifest.exists():
        pytest.skip("realdocs corpus not present")
    rows = [line.split("\t") for line in manifest.read_text().splitlines()[1:]]
    files = [REALDOCS / r[0] for r in rows if len(r) > 2 and r[2] == "mbox"]
    engine = Engine(Settings(ocr=False))
    for path in files:
        result = engine.process(ItemRef("local", str(path), str(path), path.stat().st_size, 0))
        assert not result.unscannable, (path, result.problems)
        assert not any(
            "nested deeper" in p.reason or p.reason.startswith("error") for p in result.problems
        ), path
    complex_box = REALDOCS / "tika" / "tika-parser-mail-module" / "complex.mbox"
    names = [
        p.name for p in MboxExtractor().extract(ItemData(complex_box.name, path=str(complex_box)), Settings())
    ]
    assert len(names) == 3 and names[0].startswith("2009-06-01 Emne: ")
