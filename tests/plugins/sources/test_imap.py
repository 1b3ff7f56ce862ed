"""The IMAP source against a real Dovecot on 127.0.0.1 (see conftest.py)."""

from __future__ import annotations

import datetime as dt
import imaplib
import io
import multiprocessing as mp
import pickle
import re
import ssl
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import docx
import pytest

from pvscan.model import ItemRef, Settings, Unscannable, WalkError
from pvscan.plugins.sources import imap as source_imap
from pvscan.plugins.sources.imap import (
    ImapSource,
    mutf7_decode,
    mutf7_encode,
    parse_imap_url,
    parse_internaldate,
    reset_connections,
)

pytestmark = pytest.mark.server

OSLO = dt.timezone(dt.timedelta(hours=1))


def _docx_bytes(text: str) -> bytes:
    doc = docx.Document()
    doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _messages(fnr: str) -> list[tuple[bytes, dt.datetime]]:
    """Real RFC 822 messages (CRLF line ends, as IMAP stores them) and their INTERNALDATE."""
    plain = EmailMessage()
    plain["From"] = "Kari Saksbehandler <kari@kommune.example>"
    plain["To"] = "post@kommune.example"
    plain["Subject"] = f"Vedrørende {fnr}"
    plain["Date"] = "Fri, 01 Mar 2024 12:30:15 +0100"
    plain.set_content(f"Hei,\n\nfødselsnummeret er {fnr}.\n\nHilsen Kari\n")

    attached = EmailMessage()
    attached["From"] = "ola@example.org"
    attached["To"] = "post@kommune.example"
    attached["Subject"] = "Søknad med vedlegg – ærlig talt"
    attached["Date"] = "Sat, 02 Mar 2024 08:00:00 +0100"
    attached.set_content("Se vedlagt søknad.\n")
    attached.add_attachment(
        _docx_bytes(f"Søker: {fnr}"),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="søknad.docx",
    )

    empty = EmailMessage()
    empty["From"] = "noreply@example.org"
    empty["Subject"] = "Ingenting her"
    empty.set_content("Bare tekst uten personopplysninger.\n")

    def raw(m: EmailMessage) -> bytes:
        return m.as_bytes(policy=m.policy.clone(linesep="\r\n"))

    return [
        (raw(plain), dt.datetime(2024, 3, 1, 12, 30, 15, tzinfo=OSLO)),
        (raw(attached), dt.datetime(2024, 3, 2, 8, 0, 0, tzinfo=OSLO)),
        (raw(empty), dt.datetime(2024, 3, 3, 23, 59, 59, tzinfo=dt.UTC)),
    ]


def _append(server, mailbox: str, messages, flags: str | None = None) -> list[int]:
    imap = server.client()
    uids = []
    try:
        for data, when in messages:
            typ, resp = imap.append(f'"{mailbox}"', flags, imaplib.Time2Internaldate(when), data)
            assert typ == "OK", resp
            uids.append(int(re.search(rb"APPENDUID \d+ (\d+)", resp[0]).group(1)))
    finally:
        imap.logout()
    return uids


def _flags(server, mailbox: str) -> dict[int, str]:
    imap = server.client()
    try:
        imap.select(f'"{mailbox}"', readonly=True)
        typ, data = imap.uid("FETCH", "1:*", "(FLAGS)")
        out = {}
        for line in data:
            if line:
                m = re.search(rb"UID (\d+) FLAGS \(([^)]*)\)|FLAGS \(([^)]*)\) UID (\d+)", line)
                uid = int(m.group(1) or m.group(4))
                out[uid] = (m.group(2) or m.group(3) or b"").decode()
        return out
    finally:
        imap.logout()


def _walk(root: str) -> tuple[list[ItemRef], list[WalkError]]:
    refs, errors = [], []
    for entry in ImapSource().walk(root, Settings()):
        (errors if isinstance(entry, WalkError) else refs).append(entry)
    return refs, errors


def _read(ref: ItemRef) -> bytes:
    with ImapSource().open(ref, Settings()) as fh:
        return fh.read()


@pytest.fixture
def filled(imap_env, imap_mailbox, fnr):
    msgs = _messages(fnr)
    uids = _append(imap_env, imap_mailbox, msgs)
    return imap_mailbox, list(zip(uids, msgs, strict=True))


