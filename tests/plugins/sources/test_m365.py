"""The Microsoft 365 source against the fake Graph server (``tests/servers/fakegraph.py``):
a tenant with two readable mailboxes and one the app may not read, a OneDrive and a
SharePoint library, scanned twice with a change, a deletion and a new file between."""

from __future__ import annotations

import contextlib
import io
import os
import random
import subprocess
import sys
import time
import zipfile
from email.message import EmailMessage

import docx
import psutil
import pytest
from servers.fakegraph import certificate_pair

from pvscan.inventory import Inventory
from pvscan.model import ItemRef, Settings, WalkError
from pvscan.plugins.sources import _graph
from pvscan.plugins.sources.m365 import M365Source, parse_url, reset_connections
from pvscan.scan import scan
from pvscan.testing import make_fnr
from pvscan.workflows import deletion
from pvscan.workflows.find import find
from pvscan.workflows.review import hashes_for

RNG = random.Random(365)
#: Every planted number, by where it is planted.
N = {
    key: make_fnr(rng=RNG)
    for key in (
        "kari_inbox",
        "kari_attachment",
        "kari_embedded",
        "ola_inbox",
        "ola_nested",
        "leder",
        "od_notat",
        "od_large",
        "od_changed",
        "od_changed_new",
        "od_deleted",
        "od_new",
        "sp_liste",
        "sp_sak",
    )
}
TENANT = "kommune.onmicrosoft.com"
KARI, OLA, LEDER, HR = (
    "kari@kommune.example",
    "ola@kommune.example",
    "leder@kommune.example",
    "hr@kommune.example",
)
ROOTS = [
    f"m365://{TENANT}/mail",
    f"m365://{TENANT}/onedrive/{KARI}",
    f"m365://{TENANT}/sharepoint/personal/Dokumenter",
]
LARGE = 10 * 1024**2 + 123_457


def _mime(subject: str, body: str, sender: str, to: str) -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    m["Date"] = "Mon, 02 Nov 2026 09:00:00 +0100"
    m.set_content(body)
    return m


def _raw(m: EmailMessage) -> bytes:
    return m.as_bytes(policy=m.policy.clone(linesep="\r\n"))


def _docx(text: str) -> bytes:
    d = docx.Document()
    d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _large_docx(fnr: str) -> bytes:
    """A Word file over 10 MB (a recording stored in it, as people do): the number is
    in the text, the bulk is an incompressible member the reader must seek past."""
    buf = io.BytesIO(_docx(f"Referat med lydopptak. Gjelder fødselsnummer {fnr}."))
    buf.seek(0, io.SEEK_END)
    with zipfile.ZipFile(buf, "a") as z:
        z.writestr(zipfile.ZipInfo("word/media/opptak.bin"), RNG.randbytes(LARGE - buf.tell() - 200))
    return buf.getvalue()


