"""The main journeys in a real Chromium: an employee signs in through OIDC, sees the
findings, marks one false positive and deletes one file into quarantine; the leader
sees the change; the privacy officer opens an access-request case and downloads the
overview. axe-core checks every page (no serious or critical violation); screenshots of
each page go to ``artifacts/web/`` (not committed)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from pvscan.web.server import make
from pvscan.workflows.org import Oidc

ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts" / "web"
AXE = Axe()

pytestmark = [pytest.mark.server, pytest.mark.slow]


@pytest.fixture()
def app_url(corpus, oidc_provider) -> Iterator[str]:
    corpus.state.auth = "oidc"
    corpus.state.org.oidc = Oidc(
        issuer=oidc_provider.issuer, client_id="pvscan", client_secret="s3cret", username_claim="sub"
    )
    server = make(corpus.state, "127.0.0.1", 0, secure_cookies=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def check(page: Page, name: str) -> None:
    """axe (no serious or critical violation) and a full-page screenshot."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    results = AXE.run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name}: {bad}"


def sign_in(browser: Browser, app_url: str, user: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
    page.goto(app_url + "/")
    page.fill("input[name=sub]", user)
    page.click("button[type=submit]:has-text('Authorize')")
    page.wait_for_url(app_url + "/")
    return page


def test_employee_leader_and_privacy_officer_journeys(browser: Browser, app_url: str, corpus, tmp_path):
    # Employee: sign in through OIDC, see the findings.
    kari = sign_in(browser, app_url, "kari")
    expect(kari.locator("h1")).to_have_text("Mine filer med personopplysninger")
    for name in corpus.files["kari"]:
        expect(kari.locator("table.items")).to_contain_text(name)
    check(kari, "01-employee")
    # Filter with htmx (the table is swapped in place).
    kari.select_option("#f-type", "helse")
    expect(kari.locator("table.items tbody tr")).to_have_count(1)
    kari.select_option("#f-type", "")
    expect(kari.locator("table.items tbody tr")).to_have_count(4)
    # Mark one value a false positive.
    kari.click("text=notat.txt")
    check(kari, "02-item")
    kari.click("button:has-text('Ikke personopplysning')")
    expect(kari.locator(".notice")).to_contain_text("falskt funn")
    # Delete one file into quarantine.
    kari.click("text=Tilbake til filene mine")
    kari.click("text=liste.xlsx")
    kari.click("button:has-text('Slett filen')")
    expect(kari.locator(".notice")).to_contain_text("karantene")
    check(kari, "03-deleted")
    assert not (corpus.root / "home/kari/liste.xlsx").exists()
    kari.goto(app_url + "/checklist")
    check(kari, "04-checklist")
    # The same page on a phone.
    phone = browser.new_context(
        viewport={"width": 375, "height": 740}, storage_state=kari.context.storage_state()
    ).new_page()
    phone.goto(app_url + "/")
    check(phone, "05-employee-phone")

    # Leader: sees the change in the unit.
    lise = sign_in(browser, app_url, "lise")
    lise.goto(app_url + "/leader")
    row = lise.locator("tr", has_text="Kari Nordmann")
    expect(row.locator("td").nth(0)).to_have_text("2")
    expect(row.locator("td").nth(1)).to_have_text("2")
    check(lise, "06-leader")

    # Privacy officer: overview, a case, the download.
    per = sign_in(browser, app_url, "per")
    per.goto(app_url + "/dpo")
    check(per, "07-dpo")
    per.goto(app_url + "/cases")
    check(per, "08-cases")
    a = corpus.numbers[0]
    per.fill("#numbers", f"{a[:6]} {a[6:]}")
    per.click("button:has-text('Opprett sak')")
    expect(per.locator("table")).to_contain_text("helsenotat.docx")
    check(per, "09-case")
    with per.expect_download() as dl:
        per.click("a:has-text('oversikt.xlsx')")
    saved = tmp_path / "oversikt.xlsx"
    dl.value.save_as(saved)
    assert saved.stat().st_size > 1000
    per.goto(app_url + "/dpo/undistributed")
    check(per, "10-undistributed")
    per.goto(app_url + "/dpo/audit")
    check(per, "11-audit")
    assert a not in per.content()
