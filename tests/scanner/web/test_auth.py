"""Signing in: the one-time link of ``--auth local``, OpenID Connect against a real
provider (oidc-provider-mock), sign-out; and the languages."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from django.test import Client

from pvscan.workflows.org import Oidc


def test_local_login_link_works_once(corpus):
    corpus.state.auth = "local"
    corpus.state.local_user = "kari"
    corpus.state.login_token = "t0ken-for-test"
    c = Client()
    assert c.get("/")["Location"] == "/login"
    assert c.get("/login?token=wrong").status_code == 403
    r = c.get("/login?token=t0ken-for-test")
    assert r.status_code == 302
    assert "helsenotat.docx" in c.get("/").content.decode()
    # The link is spent: a second browser cannot use it.
    other = Client()
    assert other.get("/login?token=t0ken-for-test").status_code == 403
    assert other.get("/").status_code == 302
    # Signing out ends the session (POST with CSRF only).
    assert c.post("/logout").status_code == 200
    assert c.get("/").status_code == 302


def test_header_mode_has_no_session_login(corpus):
    assert Client().get("/login?token=x").status_code == 403


def _oidc_sign_in(client: Client, issuer: str, sub: str) -> Client:
    r = client.get("/oidc/login")
    assert r.status_code == 302 and r["Location"].startswith(issuer)
    # The provider's sign-in form: post the subject, get sent back with a code.
    back = requests.post(r["Location"], data={"sub": sub}, allow_redirects=False, timeout=10)
    assert back.status_code in (302, 303), back.text[:300]
    callback = urlsplit(back.headers["Location"])
    assert callback.path == "/oidc/callback"
    done = client.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302 and done["Location"] == "/", done.content[:300]
    return client


def test_oidc_sign_in_against_a_real_provider(corpus, oidc_provider):
    corpus.state.auth = "oidc"
    corpus.state.org.oidc = Oidc(
        issuer=oidc_provider.issuer, client_id="pvscan", client_secret="s3cret", username_claim="sub"
    )
    c = Client()
    assert c.get("/")["Location"] == "/oidc/login"
    _oidc_sign_in(c, oidc_provider.issuer, "kari")
    body = c.get("/").content.decode()
    assert "helsenotat.docx" in body and "lonn.docx" not in body


def test_oidc_callback_with_a_forged_state_fails(corpus, oidc_provider):
    corpus.state.auth = "oidc"
    corpus.state.org.oidc = Oidc(
        issuer=oidc_provider.issuer, client_id="pvscan", client_secret="s3cret", username_claim="sub"
    )
    c = Client()
    c.get("/oidc/login")
    assert c.get("/oidc/callback?code=abc&state=forged").status_code == 403
    assert c.get("/").status_code == 302


def test_languages(corpus, client_for):
    kari = client_for("kari", enforce_csrf=False)
    # Bokmål by default, whatever the browser asks for.
    nb = kari.get("/", headers={"Accept-Language": "en-US,en"}).content.decode()
    assert "Mine filer" in nb and 'lang="nb"' in nb
    for code, text in (("nn", "Filene mine"), ("en", "My files")):
        kari.post("/lang", {"language": code, "next": "/"})
        body = kari.get("/").content.decode()
        assert text in body and f'lang="{code}"' in body
