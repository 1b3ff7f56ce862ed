"""The .eml extractor on messages built with the stdlib ``email`` package, plus the
end-to-end item paths through the engine and a pass over the realdocs .eml files."""

from __future__ import annotations

import io
import mailbox
import os
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from pvscan.engine.process import Engine
from pvscan.model import InnerItem, ItemData, ItemRef, Segment, Settings
from pvscan.plugins.mail._mime import html_to_text, message_step, parse_message
from pvscan.plugins.mail.eml import EmlExtractor, SmimeExtractor
from pvscan.testing import fnr_from

REALDOCS = Path(__file__).resolve().parents[4] / "shared" / "realdocs"


def fnr(day: int = 1, month: int = 3, year: int = 85, individ: int = 123) -> str:
    return fnr_from(day, month, year, individ)


FNR_A = fnr(1, 3, 85)
FNR_B = fnr(12, 11, 72)
FNR_C = fnr(24, 12, 90)


def build_message(
    subject: str = "Sjukmelding for Kari", body: str = f"Fødselsnummer {FNR_A}."
) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = "Kari Nordmann <kari@example.no>"
    msg["To"] = "Ola Nordmann <ola@example.no>"
    msg["Cc"] = "Per Ås <per@example.no>"
    msg["Date"] = "Fri, 01 Mar 2024 10:00:00 +0100"
    msg.set_content(body)
    return msg


def extract(data: bytes, name: str = "melding.eml") -> list:
    item = ItemData(name, data=data)
    return list(EmlExtractor().extract(item, Settings()))


def segments(pieces: list) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in pieces:
        if isinstance(p, Segment):
            out[p.location] = out.get(p.location, "") + p.text
    return out


def scan_file(path: Path):
    ref = ItemRef("local", str(path), str(path), path.stat().st_size, 0)
    return Engine(Settings()).process(ref)


# --------------------------------------------------------------------------- headers/bodies
def test_headers_and_plain_body_have_norwegian_locations() -> None:
    segs = segments(extract(build_message().as_bytes()))
    assert segs["emne"] == "Sjukmelding for Kari"
    assert "kari@example.no" in segs["fra"]
    assert "ola@example.no" in segs["til"]
    assert "Per Ås" in segs["kopi"]
    assert FNR_A in segs["tekst"]


def test_rfc2047_subject_is_decoded() -> None:
    raw = (
        b"From: a@example.no\r\nTo: b@example.no\r\n"
        b"Subject: =?iso-8859-1?q?S=F8knad_om_st=F8tte?= =?utf-8?b?w6ZyZW4=?=\r\n\r\nhei\r\n"
    )
    assert segments(extract(raw))["emne"] == "Søknad om støtteæren"


@pytest.mark.parametrize("cte", ["quoted-printable", "base64", "8bit"])
def test_transfer_encodings(cte: str) -> None:
    msg = build_message(body=f"Pasient født {FNR_B}, bur på Ørsta.\n")
    msg.set_content(f"Pasient født {FNR_B}, bur på Ørsta.\n", cte=cte)
    segs = segments(extract(msg.as_bytes()))
    assert FNR_B in segs["tekst"]
    assert "Ørsta" in segs["tekst"]


def test_broken_and_unknown_charsets_do_not_crash() -> None:
    raw = (
        b"From: a@example.no\nTo: b@example.no\nSubject: Hei\nMIME-Version: 1.0\n"
        b"Content-Type: text/plain; charset=x-unknown-junk\n\n"
        b"Bl\xe5b\xe6r og " + FNR_C.encode() + b"\n"
    )
    segs = segments(extract(raw))
    assert FNR_C in segs["tekst"]
    assert "Blåbær" in segs["tekst"]  # cp1252 fallback for 8-bit bytes


def test_html_body_skips_script_and_style() -> None:
    msg = build_message()
    msg.set_content(
        f"<html><head><style>p {{color: red}}</style><script>var x = '{FNR_C}';</script></head>"
        f"<body><p>Kontakt oss</p><table><tr><td>Fnr</td><td>{FNR_B}</td></tr></table></body></html>",
        subtype="html",
    )
    segs = segments(extract(msg.as_bytes()))
    assert FNR_B in segs["tekst (html)"]
    assert FNR_C not in segs["tekst (html)"]
    assert "color" not in segs["tekst (html)"]
    assert "tekst" not in segs


def test_alternative_html_adds_only_new_lines() -> None:
    msg = build_message(body=f"Fnr {FNR_A}\n")
    msg.add_alternative(f"<p>Fnr {FNR_A}</p><p>Ekstra {FNR_B}</p>", subtype="html")
    segs = segments(extract(msg.as_bytes()))
    assert FNR_A in segs["tekst"]
    assert FNR_B in segs["tekst (html)"]
    assert FNR_A not in segs["tekst (html)"]  # not reported twice


def test_html_to_text_entities() -> None:
    assert html_to_text("<p>S&oslash;knad&nbsp;nr&#58; 5</p><br>neste") == "Søknad nr: 5\nneste"