@pytest.fixture
def tenant(fake_graph, monkeypatch, tmp_path):
    """The fake tenant filled, the environment pointing at it, a private PVSCAN_HOME."""
    t = fake_graph.tenant
    kari, ola, leder = (
        t.add_user(KARI, "Kari Nordmann"),
        t.add_user(OLA, "Ola Hansen"),
        t.add_user(LEDER, "Leder"),
    )
    t.add_user(HR, "HR")

    inbox = t.add_folder(kari, "Innboks", well_known="inbox")
    saker = t.add_folder(kari, "Saker", parent=inbox)
    barnevern = t.add_folder(kari, "Barnevern", parent=saker)
    t.add_message(
        kari, inbox, _raw(_mime("Timeavtale", f"Pasient fnr {N['kari_inbox']}", OLA, KARI)), "Timeavtale", OLA
    )
    with_attachment = _mime("Søknad", "Se vedlegg.", "innbygger@example.org", KARI)
    with_attachment.add_attachment(
        _docx(f"Søker fødselsnummer {N['kari_attachment']}"),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="søknad.docx",
    )
    t.add_message(kari, saker, _raw(with_attachment), "Søknad", "innbygger@example.org")
    outer = _mime("Videresendt: melding", "Videresender meldingen under.", OLA, KARI)
    outer.add_attachment(
        _mime("Bekymring", f"Gjelder barnet, fnr {N['kari_embedded']}", "skole@example.org", OLA)
    )
    t.add_message(kari, barnevern, _raw(outer), "Videresendt: melding", OLA)
    t.add_message(kari, inbox, _raw(_mime("Lunsj", "Ingen tall her.", OLA, KARI)), "Lunsj", OLA)

    o_inbox = t.add_folder(ola, "Innboks", well_known="inbox")
    o_sub = t.add_folder(ola, "Arkiv 2025", parent=o_inbox)
    lonn = f"Lønn {N['ola_inbox'][:6]} {N['ola_inbox'][6:]}"  # a number in the subject
    t.add_message(ola, o_inbox, _raw(_mime(lonn, f"Ansatt fnr {N['ola_inbox']}", HR, OLA)), lonn, HR)
    note = _mime("Vedlegg", "Liste vedlagt.", HR, OLA)
    note.add_attachment(
        f"Navn;Fødselsnummer\nPer;{N['ola_nested']}\n".encode(),
        maintype="text",
        subtype="csv",
        filename="liste.csv",
    )
    t.add_message(ola, o_sub, _raw(note), "Vedlegg", HR)

    l_inbox = t.add_folder(leder, "Innboks", well_known="inbox")
    t.add_message(leder, l_inbox, _raw(_mime("Hemmelig", f"fnr {N['leder']}", HR, LEDER)), "Hemmelig", HR)
    t.forbidden_mailboxes.add(leder)

    od = t.add_onedrive(kari)
    ids = {
        "notat": t.put_file(
            od, "Saker/2026/notat.txt", f"Notat om fødselsnummer {N['od_notat']}\n".encode(), KARI
        ),
        "large": t.put_file(od, "stor.docx", _large_docx(N["od_large"]), KARI),
        "changed": t.put_file(
            od, "Saker/endres.txt", f"Før: fødselsnummer {N['od_changed']}\n".encode(), KARI
        ),
        "deleted": t.put_file(
            od, "slettes.txt", f"Slettes: fødselsnummer {N['od_deleted']}\n".encode(), KARI
        ),
    }
    site = t.add_site("personal", "Personal")
    t.add_library(site, "Andre filer")
    lib = t.add_library(site, "Dokumenter")
    t.put_file(lib, "Ansatte/liste.txt", f"Ansattliste fødselsnummer {N['sp_liste']}\n".encode(), HR)
    t.put_file(lib, "Ansatte/2026/sak.txt", f"Personalsak fødselsnummer {N['sp_sak']}\n".encode(), OLA)

    for k, v in fake_graph.env().items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PVSCAN_M365_CONCURRENCY", "2")
    waits: list[float] = []
    monkeypatch.setattr(_graph, "sleep", waits.append)
    reset_connections()
    yield {
        "fake": fake_graph,
        "od": od,
        "lib": lib,
        "ids": ids,
        "waits": waits,
        "kari": kari,
        "leder": leder,
    }
    reset_connections()


def _owners(db: str, key: str) -> set[tuple[str, str]]:
    """(owner, display) of every current item holding planted number ``key``."""
    return {(h.owner, h.file) for h in find(db, [N[key]])}


