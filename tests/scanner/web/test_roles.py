"""Every role's pages through the Django test client, and the boundaries between them."""

from __future__ import annotations

import re

import pytest

from pvscan.inventory import Inventory
from pvscan.workflows.owners import route


def _ids(corpus, owner: str) -> dict[str, int]:
    with Inventory(corpus.db) as inv:
        rows, _n = inv.routed_page(owner, "all", limit=100)
    return {r["name"]: r["item_id"] for r in rows}


def test_employee_sees_own_files_by_name_and_nobody_elses(corpus, client_for):
    body = client_for("kari").get("/").content.decode()
    for name in corpus.files["kari"]:
        assert name in body
    for name in corpus.files["ola"] + corpus.files[""]:
        assert name not in body
    # Most sensitive first: the health note leads.
    assert body.index("helsenotat.docx") < body.index("notat.txt")


def test_unauthenticated_request_gets_nothing(corpus, client_for):
    for url in ("/", "/item/1", "/leader", "/dpo", "/cases", "/checklist", "/checklist.docx", "/dpo/audit"):
        r = client_for(None).get(url)
        assert r.status_code == 403
        assert b"notat" not in r.content


def test_header_from_an_untrusted_address_is_ignored(corpus):
    from django.test import Client

    r = Client(REMOTE_ADDR="10.0.0.5", headers={"X-Remote-User": "kari"}).get("/")
    assert r.status_code == 403


def test_employee_cannot_see_or_act_on_anothers_item_by_guessing_ids(corpus, client_for):
    kari = client_for("kari", enforce_csrf=False)
    ola_ids = _ids(corpus, "ola")
    undistributed = _ids(corpus, "")
    for item_id in [*ola_ids.values(), *undistributed.values(), 9999]:
        assert kari.get(f"/item/{item_id}").status_code == 404
        for action, data in (
            ("status", {"status": "obsolete"}),
            ("false-positive", {"hash": "x"}),
            ("delete", {}),
            ("restore", {}),
        ):
            assert kari.post(f"/item/{item_id}/{action}", data).status_code == 404
    kari.post("/bulk", {"item": list(ola_ids.values()), "status": "obsolete"})
    with Inventory(corpus.db) as inv:
        assert {inv.routed_item(i)["status"] for i in ola_ids.values()} == {"open"}
    assert all((corpus.root / "home/ola" / n).exists() for n in ("lonn.docx",))


def test_state_change_without_csrf_token_fails(corpus, client_for):
    kari = client_for("kari")
    item_id = _ids(corpus, "kari")["notat.txt"]
    r = kari.post(f"/item/{item_id}/status", {"status": "archived"})
    assert r.status_code == 403
    with Inventory(corpus.db) as inv:
        assert inv.routed_item(item_id)["status"] == "open"
    # With the token from the page it works.
    page = kari.get(f"/item/{item_id}").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    r = kari.post(f"/item/{item_id}/status", {"status": "archived", "csrfmiddlewaretoken": token})
    assert r.status_code == 302
    with Inventory(corpus.db) as inv:
        assert inv.routed_item(item_id)["status"] == "archived"


def test_leader_sees_only_their_unit(corpus, client_for):
    lise = client_for("lise").get("/leader").content.decode()
    assert "Kari Nordmann" in lise and "Ola Nordmann" not in lise
    hans = client_for("hans").get("/leader").content.decode()
    assert "Ola Nordmann" in hans and "Kari Nordmann" not in hans
    # A leader sees counts, never the files.
    assert "helsenotat.docx" not in lise
    assert client_for("kari").get("/leader").status_code == 404


def test_leader_sees_the_change(corpus, client_for):
    kari = client_for("kari", enforce_csrf=False)
    ids = _ids(corpus, "kari")
    kari.post("/bulk", {"item": [ids["notat.txt"], ids["liste.xlsx"]], "status": "obsolete"})
    with Inventory(corpus.db) as inv:
        row = next(r for r in inv.owner_stats_rows(["oppvekst"]) if r["owner"] == "kari")
    assert (row["open_items"], row["handled_items"]) == (2, 2)
    body = client_for("lise").get("/leader").content.decode()
    assert re.search(r"Kari Nordmann</th><td[^>]*>2</td><td[^>]*>2</td>", body)


def test_privacy_officer_pages_and_nobody_elses(corpus, client_for):
    per = client_for("per")
    body = per.get("/dpo").content.decode()
    assert "Oppvekst" in body and "Helse" in body and "fødselsnummer" in body.lower()
    assert "gammel.txt" in per.get("/dpo/undistributed").content.decode()
    assert per.get("/dpo/audit").status_code == 200
    for user in ("kari", "lise", "siri"):
        for url in ("/dpo", "/dpo/undistributed", "/dpo/audit"):
            assert client_for(user).get(url).status_code == 404