# --------------------------------------------------------------------------- pure parts
def test_modified_utf7_round_trip():
    assert mutf7_decode("Utg&AOU-ende") == "Utgående"
    assert mutf7_encode("Utgående") == "Utg&AOU-ende"
    assert mutf7_encode("A&B") == "A&-B" and mutf7_decode("A&-B") == "A&B"
    for name in ("Sendte elementer", "Søppelpost/Æøå", "日本語", "~peter/mail/台北/日本語", "INBOX"):
        assert mutf7_decode(mutf7_encode(name)) == name
    assert mutf7_encode("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-"  # RFC 3501 example


def test_url_parsing_and_internaldate():
    u = parse_imap_url("imaps://ola%40kommune.no@mail.example:10993/Sendte%20elementer;UID=42")
    assert (u.user, u.host, u.port, u.mailbox, u.uid) == (
        "ola@kommune.no",
        "mail.example",
        10993,
        "Sendte elementer",
        42,
    )
    assert u.display() == "imaps://ola%40kommune.no@mail.example:10993/Sendte elementer/;UID=42"
    assert parse_imap_url(u.url()) == u
    assert parse_imap_url("imap://kari@host/").mailbox == ""
    assert parse_imap_url("imaps://kari@host/INBOX").port == 993
    with pytest.raises(ValueError, match="password"):
        parse_imap_url("imaps://kari:hemmelig@host/INBOX")
    assert parse_internaldate(" 1-Mar-2024 12:30:15 +0100") == 1709292615 * 10**9
    assert parse_internaldate("17-Jul-1996 02:44:25 -0700") == 837596665 * 10**9


# --------------------------------------------------------------------------- against dovecot
@pytest.mark.parametrize("tls", [True, False], ids=["imaps", "starttls"])
def test_walk_lists_messages_with_stamps_and_display(imap_env, filled, tls):
    mailbox, expected = filled
    refs, errors = _walk(imap_env.url(mailbox, tls=tls))
    assert errors == []
    assert len(refs) == len(expected)
    scheme, port = ("imaps", imap_env.ssl_port) if tls else ("imap", imap_env.port)
    imap = imaplib.IMAP4(imap_env.host, imap_env.port)
    imap.login(imap_env.user, imap_env.password)
    imap.select(f'"{mailbox}"', readonly=True)
    uidvalidity = int(imap.response("UIDVALIDITY")[1][0])
    imap.logout()
    for ref, (uid, (data, when)) in zip(refs, expected, strict=True):
        assert ref.source == "imap"
        assert ref.display == f"{scheme}://{imap_env.user}@127.0.0.1:{port}/{mailbox}/;UID={uid}"
        assert ref.url == ref.display
        assert ref.size == len(data)
        assert ref.mtime_ns == int(when.timestamp()) * 10**9
        assert ref.file_id == f"{uidvalidity}:{uid}"
        assert imap_env.password not in repr(ref)
    meta = dict(refs[1].meta)
    assert meta["subject"] == "Søknad med vedlegg – ærlig talt"
    assert meta["from"] == "ola@example.org"
    assert meta["mailbox"] == mailbox and meta["uid"] == expected[1][0]
    assert _read(refs[0]) == expected[0][1][0]
    # imap:// really negotiated TLS (STARTTLS), it did not send the password in clear.
    conn = source_imap._POOL.get(parse_imap_url(refs[0].url))  # the connection open() uses
    assert isinstance(conn.imap.sock, ssl.SSLSocket)


def test_open_returns_exact_rfc822_bytes_and_never_sets_seen(imap_env, filled):
    mailbox, expected = filled
    # One message already read by its owner: its flags must stay exactly as they were.
    seen_uid = _append(
        imap_env,
        mailbox,
        [(b"Subject: lest\r\n\r\nlest\r\n", dt.datetime(2024, 1, 1, tzinfo=dt.UTC))],
        r"(\Seen \Flagged)",
    )[0]
    before = _flags(imap_env, mailbox)
    refs, _ = _walk(imap_env.url(mailbox))
    by_uid = {dict(r.meta)["uid"]: r for r in refs}
    for uid, (data, _when) in expected:
        assert _read(by_uid[uid]) == data
    assert _read(by_uid[seen_uid]) == b"Subject: lest\r\n\r\nlest\r\n"
    after = _flags(imap_env, mailbox)
    assert after == before
    assert all("\\Seen" not in after[uid] for uid, _ in expected)
    assert "\\Seen" in after[seen_uid] and "\\Flagged" in after[seen_uid]


def test_stamps_are_stable_across_walks(imap_env, filled):
    mailbox, _ = filled
    first = [(r.url, r.stamp(), r.display) for r in _walk(imap_env.url(mailbox))[0]]
    reset_connections()
    second = [(r.url, r.stamp(), r.display) for r in _walk(imap_env.url(mailbox))[0]]
    assert first == second and len(first) == 3


def test_walk_in_batches(imap_env, imap_mailbox, fnr, monkeypatch):
    msgs = [
        (f"Subject: nr {i}\r\n\r\ntekst {i}\r\n".encode(), dt.datetime(2024, 1, i + 1, tzinfo=dt.UTC))
        for i in range(7)
    ]
    uids = _append(imap_env, imap_mailbox, msgs)
    monkeypatch.setattr(source_imap, "FETCH_BATCH", 3)
    refs, errors = _walk(imap_env.url(imap_mailbox))
    assert errors == []
    assert [dict(r.meta)["uid"] for r in refs] == uids
    assert [dict(r.meta)["subject"] for r in refs] == [f"nr {i}" for i in range(7)]


def test_root_without_mailbox_walks_every_mailbox_with_readable_names(imap_env, filled):
    mailbox, expected = filled
    imap = imap_env.client()
    try:
        imap.create('"' + mutf7_encode("Utgående") + '"')
        imap.append('"' + mutf7_encode("Utgående") + '"', None, None, b"Subject: ut\r\n\r\nsendt\r\n")
    finally:
        imap.logout()
    refs, errors = _walk(imap_env.url(""))
    assert errors == []
    boxes = {dict(r.meta)["mailbox"] for r in refs}
    assert {mailbox, "Utgående"} <= boxes
    out = [r for r in refs if dict(r.meta)["mailbox"] == "Utgående"]
    assert len(out) == 1
    assert "/Utgående/;UID=" in out[0].display and "/Utg%C3%A5ende/;UID=" in out[0].url
    assert _read(out[0]) == b"Subject: ut\r\n\r\nsendt\r\n"
    assert sum(1 for r in refs if dict(r.meta)["mailbox"] == mailbox) == len(expected)


def test_expunged_message_and_renumbered_mailbox(imap_env, filled):
    mailbox, expected = filled
    refs, _ = _walk(imap_env.url(mailbox))
    imap = imap_env.client()
    try:
        imap.select(f'"{mailbox}"')
        imap.uid("STORE", str(expected[0][0]), "+FLAGS", r"(\Deleted)")
        imap.expunge()
    finally:
        imap.logout()
    reset_connections()
    with pytest.raises(FileNotFoundError):
        _read(refs[0])
    stale = ItemRef(**{**refs[1].__dict__, "file_id": "1:" + refs[1].file_id.split(":")[1]})
    with pytest.raises(Unscannable, match="UIDVALIDITY"):
        _read(stale)
    assert _read(refs[1]) == expected[1][1][0]


def test_wrong_password_unknown_mailbox_and_untrusted_certificate_are_walk_errors(
    imap_env, imap_mailbox, monkeypatch
):
    refs, errors = _walk(imap_env.url("FinnesIkke"))
    assert refs == [] and len(errors) == 1 and errors[0].reason.startswith("io: cannot open mailbox")

    reset_connections()
    monkeypatch.setenv("PVSCAN_IMAP_PASSWORD", "feil-passord-123")
    refs, errors = _walk(imap_env.url(imap_mailbox))
    assert refs == [] and len(errors) == 1 and "login failed" in errors[0].reason
    assert "feil-passord-123" not in errors[0].reason + errors[0].display

    reset_connections()
    monkeypatch.setenv("PVSCAN_IMAP_PASSWORD", imap_env.password)
    monkeypatch.delenv("PVSCAN_IMAP_CAFILE")
    for tls in (True, False):  # a self-signed certificate is refused on both routes
        refs, errors = _walk(imap_env.url(imap_mailbox, tls=tls))
        assert refs == [] and "CERTIFICATE_VERIFY_FAILED" in errors[0].reason

    refs, errors = _walk(f"imaps://{imap_env.user}:hemmelig@127.0.0.1:{imap_env.ssl_port}/INBOX")
    assert "password in the URL" in errors[0].reason and "hemmelig" not in errors[0].display


def test_user_from_environment(imap_env, filled, monkeypatch):
    mailbox, expected = filled
    monkeypatch.setenv("PVSCAN_IMAP_USER", imap_env.user)
    refs, errors = _walk(f"imaps://127.0.0.1:{imap_env.ssl_port}/{mailbox}")
    assert errors == [] and len(refs) == len(expected)
    assert refs[0].url.startswith(f"imaps://{imap_env.user}@127.0.0.1:")


def _open_in_child(ref_bytes: bytes) -> bytes:
    with ImapSource().open(pickle.loads(ref_bytes), Settings()) as fh:
        return fh.read()


_CHILD = """
import pickle, sys
from pvscan.model import Settings
from pvscan.plugins.sources.imap import ImapSource
with ImapSource().open(pickle.loads(sys.stdin.buffer.read()), Settings()) as fh:
    sys.stdout.buffer.write(fh.read())
"""


def test_open_in_worker_processes_from_pickled_refs(imap_env, filled):
    mailbox, expected = filled
    refs, _ = _walk(imap_env.url(mailbox))  # the parent holds a live connection
    with mp.get_context("fork").Pool(2) as pool:
        got = pool.map_async(_open_in_child, [pickle.dumps(r) for r in refs]).get(timeout=120)
    assert got == [data for _, (data, _) in expected]
    assert _read(refs[2]) == expected[2][1][0]  # the parent's connection survived
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD], input=pickle.dumps(refs[1]), capture_output=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == expected[1][1][0]