EXPECTED_FIRST = {
    "kari_inbox": (KARI, f"m365://{TENANT}/mail/{KARI}/Innboks/"),
    "kari_attachment": (KARI, f"m365://{TENANT}/mail/{KARI}/Innboks/Saker/"),
    "kari_embedded": (KARI, f"m365://{TENANT}/mail/{KARI}/Innboks/Saker/Barnevern/"),
    "ola_inbox": (OLA, f"m365://{TENANT}/mail/{OLA}/Innboks/"),
    "ola_nested": (OLA, f"m365://{TENANT}/mail/{OLA}/Innboks/Arkiv 2025/"),
    "od_notat": (KARI, f"m365://{TENANT}/onedrive/{KARI}/Saker/2026/notat.txt"),
    "od_large": (KARI, f"m365://{TENANT}/onedrive/{KARI}/stor.docx"),
    "od_changed": (KARI, f"m365://{TENANT}/onedrive/{KARI}/Saker/endres.txt"),
    "od_deleted": (KARI, f"m365://{TENANT}/onedrive/{KARI}/slettes.txt"),
    "sp_liste": (HR, f"m365://{TENANT}/sharepoint/personal/Dokumenter/Ansatte/liste.txt"),
    "sp_sak": (OLA, f"m365://{TENANT}/sharepoint/personal/Dokumenter/Ansatte/2026/sak.txt"),
}


def _check_found(db: str, expected: dict[str, tuple[str, str]]) -> None:
    for key, (owner, where) in expected.items():
        hits = _owners(db, key)
        assert hits, f"{key} not found"
        assert all(o == owner and d.startswith(where) for o, d in hits), (key, hits)


def test_two_scans_find_everything_with_owners_and_the_second_reads_only_changes(tenant, tmp_path):
    fake = tenant["fake"]
    db = str(tmp_path / "inv.sqlite")
    first = scan(ROOTS, db, settings=Settings(ocr=False), workers=0)

    _check_found(db, EXPECTED_FIRST)
    assert not find(db, [N["leder"]])
    # The mailbox the app may not read is one walk error; the scan went on past it.
    assert first.walk_errors == 1
    with Inventory(db) as inv:
        [err] = inv.walk_errors(first.scan_id)
        assert err["display"] == f"m365://{TENANT}/mail/{LEDER}" and "403 ErrorAccessDenied" in err["reason"]
    # The inventory (items, findings, the delta state) holds no number in clear, not
    # even the one in a message's subject, which its display name masks.
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("inv.sqlite*"))
    assert not [k for k, v in N.items() if v.encode() in raw or f"{v[:6]} {v[6:]}".encode() in raw]
    assert {h.file.rsplit("/", 1)[1][17:] for h in find(db, [N["ola_inbox"]])} == {"Lønn ****** *****"}
    # 4 + 2 messages, 4 OneDrive files, 2 library files (+ the walk error); all read.
    assert (first.files, first.read, first.unscannable) == (13, 12, 0)
    # The large file came through a redirect to a download URL, without our token.
    downloads = [r for r in fake.requests if r.path.startswith("/_layouts/")]
    assert len(downloads) == 6 and not any(r.auth_header for r in downloads)

    # Between the scans: one file changed, one deleted, one new, one new message.
    t = fake.tenant
    t.put_file(
        tenant["od"], "Saker/endres.txt", f"Etter: fødselsnummer {N['od_changed_new']}\n".encode(), KARI
    )
    t.delete_item(tenant["od"], tenant["ids"]["deleted"])
    t.put_file(tenant["od"], "Saker/ny.txt", f"Ny: fødselsnummer {N['od_new']}\n".encode(), KARI)
    inbox = t.well_known(tenant["kari"], "inbox")
    t.add_message(tenant["kari"], inbox, _raw(_mime("Ny", f"fnr {N['leder']} igjen", OLA, KARI)), "Ny", OLA)
    fake.reset_log()

    second = scan(ROOTS, db, settings=Settings(ocr=False), workers=0)
    assert (second.read, second.gone, second.changed, second.new) == (3, 1, 1, 2)
    assert second.unchanged == 10
    requests = fake.graph_requests()
    content = [r for r in requests if r.path.endswith(("/content", "/$value"))]
    delta = [r for r in requests if r.path.endswith("/delta")]
    # Only delta rounds and the three new or changed items' content: no listing, no
    # lookups. Delta rounds: users 1; kari 1 top + 2 parents + 4 folders; ola 1 + 1 +
    # 3; hr 1 + 1 (an empty mailbox); leder's refused first round 1; the OneDrive 1;
    # the library 1.
    assert len(content) == 3 and len(delta) == 18 and len(requests) == 21
    assert all("deltatoken=" in r.query for r in delta if r.status == 200)
    assert [r.status for r in delta if r.status != 200] == [403]
    _check_found(
        db,
        {
            **{k: v for k, v in EXPECTED_FIRST.items() if k not in ("od_changed", "od_deleted")},
            "od_changed_new": (KARI, f"m365://{TENANT}/onedrive/{KARI}/Saker/endres.txt"),
            "od_new": (KARI, f"m365://{TENANT}/onedrive/{KARI}/Saker/ny.txt"),
            "leder": (KARI, f"m365://{TENANT}/mail/{KARI}/Innboks/"),
        },
    )
    assert not find(db, [N["od_changed"]]) and not find(db, [N["od_deleted"]])


