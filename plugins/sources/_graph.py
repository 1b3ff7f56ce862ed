"""A small Microsoft Graph client for the Microsoft 365 source: app-only tokens through
msal, paging, throttling, token renewal, a per-tenant request limit and streamed
downloads.

Why not the Graph SDK: it is asynchronous, large, and hides the paging and retry
decisions this scanner must make itself (an unattended night scan of a whole tenant
has to wait out throttling instead of failing, and must never leak a token or a
pre-authenticated download URL into an error message that ends up in the inventory).

Everything here is per process: the scan's worker processes each build their own
client (and so get their own token) from the environment alone, which is also what a
distributed worker on another machine has. Nothing secret is ever put into an
exception message, a log record or a URL this module returns.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import io
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

from pvscan.model import Unscannable
from pvscan.plugins._spool import SpoolView

#: Where tokens come from and where Graph answers; the tests point both at a fake server.
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_GRAPH = "https://graph.microsoft.com/v1.0"
SCOPE = "https://graph.microsoft.com/.default"
#: Retries of one request under throttling (429/503/504) or a dropped connection.
MAX_RETRIES = 8
#: Back-off when Graph gives no Retry-After: 1, 2, 4 … seconds, at most this.
MAX_BACKOFF = 120.0
TIMEOUT = 60.0
#: Sub-requests per ``$batch`` request (Graph's limit).
BATCH_SIZE = 20
#: Downloads up to this size are kept in memory; larger ones go to an anonymous temp
#: file, written chunk by chunk (a 2 GB file never sits in memory).
SPOOL_MEMORY = 4 * 1024**2
CHUNK = 1024**2
#: Concurrent Graph requests per tenant from this machine (all worker processes
#: together), unless ``PVSCAN_M365_CONCURRENCY`` says otherwise. Graph throttles per
#: app and tenant; fewer parallel requests mean fewer 429s.
DEFAULT_CONCURRENCY = 4

#: Replaced by the tests to record waits instead of sleeping.
sleep: Callable[[float], None] = time.sleep


class GraphError(Exception):
    """A Graph error answer: the HTTP status and Graph's ``error.code``/``message``.
    The message names the request by its path only (no query, no host), so no
    pre-authenticated URL or token can end up in the inventory."""

    def __init__(self, status: int, code: str, message: str, what: str = "") -> None:
        super().__init__(f"{status} {code}: {message}" + (f" ({what})" if what else ""))
        self.status = status
        self.code = code
        self.message = message

    def unscannable(self) -> Unscannable:
        return Unscannable(str(self)[:300], "io")


class ResyncRequired(GraphError):
    """A delta link the service no longer honours (410 Gone): list everything again."""


@dataclass(frozen=True)
class Config:
    """Where to authenticate and which app to be, all from the environment, so a worker
    process (or a worker on another machine) can build the same client alone."""

    tenant: str
    client_id: str
    authority: str
    graph: str
    cafile: str | None
    concurrency: int

    @classmethod
    def from_env(cls, tenant: str) -> Config:
        client_id = os.environ.get("PVSCAN_M365_CLIENT_ID", "")
        if not client_id:
            raise Unscannable("no app registration: set PVSCAN_M365_CLIENT_ID", "io")
        try:
            concurrency = max(1, int(os.environ.get("PVSCAN_M365_CONCURRENCY", DEFAULT_CONCURRENCY)))
        except ValueError:
            concurrency = DEFAULT_CONCURRENCY
        return cls(
            tenant=tenant,
            client_id=client_id,
            authority=os.environ.get("PVSCAN_M365_AUTHORITY", DEFAULT_AUTHORITY).rstrip("/"),
            graph=os.environ.get("PVSCAN_M365_GRAPH_URL", DEFAULT_GRAPH).rstrip("/"),
            cafile=os.environ.get("PVSCAN_M365_CAFILE") or None,
            concurrency=concurrency,
        )


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def credential_from_env() -> str | dict[str, str] | None:
    """The app's credential: a certificate (``PVSCAN_M365_CERT_FILE`` and
    ``PVSCAN_M365_KEY_FILE``, PEM; preferred, since a certificate's private key need
    never leave the machine) or a client secret (``PVSCAN_M365_CLIENT_SECRET``, or
    ``PVSCAN_M365_CLIENT_SECRET_FILE`` naming a file that holds it). ``None`` when
    there is none. Never taken from the command line, where ``ps`` shows it."""
    cert, key = os.environ.get("PVSCAN_M365_CERT_FILE"), os.environ.get("PVSCAN_M365_KEY_FILE")
    if cert and key:
        try:
            return {"private_key": _read(key), "public_certificate": _read(cert)}
        except OSError as exc:
            raise Unscannable(f"cannot read the certificate or key file: {exc.strerror}", "io") from None
    secret = os.environ.get("PVSCAN_M365_CLIENT_SECRET")
    if secret:
        return secret
    secret_file = os.environ.get("PVSCAN_M365_CLIENT_SECRET_FILE")
    if secret_file:
        try:
            return _read(secret_file).strip()
        except OSError as exc:
            raise Unscannable(f"cannot read PVSCAN_M365_CLIENT_SECRET_FILE: {exc.strerror}", "io") from None
    return None


class TenantSlots:
    """At most ``n`` requests in flight per tenant from this machine, across the scan's
    worker processes: ``n`` lock files, a request holds one (``flock``) while it runs.
    The kernel drops a lock when its process dies, so a killed worker frees its slot."""

    def __init__(self, tenant: str, n: int) -> None:
        folder = os.path.join(tempfile.gettempdir(), f"pvscan-m365-{os.getuid()}")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        tag = hashlib.sha256(tenant.lower().encode()).hexdigest()[:12]
        self.paths = [os.path.join(folder, f"{tag}-{i}.lock") for i in range(n)]
        self._local = threading.Lock()
        self._held = threading.local()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Hold a slot; re-entrant, so a download holds its one slot from the request
        through the last byte of the body."""
        if getattr(self._held, "on", False):
            yield
            return
        with self._local:  # threads of one process take turns for the file locks
            while True:
                for path in self.paths:
                    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except OSError:
                        os.close(fd)
                        continue
                    self._held.on = True
                    try:
                        yield
                    finally:
                        self._held.on = False
                        fcntl.flock(fd, fcntl.LOCK_UN)
                        os.close(fd)
                    return
                time.sleep(0.02)