def test_caseworker_and_privacy_officer_open_an_access_request_case(corpus, client_for):
    a = corpus.numbers[0]
    per = client_for("per", enforce_csrf=False)
    r = per.post("/cases", {"numbers": f"{a[:6]} {a[6:]}"})
    assert r.status_code == 302
    case_url = r["Location"]
    body = per.get(case_url).content.decode()
    assert "helsenotat.docx" in body and "lonn.docx" in body
    assert a not in body and a[:6] + "*****" in body
    dl = per.get(case_url + "/oversikt.xlsx")
    assert dl.status_code == 200 and dl["Content-Disposition"].startswith("attachment")
    assert per.get(case_url + "/../inv.sqlite").status_code == 404
    assert client_for("siri").get(case_url).status_code == 200
    assert client_for("kari").get(case_url).status_code == 404
    assert client_for("kari", enforce_csrf=False).post("/cases", {"numbers": a}).status_code == 404
    with Inventory(corpus.db) as inv:
        rows, _n = inv.audit_rows(100)
    assert any(r["action"] == "case_open" for r in rows)
    assert any(r["target"].startswith("case:") and r["actor"] == "siri" for r in rows)


def test_bad_case_number_is_refused(corpus, client_for):
    r = client_for("per", enforce_csrf=False).post("/cases", {"numbers": "12345"})
    assert r.status_code == 400


@pytest.mark.parametrize(
    "header,value",
    [
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
    ],
)
def test_security_headers(corpus, client_for, header, value):
    r = client_for("kari").get("/")
    assert r[header] == value
    csp = r["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_views_and_changes_are_audited(corpus, client_for):
    kari = client_for("kari", enforce_csrf=False)
    item_id = _ids(corpus, "kari")["soknad.docx"]
    kari.get(f"/item/{item_id}")
    kari.post(f"/item/{item_id}/status", {"status": "kept", "reason": "arkivlova"})
    with Inventory(corpus.db) as inv:
        rows, _n = inv.audit_rows(100)
    seen = [(r["actor"], r["action"], r["target"]) for r in rows]
    assert ("kari", "view", f"item:{item_id}") in seen
    assert ("kari", "status", f"item:{item_id}") in seen


def test_privacy_officer_hands_out_an_undistributed_file(corpus, client_for):
    per = client_for("per", enforce_csrf=False)
    with Inventory(corpus.db) as inv:
        (row,), _n = inv.routed_page("", "open", limit=5)
    assert (
        client_for("kari", enforce_csrf=False)
        .post("/dpo/undistributed", {"item": row["item_id"], "owner": "kari"})
        .status_code
        == 404
    )
    assert per.post("/dpo/undistributed", {"item": row["item_id"], "owner": "nobody"}).status_code == 400
    assert per.post("/dpo/undistributed", {"item": row["item_id"], "owner": "kari"}).status_code == 302
    assert "gammel.txt" in client_for("kari").get("/").content.decode()
    # It stays with kari when the inventory is routed again.
    with Inventory(corpus.db) as inv:
        route(inv, corpus.state.org)
        assert inv.routed_item(row["item_id"])["owner"] == "kari"


def test_case_copies_only_where_the_organisation_allows_them(corpus, client_for):
    import io

    import docx

    a, b = corpus.numbers[0], corpus.numbers[1]
    per = client_for("per", enforce_csrf=False)
    # Off by default: the box is not offered and a forged field does nothing.
    assert 'name="copies"' not in per.get("/cases").content.decode()
    url = per.post("/cases", {"numbers": a, "copies": "1"})["Location"]
    assert "kopier/" not in per.get(url).content.decode()
    # Switched on: copies of the requester's files with other persons' numbers blacked out.
    corpus.state.org.case_copies = True
    url = per.post("/cases", {"numbers": b, "copies": "1"})["Location"]
    body = per.get(url).content.decode()
    links = re.findall(r'href="(/cases/\d+/kopier/[^"]+)"', body)
    assert any(link.endswith("soknad.docx") for link in links)
    copy = next(link for link in links if link.endswith("soknad.docx"))
    data = b"".join(per.get(copy).streaming_content)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert b in text  # the requester's own number stays: it is their copy
    sheet = next(link for link in links if link.endswith("utbetalinger.xlsx"))
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(b"".join(per.get(sheet).streaming_content)))
    cells = " ".join(str(c.value) for row in wb.active.iter_rows() for c in row)
    assert b in cells and corpus.numbers[5] not in cells and "\u2588" in cells  # the account is blacked out
    assert per.get(f"{url}/kopier/../../inv.sqlite").status_code == 404