def test_throttling_is_waited_out_and_an_expired_token_renewed(tenant, tmp_path):
    fake, waits = tenant["fake"], tenant["waits"]
    fake.throttle(2, 429, "3", match="/messages/delta")
    fake.throttle(1, 503, None, match="/content")
    fake.throttle(1, 429, "7", match="/$value")
    fake.expire_tokens_after(12)  # every token stops working mid-walk
    db = str(tmp_path / "inv.sqlite")
    summary = scan(ROOTS, db, settings=Settings(ocr=False), workers=0)
    _check_found(db, EXPECTED_FIRST)
    assert (summary.read, summary.unscannable, summary.walk_errors) == (12, 0, 1)
    statuses = [r.status for r in fake.graph_requests()]
    assert (statuses.count(429), statuses.count(503), statuses.count(401)) == (3, 1, 1)
    # Retry-After obeyed as given; the 503 without one backed off exponentially (first step 0.5–1 s).
    assert sorted(w for w in waits if w >= 3) == [3.0, 3.0, 7.0]
    assert len(waits) == 4 and 0.5 <= min(waits) <= 1.0
    # One token at the start, a new one after the 401, and the request retried with it.
    assert len(fake.issued) == 2
    [refused] = [i for i, r in enumerate(fake.graph_requests()) if r.status == 401]
    after = fake.graph_requests()[refused + 1]
    assert after.status in (200, 302, 429, 503) and after.token == fake.issued[1]


def test_a_large_file_is_streamed_to_an_anonymous_temp_file_and_downloaded_once(tenant):
    fake = tenant["fake"]
    root = ROOTS[1]
    src = M365Source()
    src.restore_state(root, None)
    refs = {r.name: r for r in src.walk(root, Settings()) if isinstance(r, ItemRef)}
    assert set(refs) == {"notat.txt", "stor.docx", "endres.txt", "slettes.txt"}
    big = refs["stor.docx"]
    assert big.size > 10 * 1024**2 and big.owner == KARI and big.file_id.startswith('"{')
    fake.reset_log()
    with src.open(big, Settings()) as fh:
        st = os.fstat(fh.fileno())
        assert st.st_nlink == 0 and st.st_size == big.size  # a real, unnamed file: not in memory
        with zipfile.ZipFile(fh) as z:  # seekable: the reader jumps to the directory at the end
            assert N["od_large"] in z.read("word/document.xml").decode()
    with src.open(big, Settings()) as again:  # sniffing, then extracting: one download
        assert again.read(4) == b"PK\x03\x04"
    assert len([r for r in fake.requests if r.path.startswith("/_layouts/")]) == 1
    with src.open(refs["notat.txt"], Settings()) as small, pytest.raises(io.UnsupportedOperation):
        small.fileno()  # small ones stay in memory


