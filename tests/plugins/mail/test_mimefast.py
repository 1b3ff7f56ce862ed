"""The fast MIME structure parser builds exactly the stdlib's ``compat32`` tree, or
declines (``None``) and the stdlib parses the message."""

from __future__ import annotations

import io
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path

import pytest
from docx import Document

from pvscan.plugins.mail._mime import message_pieces, parse_message
from pvscan.plugins.mail._mimefast import parse_fast
from pvscan.plugins.mail.mbox import iter_messages

REALDOCS = Path(__file__).resolve().parents[4] / "shared" / "realdocs"


def tree(m: Message) -> tuple:
    """Everything of a message the extractor can see: raw headers, default type,
    preamble, epilogue and the raw payload (``_payload``: ``get_payload()`` decodes)."""
    p = m._payload  # type: ignore[attr-defined]
    return (
        list(m.raw_items()),
        m.get_default_type(),
        m.preamble,
        m.epilogue,
        [tree(c) for c in p] if isinstance(p, list) else p,
    )


def stdlib(data: bytes) -> Message:
    return BytesParser(policy=policy.compat32).parsebytes(data)


def pieces(m: Message) -> list[tuple]:
    out = []
    for p in message_pieces(m):
        data = getattr(p, "data", None)
        out.append(
            (type(p).__name__, getattr(p, "text", None), getattr(p, "name", None), data and data.read())
        )
    return out


def docx_bytes() -> bytes:
    doc = Document()
    doc.add_paragraph("Vedtak for Kari Nordmann, fødselsnummer 01019012345.")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def message(linesep: str = "\n") -> bytes:
    msg = EmailMessage()
    msg["Subject"] = "Sjukmelding – Ola Nordmann"
    msg["From"] = "Åse <ase@example.no>"
    msg["To"] = "post@example.no"
    msg.set_content("Hei,\n\nOla er sjukmeld ut veka.\n", charset="utf-8", cte="8bit")
    msg.add_alternative("<p>Hei,</p><p>Ola er <b>sjukmeld</b> ut veka.</p>", subtype="html")
    msg.add_attachment(
        docx_bytes(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="vedtak.docx",
    )
    msg.add_attachment(b"fnr;navn\n01019012345;Kari\n", maintype="text", subtype="csv", filename="liste.csv")
    msg.preamble = "This is a multi-part message in MIME format."
    msg.epilogue = "etter\n"
    return msg.as_bytes(policy=policy.default.clone(linesep=linesep))


@pytest.mark.parametrize("linesep", ["\n", "\r\n"])
def test_same_tree_and_pieces_as_the_stdlib(linesep):
    data = message(linesep)
    fast = parse_fast(data)
    assert fast is not None and fast.is_multipart()
    assert tree(fast) == tree(stdlib(data))
    got = pieces(fast)
    assert got == pieces(stdlib(data))
    names = [p[2] for p in got if p[0] == "InnerItem"]
    assert names == ["vedlegg: vedtak.docx", "vedlegg: liste.csv"]
    assert any(p[1] and "sjukmeld ut veka" in p[1] for p in got)


def test_eight_bit_body_keeps_its_raw_bytes():
    data = (
        b"Subject: x\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
        b"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
        b"Kan du sj\xe5 p\xe5 saka?\n--b--\n"
    )
    fast = parse_fast(data)
    assert fast is not None and tree(fast) == tree(stdlib(data))
    assert pieces(fast)[-1][1] == "Kan du sjå på saka?"


@pytest.mark.parametrize(
    "body",
    [
        # a line that starts with the boundary but goes on is not a boundary line
        b"--b\n\nett\n--bx\n--b-\n--b--x\n--b\n\nto\n--b--   \nepilog\n",
        # an inner boundary that starts with the outer one; trailing blanks on a boundary
        b"--b \nContent-Type: multipart/alternative; boundary=bb\n\npre\n--bb\n\ninner\n--bb--\n\n--b--",
        # a part with headers and an empty body, a part with no headers
        b"--b\nContent-Type: text/plain\n\n--b\n\nbare tekst\n--b--\n",
    ],
)
def test_boundary_lines_are_read_as_the_stdlib_reads_them(body):
    data = b"Content-Type: multipart/mixed; boundary=b\n\n" + body
    fast = parse_fast(data)
    assert fast is not None
    assert tree(fast) == tree(stdlib(data))


@pytest.mark.parametrize(
    "data",
    [
        b"From someone Mon Jun 01 10:00:00 2009\nSubject: x\n\nbody\n",  # a Unix From line
        b"Subject: x\r\rbody\r",  # bare CR line ends
        b"Subject: x\nthis is not a header\n\nbody\n",  # no blank line after the headers
        b"Subject: x",  # headers only
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nno close\n",  # no closing line
        b"Content-Type: multipart/mixed\n\n--b\n\nx\n--b--\n",  # no boundary parameter
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\n"
        b"Subject: inner\n\nhei\n--b--\n",  # an embedded message: the stdlib parses it
        b"Content-Type: multipart/digest; boundary=b\n\n--b\n\nSubject: x\n\ny\n--b--\n",
    ],
)
def test_declines_what_it_cannot_promise_and_the_stdlib_reads_it(data):
    assert parse_fast(data) is None
    assert tree(parse_message(data)) == tree(stdlib(data))


def test_every_message_of_the_real_documents_reads_the_same():
    """Real mail from other projects' test suites (odd, broken, 8-bit): wherever the
    fast path answers, its tree and the extractor's pieces equal the stdlib's."""
    if not REALDOCS.is_dir():
        pytest.skip("realdocs corpus not present")
    messages: list[bytes] = []
    for path in sorted(REALDOCS.rglob("*")):
        suffix = path.suffix.lower()
        if suffix in (".eml", ".emlx", ".mht", ".mhtml"):
            messages.append(path.read_bytes())
        elif suffix in (".mbox", ".mbx"):
            with open(path, "rb") as fh:
                for _, spool in iter_messages(fh):
                    messages.append(spool.item("m.eml").read())
                    spool.close()
    fast = 0
    for data in messages:
        m = parse_fast(data)
        if m is None:
            continue
        fast += 1
        assert tree(m) == tree(stdlib(data))
        assert pieces(m) == pieces(stdlib(data))
    assert fast >= len(messages) // 2, (fast, len(messages))