# --------------------------------------------------------------------------- attachments
def test_attachments_and_nested_message_are_inner_items() -> None:
    inner = build_message(subject="Videresendt attest", body=f"Attest for {FNR_C}")
    msg = build_message()
    msg.add_attachment(
        f"Journal {FNR_B}\n".encode(), maintype="text", subtype="plain", filename="journal.txt"
    )
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="attest.pdf")
    msg.add_attachment(inner)
    pieces = extract(msg.as_bytes())
    inners = {p.name: p for p in pieces if isinstance(p, InnerItem)}
    assert set(inners) == {
        "vedlegg: journal.txt",
        "vedlegg: attest.pdf",
        "vedlagt e-post: Videresendt attest",
    }
    assert FNR_B.encode() in inners["vedlegg: journal.txt"].data.read()
    nested = extract(inners["vedlagt e-post: Videresendt attest"].data.read())
    assert FNR_C in segments(nested)["tekst"]
    # the text attachment is not mistaken for a body
    assert FNR_B not in segments(pieces).get("tekst", "")


def test_engine_item_paths_through_attachments(tmp_path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_paragraph(f"Vedtak for {FNR_B}")
    buf = io.BytesIO()
    doc.save(buf)
    inner = build_message(subject="Attest", body=f"Attest for {FNR_C}")
    msg = build_message(body="Se vedlegg.")
    msg.add_attachment(
        buf.getvalue(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="vedtak.docx",
    )
    msg.add_attachment(inner)
    path = tmp_path / "sak.eml"
    path.write_bytes(msg.as_bytes())
    result = scan_file(path)
    assert not result.unscannable, result.problems
    where = {(f.value, f.item) for f in result.findings}
    assert (FNR_C, "vedlagt e-post: Attest") in where
    assert any(v == FNR_B and item.startswith("vedlegg: vedtak.docx") for v, item in where), where


def test_maildir_message_files_are_read(tmp_path: Path) -> None:
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    key = box.add(mailbox.MaildirMessage(build_message(body=f"Maildir {FNR_A}").as_bytes()))
    box.close()
    files = [p for p in (tmp_path / "Maildir").rglob("*") if p.is_file()]
    assert len(files) == 1 and key in files[0].name
    result = scan_file(files[0])
    assert result.kind == "eml"
    assert any(f.value == FNR_A and f.location == "tekst" for f in result.findings), result.findings


def test_malformed_message_never_crashes() -> None:
    raw = (
        b"Subject: =?utf-8?b?broken\nFrom: <<<>>>@@\nContent-Type: multipart/mixed; boundary=\n\n--\n\x00\xff"
    )
    pieces = extract(raw)
    assert isinstance(pieces, list)


def test_message_step_uses_date_and_subject() -> None:
    msg = parse_message(build_message().as_bytes())
    assert message_step(msg) == "2024-03-01 Emne: Sjukmelding for Kari"
    msg2 = parse_message(b"Subject: \n\nhei")
    assert message_step(msg2) == "Emne: (uten emne)"


def test_smime_enveloped_attachment_is_reported_encrypted() -> None:
    msg = build_message()
    msg.add_attachment(b"0\x80garbage", maintype="application", subtype="pkcs7-mime", filename="smime.p7m")
    msg.get_payload()[1].set_param("smime-type", "enveloped-data")
    gaps = [p for p in extract(msg.as_bytes()) if not isinstance(p, Segment | InnerItem)]
    assert gaps and gaps[0].reason.startswith("encrypted:")


# --------------------------------------------------------------------------- realdocs
def _realdocs(ext: str) -> list[Path]:
    manifest = REALDOCS / "manifest.tsv"
    if not manifest.exists():
        pytest.skip("realdocs corpus not present")
    rows = [line.split("\t") for line in manifest.read_text().splitlines()[1:]]
    return [REALDOCS / r[0] for r in rows if len(r) > 2 and r[2] == ext]


def test_realdocs_pkcs7_signed_and_enveloped() -> None:
    files = {p.name: p for p in _realdocs("p7m")}
    signed = files["testPKCS7_signed_data_def.p7m"]
    pieces = list(SmimeExtractor().extract(ItemData(signed.name, path=str(signed)), Settings()))
    assert pieces and isinstance(pieces[0], InnerItem) and pieces[0].data.size > 0
    result = scan_file(files["testPKCS7_enveloped_def.p7m"])
    assert result.unscannable and result.problems[0].reason.startswith("encrypted:")


def test_realdocs_eml_all_read_quickly() -> None:
    files = _realdocs("eml")
    assert len(files) > 100
    engine = Engine(Settings(ocr=False))  # OCR of inline images is another plugin's cost
    crashed = []
    for path in files:
        started = time.monotonic()
        result = engine.process(ItemRef("local", str(path), str(path), os.path.getsize(path), 0))
        assert time.monotonic() - started < 10, path
        if any(p.reason.startswith("error:") for p in result.problems):
            crashed.append((path.name, [p.reason for p in result.problems]))
    assert not crashed, crashed


def test_realdocs_known_content() -> None:
    path = REALDOCS / "mail-parser" / "tests" / "mails" / "mail_test_3.eml"
    if not path.exists():
        pytest.skip("realdocs corpus not present")
    segs = segments(list(EmlExtractor().extract(ItemData(path.name, path=str(path)), Settings())))
    assert segs["emne"] and segs["fra"]


def test_policy_default_header_objects_are_plain_strings() -> None:
    # The bytes parser with policy.default is what the extractor relies on.
    msg = parse_message(build_message().as_bytes(policy=policy.SMTP))
    assert str(msg["subject"]) == "Sjukmelding for Kari"