def test_deletion_only_when_enabled_and_permitted_and_never_of_a_changed_file(tenant, tmp_path, monkeypatch):
    fake = tenant["fake"]
    t = fake.tenant
    db = str(tmp_path / "inv.sqlite")
    scan(ROOTS, db, settings=Settings(ocr=False), workers=0)
    sel = deletion.Selection(hashes=hashes_for([N["kari_inbox"], N["od_notat"], N["od_changed"]]))
    log, q = str(tmp_path / "audit.jsonl"), str(tmp_path / "q")

    # Not enabled by the organisation: the plan says so and nothing is touched.
    p = deletion.plan(db, sel)
    assert sorted(e.action for e in p.entries) == ["manual"] * 3
    assert all("PVSCAN_M365_ALLOW_DELETE" in deletion.reason_text(e, "en") for e in p.entries)
    fake.reset_log()
    deletion.execute(db, p, log, q)
    assert not [r for r in fake.requests if r.method in ("POST", "DELETE")]

    # Enabled, but the app has only read permissions: the service refuses, nothing moves.
    monkeypatch.setenv("PVSCAN_M365_ALLOW_DELETE", "1")
    p = deletion.plan(db, sel)
    assert [e.action for e in p.entries] == ["quarantine"] * 3
    assert all(e.reason == "service:m365" for e in p.entries)
    deletion.execute(db, p, log, q)
    assert [e.action for e in p.entries] == ["refuse"] * 3
    assert all(e.reason.startswith("notpermitted:m365") for e in p.entries)
    assert len(t.recycle_bin) == 0

    # With write permissions: the message to Deleted Items, the file to the recycle bin,
    # the file changed since the scan refused by the service (If-Match).
    t.roles |= {"Mail.ReadWrite", "Files.ReadWrite.All"}
    t.put_file(tenant["od"], "Saker/endres.txt", b"endret etter skanningen\n", KARI)
    p = deletion.plan(db, sel)
    deletion.execute(db, p, log, q, case="2026/17")
    outcome = {e.display.rsplit("/", 1)[-1]: e.action for e in p.entries}
    assert outcome == {
        "endres.txt": "refuse",
        "notat.txt": "quarantine",
        next(iter(set(outcome) - {"endres.txt", "notat.txt"})): "quarantine",
    }
    assert [it["name"] for it in t.recycle_bin] == ["notat.txt"]
    deleted = t.well_known(tenant["kari"], "deleteditems")
    assert [
        N["kari_inbox"].encode() in m["_mime"]
        for m in t.messages[tenant["kari"]].values()
        if m["parentFolderId"] == deleted
    ] == [True]
    records = deletion.read_audit_log(log)[-3:]
    assert sorted(r.get("service", r["reason"]) for r in records) == [
        "changed",
        "moved to Deleted Items",
        "moved to the recycle bin",
    ]
    assert deletion.verify_audit_log(log)[0] and not os.path.exists(q + "/" + p.id)
    # The next scan sees the file gone and the message in Deleted Items (recoverable).
    scan(ROOTS, db, settings=Settings(ocr=False), workers=0)
    assert not find(db, [N["od_notat"]])
    assert {h.file.split(f"{KARI}/", 1)[1].split("/", 1)[0] for h in find(db, [N["kari_inbox"]])} == {
        "Slettede elementer"
    }


def test_workers_get_their_own_tokens_and_share_the_tenant_limit(tenant, tmp_path, monkeypatch):
    fake = tenant["fake"]
    monkeypatch.setenv("PVSCAN_M365_CONCURRENCY", "1")
    db = str(tmp_path / "inv.sqlite")
    summary = scan(ROOTS, db, settings=Settings(ocr=False), workers=2)
    _check_found(db, EXPECTED_FIRST)
    assert summary.read == 12
    walk_token = fake.graph_requests()[0].token
    readers = {r.token for r in fake.graph_requests() if r.path.endswith(("/content", "/$value"))}
    assert walk_token not in readers and len(readers) == 2  # one token per worker process
    assert fake.max_in_flight == 1


def test_an_expired_delta_link_starts_a_fresh_round_without_losing_items(tenant, tmp_path):
    fake = tenant["fake"]
    db = str(tmp_path / "inv.sqlite")
    scan(ROOTS, db, settings=Settings(ocr=False), workers=0)
    fake.expire_delta_tokens()
    fake.reset_log()
    again = scan(ROOTS, db, settings=Settings(ocr=False), workers=0)
    assert (again.read, again.gone, again.unchanged) == (0, 0, 12)
    assert 410 in {r.status for r in fake.graph_requests()}
    _check_found(db, EXPECTED_FIRST)


