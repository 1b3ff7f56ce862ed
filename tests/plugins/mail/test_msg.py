"""Outlook .msg (extract-msg), TNEF (tnefparse) and PST (libpff): there are no writers
for these formats here, so the tests use the realdocs samples (skipped when absent)
and damaged bytes we make ourselves."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pvscan.engine.process import Engine
from pvscan.model import CorruptError, Gap, InnerItem, ItemData, ItemRef, Segment, Settings
from pvscan.plugins.mail.msg import MsgExtractor
from pvscan.plugins.mail.pst import PstExtractor
from pvscan.plugins.mail.tnef import TnefExtractor

REALDOCS = Path(__file__).resolve().parents[4] / "shared" / "realdocs"


def sample(rel: str) -> Path:
    path = REALDOCS / rel
    if not path.exists():
        pytest.skip("realdocs corpus not present")
    return path


def pieces(extractor, path: Path) -> list:  # type: ignore[no-untyped-def]
    return list(extractor.extract(ItemData(path.name, path=str(path)), Settings()))


def by_location(items: list) -> dict[str, str]:
    return {p.location: p.text for p in items if isinstance(p, Segment)}


def test_msg_headers_body_and_attachments() -> None:
    items = pieces(MsgExtractor(), sample("tika/tika-parser-microsoft-module/testMSG_att_msg.msg"))
    segs = by_location(items)
    assert segs["emne"] == "test email"
    assert "nick.booth@pof.com.au" in segs["fra"] and "nick.booth@pof.com.au" in segs["til"]
    assert "1 msg attachment" in segs["tekst"]
    inner = {p.name: p for p in items if isinstance(p, InnerItem)}
    assert set(inner) == {"vedlagt e-post: Test Attachment", "vedlegg: smbprn.00009008.KdcPjl.pdf"}
    assert inner["vedlegg: smbprn.00009008.KdcPjl.pdf"].data.read(5) == b"%PDF-"
    # the embedded message is re-exported as a real .msg and reads on its own
    embedded = inner["vedlagt e-post: Test Attachment"].data
    assert embedded.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    sub = list(MsgExtractor().extract(ItemData("x.msg", data=embedded.read()), Settings()))
    assert by_location(sub)["emne"] == "Test Attachment"


def test_msg_through_engine_has_attachment_path() -> None:
    path = sample("tika/tika-parser-microsoft-module/testMSG_att_doc.msg")
    result = Engine(Settings(ocr=False)).process(
        ItemRef("local", str(path), str(path), path.stat().st_size, 0)
    )
    assert result.kind == "msg" and result.extractor.startswith("mail_msg")
    assert result.inner_items == 2
    assert not result.unscannable


def test_damaged_msg_is_corrupt() -> None:
    data = sample("poi/hsmf/quick.msg").read_bytes()[:3000]
    with pytest.raises(CorruptError):
        list(MsgExtractor().extract(ItemData("x.msg", data=data), Settings()))


def test_realdocs_msg_all_handled() -> None:
    manifest = sample("manifest.tsv")
    rows = [line.split("\t") for line in manifest.read_text().splitlines()[1:]]
    engine = Engine(Settings(ocr=False))
    for rel in (r[0] for r in rows if len(r) > 2 and r[2] in ("msg", "tnef", "dat")):
        path = REALDOCS / rel
        started = time.monotonic()
        result = engine.process(ItemRef("local", str(path), str(path), os.path.getsize(path), 0))
        assert time.monotonic() - started < 30, rel
        assert not any(p.reason.startswith("error:") for p in result.problems), (rel, result.problems)


def test_tnef_body_and_files() -> None:
    items = pieces(TnefExtractor(), sample("MimeKit/UnitTests/TestData/tnef/two-files.tnef"))
    inner = {p.name: p for p in items if isinstance(p, InnerItem)}
    assert set(inner) == {"vedlegg: AUTHORS", "vedlegg: README"}
    assert len(inner["vedlegg: README"].data.read()) == 893


def test_tnef_property_count_bomb_is_fast() -> None:
    """oom.tnef (53 bytes) claims millions of values; it must not take minutes."""
    path = sample("poi/hmef/oom.tnef")
    started = time.monotonic()
    try:
        pieces(TnefExtractor(), path)
    except CorruptError:
        pass
    assert time.monotonic() - started < 5


def test_pst_damaged_file_is_corrupt() -> None:
    data = b"!BDN" + b"\x00" * 600
    with pytest.raises(CorruptError):
        list(PstExtractor().extract(ItemData("arkiv.pst", data=data), Settings()))


def test_pst_is_claimed_by_magic() -> None:
    engine = Engine(Settings())
    data = ItemData("arkiv.pst", data=b"!BDN" + b"\x00" * 600)
    from pvscan.engine.sniff import sniff

    data.kind = sniff(data)
    assert data.kind == "pst"
    chosen = engine.choose(data)
    assert chosen is not None and chosen.name == "mail_pst"
    assert not any(isinstance(p, Gap) for p in [])


def test_pst_embedded_message_is_read() -> None:
    """A message attached to a message in a .pst (attach method 5) is rebuilt from its
    property context: subject, sender and body, not an unreadable binary blob."""
    items = pieces(PstExtractor(), sample("ruby-msg/test/pst/msgInMsg.pst"))
    assert not [p for p in items if isinstance(p, Gap)]
    inner = {p.name: p for p in items if isinstance(p, InnerItem)}
    embedded = [n for n in inner if "vedlagt e-post:" in n]
    assert len(embedded) == 1
    assert embedded[0].endswith("vedlagt e-post: Microsoft Outlook テスト メッセージ")
    raw = inner[embedded[0]].data.read().decode("utf-8")
    assert "From: Microsoft Outlook" in raw
    assert "To: xmailuser" in raw
    assert "Microsoft Outlook" in raw.split("\n\n", 1)[1]  # the body, not only headers


def test_realdocs_pst_and_msg_read_completely() -> None:
    """Every real .pst and .msg that is not a deliberately damaged test case is read
    through, embedded messages included: the only problem allowed is image text left
    for OCR (turned off here)."""
    manifest = sample("manifest.tsv")
    rows = [line.split("\t") for line in manifest.read_text().splitlines()[1:]]
    engine = Engine(Settings(ocr=False))
    checked = 0
    for row in rows:
        if len(row) < 4 or row[2] not in ("msg", "pst"):
            continue
        if "expected exception" in row[3] or "expected-failure" in row[3]:
            continue  # POI's own damaged samples: covered by test_realdocs_msg_all_handled
        path = REALDOCS / row[0]
        result = engine.process(ItemRef("local", str(path), str(path), path.stat().st_size, 0))
        left = [p.reason for p in result.problems if not p.reason.startswith("unavailable: OCR")]
        assert not left and not result.unscannable, (row[0], left)
        checked += 1
    assert checked >= 40