def _where(url: str) -> str:
    """A request named by its path only: safe for messages that reach the inventory."""
    return urlsplit(url).path[-120:]


def _error_of(resp: Any, url: str) -> GraphError:
    code, message = "", ""
    try:
        body = resp.json()
        err = body.get("error", {}) if isinstance(body, dict) else {}
        if isinstance(err, dict):
            code, message = str(err.get("code", "")), str(err.get("message", ""))
    except ValueError:
        pass
    cls = ResyncRequired if resp.status_code == 410 else GraphError
    return cls(resp.status_code, code or resp.reason or "error", message[:200], _where(url))


class Download:
    """One downloaded item, spooled once; :meth:`open` gives independent readers."""

    def __init__(self, spool: IO[bytes], size: int, on_disk: bool) -> None:
        self.spool, self.size, self.on_disk = spool, size, on_disk

    def open(self) -> IO[bytes]:
        return io.BufferedReader(SpoolView(self.spool, self.size, self.on_disk), CHUNK)

    def close(self) -> None:
        self.spool.close()


class GraphClient:
    """Requests to Graph for one tenant, with its own token and HTTP session."""

    def __init__(self, config: Config) -> None:
        # Deferred: msal and requests load only when a Microsoft 365 root is scanned.
        import msal
        import requests

        self.config = config
        credential = credential_from_env()
        if credential is None:
            raise Unscannable(
                "no app credential: set PVSCAN_M365_CERT_FILE and PVSCAN_M365_KEY_FILE, "
                "or PVSCAN_M365_CLIENT_SECRET / PVSCAN_M365_CLIENT_SECRET_FILE",
                "io",
            )
        verify: str | bool = config.cafile or True
        custom = config.authority != DEFAULT_AUTHORITY
        self.session, auth_session = _session(requests, verify), _session(requests, verify)
        try:
            self._app = msal.ConfidentialClientApplication(
                config.client_id,
                client_credential=credential,
                authority=f"{config.authority}/{config.tenant}",
                # A private authority (the tests' fake one) is not in Microsoft's
                # instance list; for the real one msal checks it as usual.
                validate_authority=not custom,
                instance_discovery=not custom,
                http_client=auth_session,
                timeout=TIMEOUT,
            )
        except (ValueError, requests.RequestException) as exc:
            # Neither carries a credential: msal's text names the authority, requests' the host.
            raise Unscannable(f"cannot reach the authority for {config.tenant}: {exc}"[:300], "io") from None
        self.slots = TenantSlots(config.tenant, config.concurrency)

    # ------------------------------------------------------------------ tokens
    def token(self, renew: bool = False) -> str:
        """An app-only token. msal answers from its cache and asks Entra again near
        expiry; ``renew`` drops the cached one first (Graph said 401: it expired or was
        revoked mid-scan)."""
        if renew:
            self._app.remove_tokens_for_client()
        try:
            result = self._app.acquire_token_for_client(scopes=[SCOPE])
        except Exception as exc:  # noqa: BLE001 - a bad key file, a network error: named, not shown
            raise Unscannable(
                f"cannot get a token for {self.config.tenant}: {type(exc).__name__}", "io"
            ) from None
        if "access_token" not in result:
            # error_description is Entra's text (AADSTS…), never the credential.
            why = str(result.get("error_description") or result.get("error") or "no token")
            raise Unscannable(f"authentication failed: {why.splitlines()[0][:200]}", "io")
        return str(result["access_token"])

    # ------------------------------------------------------------------ requests
    def url(self, path: str) -> str:
        return path if "://" in path else f"{self.config.graph}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        stream: bool = False,
        allow_redirects: bool = True,
    ) -> Any:
        """One request, retried under throttling (429/503/504: wait ``Retry-After``,
        else back off exponentially) and on a dropped connection; a 401 renews the
        token once. Returns the response for 2xx/3xx, raises :class:`GraphError`
        otherwise."""
        # Deferred: requests loads only when a Microsoft 365 root is scanned.
        import requests

        url = self.url(path)
        renewed = False
        for attempt in range(MAX_RETRIES + 1):
            hdrs = dict(headers or {})
            if auth:
                hdrs["Authorization"] = "Bearer " + self.token()
            try:
                with self.slots.hold():
                    resp = self.session.request(
                        method,
                        url,
                        params=params,
                        json=json,
                        headers=hdrs,
                        timeout=TIMEOUT,
                        stream=stream,
                        allow_redirects=allow_redirects,
                    )
            except requests.RequestException as exc:
                if attempt == MAX_RETRIES:
                    raise GraphError(0, type(exc).__name__, "connection failed", _where(url)) from None
                sleep(_backoff(attempt))
                continue
            if resp.status_code in (429, 503, 504) and attempt < MAX_RETRIES:
                wait = _retry_after(resp.headers.get("Retry-After"))
                resp.close()
                sleep(wait if wait is not None else _backoff(attempt))
                continue
            if resp.status_code == 401 and auth and not renewed:
                resp.close()
                self.token(renew=True)
                renewed = True
                continue
            if resp.status_code >= 400:
                err = _error_of(resp, url)
                resp.close()
                raise err
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        resp = self.request("GET", path, params=params)
        try:
            body = resp.json()
        except ValueError:
            raise GraphError(resp.status_code, "badResponse", "not JSON", _where(resp.url)) from None
        return body if isinstance(body, dict) else {}

    def pages(self, path: str, params: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """Every object of a collection, following ``@odata.nextLink`` (which already
        carries the query, so ``params`` go with the first request only)."""
        body = self.get(path, params)
        while True:
            yield from body.get("value", [])
            link = body.get("@odata.nextLink")
            if not link:
                return
            body = self.get(link)

    def batch(self, paths: list[str]) -> list[tuple[int, dict[str, Any]]]:
        """``GET`` each of ``paths`` through JSON batching (``$batch``, 20 to a
        request): finding the OneDrive of each of 5,000 users costs 250 requests, not
        5,000. Returns (status, body) per path, in order; sub-requests throttled on
        their own (429/503/504) are sent again after their ``Retry-After``."""
        out: dict[int, tuple[int, dict[str, Any]]] = {}
        pending = list(range(len(paths)))
        for attempt in range(MAX_RETRIES + 1):
            retry: list[int] = []
            wait = 0.0
            for first in range(0, len(pending), BATCH_SIZE):
                chunk = pending[first : first + BATCH_SIZE]
                body = {
                    "requests": [
                        {"id": str(i), "method": "GET", "url": "/" + paths[i].lstrip("/")} for i in chunk
                    ]
                }
                answer = self.request("POST", "/$batch", json=body).json()
                for r in answer.get("responses", []) if isinstance(answer, dict) else []:
                    i, status = int(r.get("id", -1)), int(r.get("status", 0))
                    if i not in chunk:
                        continue
                    if status in (429, 503, 504) and attempt < MAX_RETRIES:
                        retry.append(i)
                        after = _retry_after((r.get("headers") or {}).get("Retry-After"))
                        wait = max(wait, after if after is not None else _backoff(attempt))
                    else:
                        out[i] = (status, r.get("body") or {})
            pending = sorted(retry)
            if not pending:
                break
            sleep(wait)
        return [out.get(i, (0, {})) for i in range(len(paths))]

    def delta(self, start: str, params: dict[str, str] | None = None) -> tuple[list[dict[str, Any]], str]:
        """All changes of a delta round: from ``start`` (a path for the first round,
        the last round's ``@odata.deltaLink`` after that) through every
        ``@odata.nextLink``; returns them with the new delta link. Raises
        :class:`ResyncRequired` when the service wants a fresh round."""
        changes: list[dict[str, Any]] = []
        body = self.get(start, params if "://" not in start else None)
        while True:
            changes += body.get("value", [])
            if body.get("@odata.nextLink"):
                body = self.get(body["@odata.nextLink"])
                continue
            link = body.get("@odata.deltaLink")
            if not link:
                raise GraphError(
                    200, "noDeltaLink", "a delta round ended without a delta link", _where(start)
                )
            return changes, str(link)

    def download(self, path: str, expected: int | None = None) -> Download:
        """An item's bytes (``…/content`` or ``…/$value``), streamed into a spool: in
        memory when small, else an anonymous temp file. ``content`` answers with a
        302 to a pre-authenticated URL, which is fetched without our token (it must
        not leak to the download host) and never named in errors."""
        with self.slots.hold():
            return self._download(path, expected)

    def _download(self, path: str, expected: int | None) -> Download:
        resp = self.request("GET", path, stream=True, allow_redirects=False)
        if resp.status_code in (301, 302, 303, 307, 308):
            location = resp.headers.get("Location", "")
            resp.close()
            if not location:
                raise GraphError(resp.status_code, "noLocation", "redirect without a location", _where(path))
            resp = self.request("GET", location, auth=False, stream=True)
        # A known large size goes to disk at once; an unknown one (a message: Graph
        # gives no size) stays in memory until it passes SPOOL_MEMORY, then rolls over.
        spool: IO[bytes]
        if expected is not None and expected > SPOOL_MEMORY:
            spool = tempfile.TemporaryFile()
        else:
            spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # type: ignore[assignment]
        size = 0
        try:
            with resp:
                for chunk in resp.iter_content(CHUNK):
                    spool.write(chunk)
                    size += len(chunk)
        except Exception as exc:  # noqa: BLE001 - a broken transfer is an io problem, named safely
            spool.close()
            raise Unscannable(f"download broke off after {size} bytes: {type(exc).__name__}", "io") from None
        if expected is not None and expected and size != expected:
            spool.close()
            raise Unscannable(f"download has {size} bytes, expected {expected}", "io")
        # SpooledTemporaryFile rolls over to disk once it holds more than max_size.
        return Download(spool, size, size > SPOOL_MEMORY or expected is not None and expected > SPOOL_MEMORY)

    def close(self) -> None:
        self.session.close()


def _session(requests: Any, verify: str | bool) -> Any:
    """A requests session that checks certificates against ``verify`` (a private CA
    file) even when ``REQUESTS_CA_BUNDLE`` is set: requests lets that variable win
    over a session's own ``verify``."""
    session = requests.Session()
    session.verify = verify
    if verify is not True:
        session.request = functools.partial(session.request, verify=verify)
    return session


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, min(float(value), 600.0))
    except ValueError:
        return None  # an HTTP date: rare from Graph; fall back to back-off


def _backoff(attempt: int) -> float:
    return min(MAX_BACKOFF, 2.0**attempt) * (0.5 + random.random() / 2)


class _Clients:
    """One client per tenant in this process; forgotten when the process id changes
    (a forked worker must not share its parent's connections or token)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.by_tenant: dict[str, GraphClient] = {}

    def get(self, tenant: str) -> GraphClient:
        if self.pid != os.getpid():
            self.pid = os.getpid()
            self.by_tenant = {}
        key = tenant.lower()
        client = self.by_tenant.get(key)
        if client is None:
            client = self.by_tenant[key] = GraphClient(Config.from_env(tenant))
        return client

    def reset(self) -> None:
        for client in self.by_tenant.values():
            client.close()
        self.by_tenant = {}


CLIENTS = _Clients()


def client_for(tenant: str) -> GraphClient:
    return CLIENTS.get(tenant)


def reset_clients() -> None:
    """Forget this process's clients and tokens (tests that change credentials)."""
    CLIENTS.reset()