def test_urls(tenant):
    u = parse_url(f"m365://{TENANT}/sharepoint/personal/Delte%20dokumenter/Ansatte;id=b%21x,01AB")
    assert (u.tenant, u.service, u.parts, u.ids) == (
        TENANT,
        "sharepoint",
        ("personal", "Delte dokumenter", "Ansatte"),
        ("b!x", "01AB"),
    )
    for bad in (f"m365://app:secret@{TENANT}/mail", f"m365://{TENANT}/calendar", "m365:///mail"):
        with pytest.raises(ValueError):
            parse_url(bad)
    errors = list(M365Source().walk(f"m365://app:{tenant['fake'].tenant.secret}@{TENANT}/mail", Settings()))
    assert len(errors) == 1 and isinstance(errors[0], WalkError)
    assert tenant["fake"].tenant.secret not in errors[0].display + errors[0].reason


def test_secrets_stay_out_of_logs_the_inventory_and_process_listings(tenant, tmp_path):
    """A real ``pvscan scan`` with worker processes, the secret in a file: neither the
    secret nor any token it got appears in the inventory, the log, the JSON Lines, the
    output, or any process's command line or environment."""
    fake = tenant["fake"]
    secret = fake.tenant.secret
    secret_file = tmp_path / "m365.secret"
    secret_file.write_text(secret + "\n")
    secret_file.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if k != "PVSCAN_M365_CLIENT_SECRET"}
    env.update(fake.env(secret=False), PVSCAN_M365_CLIENT_SECRET_FILE=str(secret_file))
    db, log, jsonl = tmp_path / "inv.sqlite", tmp_path / "scan.log", tmp_path / "funn.jsonl"
    cmd = [sys.executable, "-c", "from pvscan.cli import main; main()", "scan", *ROOTS]
    cmd += ["--db", str(db), "--log", str(log), "--jsonl", str(jsonl), "--workers", "2", "--no-ocr"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    listings: list[str] = []
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            top = psutil.Process(proc.pid)
            for p in [top, *top.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    listings.append(" ".join(p.cmdline()) + "\n" + repr(p.environ()))
        time.sleep(0.05)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err.decode()  # done; leder's mailbox could not be read
    funn = jsonl.read_text()
    assert N["od_notat"][:6] + "*****" in funn and KARI in funn and "403 ErrorAccessDenied" in funn
    assert len(fake.issued) >= 2 and any("--workers" in x for x in listings)
    blobs = {
        "inventory": b"".join(p.read_bytes() for p in tmp_path.glob("inv.sqlite*")),
        "log": log.read_bytes(),
        "jsonl": funn.encode(),
        "output": out + err,
        "processes": "\n".join(listings).encode(),
    }
    for what, blob in blobs.items():
        for s in [secret, *fake.issued]:
            assert s.encode() not in blob, what


def test_a_certificate_is_preferred_and_a_wrong_secret_fails_cleanly(tenant, tmp_path, monkeypatch):
    fake = tenant["fake"]
    cert, key, pem = certificate_pair(tmp_path)
    fake.tenant.certificate_pem = pem
    monkeypatch.setenv("PVSCAN_M365_CLIENT_SECRET", "feil-hemmelighet-1234567890")
    monkeypatch.setenv("PVSCAN_M365_CERT_FILE", cert)
    monkeypatch.setenv("PVSCAN_M365_KEY_FILE", key)
    reset_connections()
    summary = scan([ROOTS[1]], str(tmp_path / "a.sqlite"), settings=Settings(ocr=False), workers=0)
    assert (summary.read, summary.walk_errors) == (4, 0)
    assert {
        (h.owner, h.file.rsplit("/", 1)[1]) for h in find(str(tmp_path / "a.sqlite"), [N["od_notat"]])
    } == {(KARI, "notat.txt")}
    assert fake.auth_methods == ["certificate"]  # the signed assertion, checked by the server

    monkeypatch.delenv("PVSCAN_M365_CERT_FILE")
    reset_connections()
    db = str(tmp_path / "b.sqlite")
    failed = scan([ROOTS[2]], db, settings=Settings(ocr=False), workers=0)
    assert (failed.read, failed.walk_errors) == (0, 1)
    with Inventory(db) as inv:
        [err] = inv.walk_errors(failed.scan_id)
    assert "AADSTS7000215" in err["reason"] and "feil-hemmelighet" not in err["reason"]


def test_every_onedrive_and_every_site_of_the_tenant(tenant, tmp_path):
    """The "all" forms for IT: users without a OneDrive are passed over quietly, every
    library of every site is listed, and item URLs name the user or site and library."""
    fake = tenant["fake"]
    fake.throttle(1, 429, "2", match="/drive")  # one sub-request of the batch: sent again
    db = str(tmp_path / "inv.sqlite")
    roots = [f"m365://{TENANT}/onedrive", f"m365://{TENANT}/sharepoint"]
    summary = scan(roots, db, settings=Settings(ocr=False), workers=0)
    assert (summary.read, summary.walk_errors, summary.unscannable) == (6, 0, 0)
    # The four users' OneDrives were looked up in one $batch (and the throttled one again).
    paths = [r.path for r in fake.graph_requests()]
    assert paths.count("/v1.0/$batch") == 2 and not [p for p in paths if p.endswith("/drive")]
    assert tenant["waits"] == [2.0]
    _check_found(
        db,
        {
            "od_notat": (KARI, f"m365://{TENANT}/onedrive/{KARI}/Saker/2026/notat.txt"),
            "sp_sak": (OLA, f"m365://{TENANT}/sharepoint/personal/Dokumenter/Ansatte/2026/sak.txt"),
        },
    )


def test_removed_messages_and_folders_are_gone_after_the_next_scan(tenant, tmp_path):
    fake = tenant["fake"]
    t, kari = fake.tenant, tenant["kari"]
    db = str(tmp_path / "inv.sqlite")
    scan(ROOTS, db, settings=Settings(ocr=False), workers=0)
    [plain] = [m for m, v in t.messages[kari].items() if N["kari_inbox"].encode() in v["_mime"]]
    t.remove_message(kari, plain)
    [saker] = [f for f, v in t.folders[kari].items() if v["displayName"] == "Saker"]
    t.remove_folder(kari, saker)  # with Barnevern below it and both their messages
    again = scan(ROOTS, db, settings=Settings(ocr=False), workers=0)
    assert (again.read, again.gone, again.unchanged) == (0, 3, 9)
    for key in ("kari_inbox", "kari_attachment", "kari_embedded"):
        assert not find(db, [N[key]]), key
    _check_found(db, {k: v for k, v in EXPECTED_FIRST.items() if not k.startswith("kari_")})


def test_a_root_can_name_one_mail_folder_or_one_drive_folder(tenant, tmp_path):
    db = str(tmp_path / "inv.sqlite")
    roots = [f"m365://{TENANT}/mail/{KARI}/Innboks/Saker", f"m365://{TENANT}/onedrive/{KARI}/Saker"]
    summary = scan(roots, db, settings=Settings(ocr=False), workers=0)
    assert (summary.read, summary.walk_errors) == (4, 0)  # 2 messages below Saker, 2 files
    _check_found(
        db, {k: EXPECTED_FIRST[k] for k in ("kari_attachment", "kari_embedded", "od_notat", "od_changed")}
    )
    assert not find(db, [N["kari_inbox"]]) and not find(db, [N["od_deleted"]])
    with Inventory(db) as inv:
        urls = sorted(os.fsdecode(bytes(r["path"])) for r in inv.items_in(roots))
    assert [u.split(";id=")[0] for u in urls] == [
        f"{roots[0]}/",
        f"{roots[0]}/Barnevern/",
        f"{roots[1]}/2026/notat.txt",
        f"{roots[1]}/endres.txt",
    ]
