"""No raw identifier in any page, URL, log line or download, for a corpus whose
numbers are known."""

from __future__ import annotations

import io
import logging
import re
import zipfile

from pvscan.inventory import Inventory


def _variants(number: str) -> list[str]:
    return [number, f"{number[:6]} {number[6:]}", f"{number[:4]}.{number[4:6]}.{number[6:]}"]


def _assert_clean(corpus, text: str, where: str) -> None:
    for n in corpus.numbers:
        for v in _variants(n):
            assert v not in text, f"raw identifier in {where}"


def _all_urls(corpus) -> dict[str, list[str]]:
    with Inventory(corpus.db) as inv:
        rows, _n = inv.routed_page(None, "all", limit=100)
    by_owner: dict[str, list[str]] = {}
    for r in rows:
        by_owner.setdefault(r["owner"], []).append(f"/item/{r['item_id']}")
    common = [
        "/",
        "/?status=all",
        "/checklist",
        "/leader",
        "/dpo",
        "/dpo/undistributed",
        "/dpo/audit",
        "/cases",
    ]
    return {u: common + by_owner.get(u, []) for u in ("kari", "ola", "lise", "hans", "per", "siri")}


def test_no_raw_identifier_in_any_response(corpus, client_for, caplog):
    caplog.set_level(logging.DEBUG)
    per = client_for("per", enforce_csrf=False)
    r = per.post("/cases", {"numbers": "\n".join(corpus.numbers[:2])})
    case_url = r["Location"]
    _assert_clean(corpus, case_url, "a URL")
    for user, urls in _all_urls(corpus).items():
        client = client_for(user)
        for url in [*urls, case_url]:
            r = client.get(url)
            _assert_clean(corpus, r.content.decode(), f"{user} {url}")
            _assert_clean(corpus, str(r.headers), f"headers of {url}")
    # Downloads: the checklist and the case overview.
    for user, url in (("kari", "/checklist.docx"), ("per", case_url + "/oversikt.xlsx")):
        data = b"".join(
            client_for(user).get(url).streaming_content
            if url.endswith("xlsx")
            else [client_for(user).get(url).content]
        )
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for name in z.namelist():
                _assert_clean(corpus, z.read(name).decode("utf-8", "replace"), f"{url}:{name}")
    html = b"".join(per.get(case_url + "/oversikt.html").streaming_content).decode()
    _assert_clean(corpus, html, "case overview")
    assert re.search(r"\d{6}\*{5}", html)
    # Log lines and the audit log.
    _assert_clean(corpus, caplog.text, "log lines")
    with Inventory(corpus.db) as inv:
        rows, _n = inv.audit_rows(500)
    _assert_clean(corpus, " ".join(f"{r['target']} {r['detail']}" for r in rows), "audit log")


def test_masked_values_are_shown(corpus, client_for):
    with Inventory(corpus.db) as inv:
        rows, _n = inv.routed_page("kari", "all", limit=100)
    item = next(r for r in rows if r["name"] == "helsenotat.docx")
    body = client_for("kari").get(f"/item/{item['item_id']}").content.decode()
    a = corpus.numbers[0]
    assert a[:6] + "*****" in body and a not in body
