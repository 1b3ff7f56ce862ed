"""OpenID Connect sign-in (authorisation code flow with PKCE and a nonce), with Authlib (the OAuth client) and joserfc (the
ID token's signature and claims).

Works with any provider that publishes ``/.well-known/openid-configuration`` (Entra ID,
AD FS, Keycloak; tested against oidc-provider-mock). The ID token's signature is checked
against the provider's published keys, and its issuer, audience, expiry and nonce are
validated; the user name is the configured claim (``preferred_username`` by default).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from pvscan.workflows.org import Oidc

_META_TTL = 3600.0
_meta_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def metadata(issuer: str) -> dict[str, Any]:
    hit = _meta_cache.get(issuer)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    meta = requests.get(url, timeout=10).json()
    _meta_cache[issuer] = (time.monotonic() + _META_TTL, meta)
    return meta


def _client(conf: Oidc, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        conf.client_id,
        conf.client_secret,
        scope=conf.scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )


def begin(conf: Oidc, redirect_uri: str) -> tuple[str, dict[str, str]]:
    """(URL to send the browser to, what the session must remember for the callback)."""
    meta = metadata(conf.issuer)
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(24)
    url, state = _client(conf, redirect_uri).create_authorization_url(
        meta["authorization_endpoint"], nonce=nonce, code_verifier=verifier
    )
    return url, {"state": state, "nonce": nonce, "verifier": verifier}


def finish(conf: Oidc, redirect_uri: str, callback_url: str, pending: dict[str, str]) -> str:
    """Exchange the code, validate the ID token; returns the user name."""
    meta = metadata(conf.issuer)
    client = _client(conf, redirect_uri)
    client.state = pending["state"]
    token = client.fetch_token(
        meta["token_endpoint"],
        authorization_response=callback_url,
        code_verifier=pending["verifier"],
        state=pending["state"],
    )
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    claims = jwt.decode(token["id_token"], keys).claims
    jwt.JWTClaimsRegistry(
        leeway=60,
        iss={"essential": True, "value": meta.get("issuer", conf.issuer)},
        aud={"essential": True, "value": conf.client_id},
        nonce={"essential": True, "value": pending["nonce"]},
        exp={"essential": True},
        sub={"essential": True},
    ).validate(claims)
    user = claims.get(conf.username_claim) or claims.get("sub")
    if not user:
        raise ValueError("no user name in the ID token")
    return str(user).split("@", 1)[0] if conf.username_claim in ("email", "upn") else str(user)