def test_scan_of_a_mailbox_finds_the_same_as_the_messages_saved_as_eml(imap_env, filled, tmp_path, fnr):
    scan_mod = pytest.importorskip("pvscan.scan")
    inventory = pytest.importorskip("pvscan.inventory")
    pytest.importorskip("pvscan.plugins.mail.eml")
    mailbox, expected = filled
    local = tmp_path / "eml"
    local.mkdir()
    for uid, (data, _) in expected:
        (local / f"{uid}.eml").write_bytes(data)
    found = {}
    for label, root in (("local", str(local)), ("imap", imap_env.url(mailbox))):
        db = str(tmp_path / f"{label}.sqlite")
        summary = scan_mod.scan([root], db=db, workers=2)
        assert summary.walk_errors == 0 and summary.unscannable == 0
        assert summary.files == len(expected)  # the messages count as the root's items
        with inventory.Inventory(db) as inv:
            rows = inv.db.execute(
                "SELECT i.display AS display, f.type AS type, f.location AS location "
                "FROM findings f JOIN items i ON i.id = f.item_id"
            ).fetchall()
        found[label] = sorted(
            (
                int(Path(r["display"]).stem) if label == "local" else int(r["display"].rsplit("=", 1)[1]),
                r["type"],
                r["location"],
            )
            for r in rows
        )
    assert found["imap"] == found["local"]
    again = scan_mod.scan([imap_env.url(mailbox)], db=str(tmp_path / "imap.sqlite"), workers=2)
    assert (again.read, again.unchanged) == (0, len(expected))  # the stamps drive incremental scans
    fnr_hits = {(uid, loc) for uid, typ, loc in found["imap"] if typ == "fodselsnummer"}
    (u1, _), (u2, _), _ = expected
    assert {(u1, "emne"), (u1, "tekst")} <= fnr_hits  # subject and body of the plain message
    assert {uid for uid, _ in fnr_hits} == {u1, u2}  # and the .docx attachment of the second
    # Reading the whole mailbox through the pipeline left every message unread.
    assert all("\\Seen" not in f for f in _flags(imap_env, mailbox).values())
