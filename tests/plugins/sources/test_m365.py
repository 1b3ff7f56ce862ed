"""The Microsoft 365 source against the fake Graph server (``tests/servers/fakegraph.py``):
a tenant with two readable mailboxes and one the app may not read, a OneDrive and a
SharePoint library, scanned twice with a change, a deletion and a new file between."""

from __future__ import annotations

import io
import random
from email.message import EmailMessage

import docx
import pytest

from pvscan.inventory import Inventory
from pvscan.model import Settings
from pvscan.plugins.sources import _graph
from pvscan.plugins.sources.m365 import reset_connections
from pvscan.scan import scan
from pvscan.testing import make_fnr
from pvscan.workflows.find import find

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


def _large_text(fnr: str) -> bytes:
    """Over 10 MB of ordinary lines with one number near the end."""
    line = b"Referat fra m\xc3\xb8te i driftsutvalget, ingen personopplysninger her.\n"
    body = line * (LARGE // len(line))
    tail = f"\nSluttnotat: f\u00f8dselsnummer {fnr}\n".encode()
    return body[: LARGE - len(tail)] + tail


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
    t.add_message(ola, o_inbox, _raw(_mime("Lønn", f"Ansatt fnr {N['ola_inbox']}", HR, OLA)), "Lønn", HR)
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
        "large": t.put_file(od, "stor.txt", _large_text(N["od_large"]), KARI),
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
    yield {"fake": fake_graph, "od": od, "lib": lib, "ids": ids, "waits": waits, "kari": kari, "leder": leder}
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
    "od_large": (KARI, f"m365://{TENANT}/onedrive/{KARI}/stor.txt"),
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
