"""A fake Microsoft Graph and Entra ID token endpoint over HTTPS on 127.0.0.1.

No Microsoft 365 tenant is reachable from the tests and no open-source emulator covers
mail and files, so this serves the part of Graph the ``m365`` source uses, following
the published v1.0 reference for shapes, names and paging:

- OAuth 2.0 client credentials as msal does them: OpenID discovery
  (``/{tenant}/v2.0/.well-known/openid-configuration``) and the token endpoint
  (``/{tenant}/oauth2/v2.0/token``) taking a client secret or a certificate's signed
  client assertion (verified against the registered certificate);
- ``users`` (list, ``delta``), ``mailFolders`` (top level, ``childFolders``, both with
  ``delta``), ``messages`` (``delta`` per folder with ``@removed``, ``$value`` MIME,
  ``move`` to ``deleteditems``);
- drives (``/users/{id}/drive``, ``/sites/{id}/drives``), ``root/delta`` with the
  ``deleted`` and ``root`` facets and no ``parentReference.path`` (as Graph's delta
  leaves it out), ``children``, ``content`` answering 302 to a pre-authenticated
  download URL, ``DELETE`` with ``If-Match`` into a recycle bin;
- ``sites`` (``root``, by ``hostname:/sites/name``, ``?search=``, ``lists``);
- JSON batching (``$batch``), each sub-request with its own status and throttling;
- ``@odata.nextLink`` / ``@odata.deltaLink`` paging (small pages, so paging is always
  exercised), error bodies ``{"error": {"code", "message"}}``, 401
  ``InvalidAuthenticationToken`` for an expired token, 403 for a mailbox the app may
  not read, 429/503 with ``Retry-After`` on demand, 410 ``resyncRequired`` for an
  expired delta token.

Every request is logged (``requests``) so tests can count what a scan asked for. What
it does not model is listed in the README's Microsoft 365 section.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import ssl
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import jwt
import pytest
import trustme
from cryptography import x509

PAGE = 3
READ_ROLES = {"Mail.Read", "Files.Read.All", "Sites.Read.All", "User.Read.All"}
HOST = "kommune.sharepoint.com"


def _now_iso(tick: int) -> str:
    base = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
    return (base + dt.timedelta(minutes=tick)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rid(prefix: str, n: int = 18) -> str:
    return prefix + secrets.token_urlsafe(n)


@dataclass
class Request:
    method: str
    path: str
    query: str
    status: int
    token: str = ""
    auth_header: bool = False


@dataclass
class Tenant:
    """The tenant's contents. ``v`` counts changes; every object carries the ``_v`` of
    its last change and removals leave tombstones, which is all a delta needs."""

    tenant_id: str = "kommune.onmicrosoft.com"
    client_id: str = "11111111-2222-3333-4444-555555555555"
    secret: str = ""
    certificate_pem: bytes = b""
    roles: set[str] = field(default_factory=lambda: set(READ_ROLES))
    v: int = 0
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    messages: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    drives: dict[str, dict[str, Any]] = field(default_factory=dict)
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)
    tombstones: list[tuple[int, str, Any, str]] = field(default_factory=list)
    forbidden_mailboxes: set[str] = field(default_factory=set)
    recycle_bin: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def bump(self) -> int:
        self.v += 1
        return self.v

    # ---------------------------------------------------------------- users, mail
    def add_user(self, upn: str, name: str) -> str:
        with self.lock:
            uid = str(uuid.uuid4())
            self.users[uid] = {
                "id": uid,
                "userPrincipalName": upn,
                "mail": upn,
                "displayName": name,
                "_v": self.bump(),
            }
            self.folders[uid] = {}
            self.messages[uid] = {}
            self.add_folder(uid, "Slettede elementer", well_known="deleteditems")
            return uid

    def user(self, key: str) -> str | None:
        if key in self.users:
            return key
        for uid, u in self.users.items():
            if u["userPrincipalName"].lower() == key.lower():
                return uid
        return None

    def add_folder(self, uid: str, name: str, parent: str | None = None, well_known: str = "") -> str:
        with self.lock:
            fid = _rid("AAMkFo", 12) + "="
            root = f"root-{uid}"
            self.folders[uid][fid] = {
                "id": fid,
                "displayName": name,
                "parentFolderId": parent or root,
                "_well_known": well_known,
                "_v": self.bump(),
            }
            if parent:
                self.folders[uid][parent]["_v"] = self.bump()  # childFolderCount changed
            return fid

    def child_count(self, uid: str, fid: str) -> int:
        return sum(1 for f in self.folders[uid].values() if f["parentFolderId"] == fid)

    def add_message(self, uid: str, fid: str, mime: bytes, subject: str, sender: str) -> str:
        with self.lock:
            mid = _rid("AAMkAGI2-", 24) + "="
            v = self.bump()
            self.messages[uid][mid] = {
                "id": mid,
                "parentFolderId": fid,
                "subject": subject,
                "from": {"emailAddress": {"name": sender, "address": sender}},
                "receivedDateTime": _now_iso(v),
                "lastModifiedDateTime": _now_iso(v),
                "changeKey": _rid("CQAAABYAAA", 12),
                "_mime": mime,
                "_v": v,
            }
            return mid

    def remove_message(self, uid: str, mid: str) -> dict[str, Any]:
        with self.lock:
            msg = self.messages[uid].pop(mid)
            self.tombstones.append((self.bump(), "message", (uid, msg["parentFolderId"]), mid))
            return msg

    def remove_folder(self, uid: str, fid: str) -> None:
        """Delete a folder with its subfolders and messages; only the folder itself is
        reported (to its parent's folder delta), as Exchange does."""
        with self.lock:
            folder = self.folders[uid][fid]
            for child in [f for f, v in self.folders[uid].items() if v["parentFolderId"] == fid]:
                self.remove_folder(uid, child)
            for mid in [m for m, v in self.messages[uid].items() if v["parentFolderId"] == fid]:
                del self.messages[uid][mid]
            del self.folders[uid][fid]
            self.tombstones.append((self.bump(), "folder", (uid, folder["parentFolderId"]), fid))
            parent = self.folders[uid].get(folder["parentFolderId"])
            if parent is not None:
                parent["_v"] = self.bump()  # childFolderCount changed

    def well_known(self, uid: str, name: str) -> str:
        for fid, f in self.folders[uid].items():
            if f["_well_known"] == name or fid == name:
                return fid
        raise KeyError(name)

    # ---------------------------------------------------------------- drives, sites
    def _new_drive(self, name: str, drive_type: str, owner: dict[str, Any]) -> str:
        did = _rid("b!", 30)
        root = "01" + secrets.token_hex(16).upper()
        v = self.bump()
        self.drives[did] = {
            "id": did,
            "name": name,
            "driveType": drive_type,
            "owner": owner,
            "root": root,
            "items": {
                root: {
                    "id": root,
                    "name": "root",
                    "root": {},
                    "folder": {"childCount": 0},
                    "eTag": f'"{{{uuid.uuid4()}}},1"',
                    "lastModifiedDateTime": _now_iso(v),
                    "size": 0,
                    "_v": v,
                }
            },
        }
        return did

    def add_onedrive(self, uid: str) -> str:
        with self.lock:
            u = self.users[uid]
            did = self._new_drive(
                "OneDrive",
                "business",
                {"user": {"id": uid, "displayName": u["displayName"], "email": u["mail"]}},
            )
            u["_drive"] = did
            return did

    def add_site(self, name: str, title: str) -> str:
        with self.lock:
            sid = f"{HOST},{uuid.uuid4()},{uuid.uuid4()}"
            self.sites[sid] = {
                "id": sid,
                "name": name,
                "displayName": title,
                "webUrl": f"https://{HOST}/sites/{name}",
                "siteCollection": {"hostname": HOST},
                "_drives": [],
            }
            return sid

    def add_library(self, sid: str, name: str) -> str:
        with self.lock:
            did = self._new_drive(
                name, "documentLibrary", {"group": {"displayName": self.sites[sid]["displayName"]}}
            )
            self.drives[did]["_site"] = sid
            self.sites[sid]["_drives"].append(did)
            return did

    def _by_path(self, did: str, path: str) -> str | None:
        d = self.drives[did]
        cur = d["root"]
        for name in [p for p in path.split("/") if p]:
            nxt = [i for i, it in d["items"].items() if it.get("_parent") == cur and it["name"] == name]
            if not nxt:
                return None
            cur = nxt[0]
        return cur

    def put_file(self, did: str, path: str, content: bytes, by: str) -> str:
        """Create ``path`` (and its folders) or give it new content and a new eTag."""
        with self.lock:
            d = self.drives[did]
            parent = d["root"]
            *folders, name = path.split("/")
            for i, fname in enumerate(folders):
                found = self._by_path(did, "/".join(folders[: i + 1]))
                if found is None:
                    found = self._put(did, parent, fname, by, folder=True)
                parent = found
            existing = self._by_path(did, path)
            if existing is not None:
                it = d["items"][existing]
                n = int(it["eTag"].rsplit(",", 1)[1].rstrip('"')) + 1
                v = self.bump()
                it.update(
                    _content=content,
                    size=len(content),
                    eTag=it["eTag"].rsplit(",", 1)[0] + f',{n}"',
                    cTag=f'"c:{it["eTag"][2:38]},{n}"',
                    lastModifiedDateTime=_now_iso(v),
                    _v=v,
                )
                return existing
            return self._put(did, parent, name, by, content=content)

    def _put(
        self, did: str, parent: str, name: str, by: str, folder: bool = False, content: bytes = b""
    ) -> str:
        iid = "01" + secrets.token_hex(16).upper()
        v = self.bump()
        guid = str(uuid.uuid4()).upper()
        ident = {"user": {"email": by, "displayName": by.split("@")[0].title()}}
        it: dict[str, Any] = {
            "id": iid,
            "name": name,
            "eTag": f'"{{{guid}}},1"',
            "cTag": f'"c:{{{guid}}},1"',
            "createdDateTime": _now_iso(v),
            "lastModifiedDateTime": _now_iso(v),
            "size": len(content),
            "createdBy": ident,
            "lastModifiedBy": ident,
            "_parent": parent,
            "_v": v,
        }
        if folder:
            it["folder"] = {"childCount": 0}
        else:
            it["file"] = {"mimeType": "application/octet-stream"}
            it["_content"] = content
        self.drives[did]["items"][iid] = it
        return iid

    def delete_item(self, did: str, iid: str) -> None:
        with self.lock:
            it = self.drives[did]["items"].pop(iid)
            self.recycle_bin.append(it)
            self.tombstones.append((self.bump(), "driveItem", did, iid))


# --------------------------------------------------------------------------- server
class FakeGraph:
    """The server, its tenant and the knobs tests turn (throttling, token expiry)."""

    def __init__(self, tmp: Path) -> None:
        self.ca = trustme.CA()
        self.cafile = str(tmp / "fake-graph-ca.pem")
        self.ca.cert_pem.write_to_path(self.cafile)
        self.tenant = Tenant(secret="s3cr3t-" + secrets.token_urlsafe(16))
        self.requests: list[Request] = []
        self.issued: list[str] = []
        #: How each token request authenticated: "secret" or "certificate".
        self.auth_methods: list[str] = []
        self.valid: set[str] = set()
        self.throttles: list[dict[str, Any]] = []
        self.revoke_after: int | None = None
        self.expired_delta_before = -1
        self.in_flight = 0
        self.max_in_flight = 0
        self.downloads: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()
        server_cert = self.ca.issue_cert("127.0.0.1", "localhost")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_cert.configure_cert(ctx)
        handler = type("Handler", (_Handler,), {"fake": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.base = f"https://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # ---------------------------------------------------------------- knobs
    def env(self, secret: bool = True) -> dict[str, str]:
        """The environment a scan of this tenant needs (a secret unless told not to)."""
        env = {
            "PVSCAN_M365_CLIENT_ID": self.tenant.client_id,
            "PVSCAN_M365_AUTHORITY": self.base,
            "PVSCAN_M365_GRAPH_URL": self.base + "/v1.0",
            "PVSCAN_M365_CAFILE": self.cafile,
        }
        if secret:
            env["PVSCAN_M365_CLIENT_SECRET"] = self.tenant.secret
        return env

    def throttle(self, n: int, status: int = 429, retry_after: str | None = "3", match: str = "") -> None:
        """The next ``n`` Graph requests whose path contains ``match`` answer ``status``."""
        with self._lock:
            self.throttles.append({"n": n, "status": status, "retry_after": retry_after, "match": match})

    def expire_tokens_after(self, n: int) -> None:
        """Every token issued so far stops working after ``n`` more Graph requests."""
        self.revoke_after = n

    def expire_delta_tokens(self) -> None:
        """Delta links issued so far answer 410 Gone (``resyncRequired``)."""
        self.expired_delta_before = self.tenant.v + 1

    def graph_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path.startswith("/v1.0/")]

    def reset_log(self) -> None:
        self.requests.clear()


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _unb64(s: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))


class HttpError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGraph
    protocol_version = "HTTP/1.1"
    # Headers and body go in separate writes; without this, Nagle's algorithm and the
    # client's delayed ACK hold every response back by 40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass

    # ---------------------------------------------------------------- plumbing
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _send(
        self, status: int, body: bytes, ctype: str = "application/json", headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        # Counted out before the last bytes go, so a client that has them and starts its
        # next request is never counted twice. Written in pieces, as a download arrives.
        pieces = [body[i : i + 256 * 1024] for i in range(0, len(body), 256 * 1024)]
        if not pieces:
            self._leave()
        self.end_headers()
        for piece in pieces[:-1]:
            self.wfile.write(piece)
        if pieces:
            self._leave()
            self.wfile.write(pieces[-1])

    def _leave(self) -> None:
        if getattr(self, "_counted", False):
            with self.fake._lock:
                self.fake.in_flight -= 1
            self._counted = False

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), headers=headers)

    def _dispatch(self, method: str) -> None:
        fake = self.fake
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        rec = Request(method, split.path, split.query, 0, auth_header="Authorization" in self.headers)
        counted = "/oauth2/" not in split.path and "/.well-known/" not in split.path
        with fake._lock:
            fake.requests.append(rec)
            fake.in_flight += counted
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        self._counted = counted
        try:
            try:
                self._route(method, split.path, parse_qs(split.query), body, rec)
            except HttpError as exc:
                rec.status = exc.status
                self._json(exc.status, {"error": {"code": exc.code, "message": exc.message}}, exc.headers)
        finally:
            self._leave()

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: bytes, rec: Request) -> None:
        fake = self.fake
        t = fake.tenant
        parts = [unquote(p) for p in path.split("/") if p]
        if len(parts) >= 3 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            self._check_tenant(parts[0])
            base = f"{fake.base}/{parts[0]}"
            rec.status = 200
            return self._json(
                200,
                {
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "issuer": f"{base}/v2.0",
                    "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                },
            )
        if len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"] and method == "POST":
            self._check_tenant(parts[0])
            return self._token(parse_qs(body.decode()), rec)
        if parts[:2] == ["_layouts", "15"]:
            return self._download(query, rec)
        if not parts or parts[0] != "v1.0":
            raise HttpError(404, "NotFound", "no such endpoint")
        rec.token = self._authorize()
        with t.lock:
            self._throttled(path)
            result = self._graph(method, parts[1:], query, body, path)
        status, obj, headers = result
        rec.status = status
        if isinstance(obj, bytes):
            self._send(status, obj, "message/rfc822", headers)
        elif obj is None:
            self._send(status, b"", headers=headers)
        else:
            self._json(status, obj, headers)

    def _check_tenant(self, tenant: str) -> None:
        if tenant != self.fake.tenant.tenant_id:
            raise HttpError(400, "invalid_tenant", f"AADSTS90002: Tenant '{tenant}' not found.")

    # ---------------------------------------------------------------- auth
    def _token(self, form: dict[str, list[str]], rec: Request) -> None:
        fake, t = self.fake, self.fake.tenant
        get = lambda k: (form.get(k) or [""])[0]  # noqa: E731
        if (
            get("grant_type") != "client_credentials"
            or get("scope") != "https://graph.microsoft.com/.default"
        ):
            rec.status = 400
            return self._json(
                400, {"error": "invalid_request", "error_description": "AADSTS900144: bad request"}
            )
        if get("client_id") != t.client_id:
            rec.status = 400
            return self._json(
                400, {"error": "unauthorized_client", "error_description": "AADSTS700016: unknown app"}
            )
        ok = False
        fake.auth_methods.append("secret" if get("client_secret") else "certificate")
        if get("client_secret"):
            ok = secrets.compare_digest(get("client_secret"), t.secret)
        elif get("client_assertion") and t.certificate_pem:
            cert = x509.load_pem_x509_certificate(t.certificate_pem)
            try:
                claims = jwt.decode(
                    get("client_assertion"),
                    cert.public_key(),  # type: ignore[arg-type]
                    algorithms=["PS256", "RS256"],
                    audience=f"{fake.base}/{t.tenant_id}/oauth2/v2.0/token",
                )
                ok = claims.get("iss") == t.client_id and claims.get("sub") == t.client_id
            except jwt.PyJWTError:
                ok = False
        if not ok:
            rec.status = 401
            return self._json(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                },
            )
        token = "eyJ0eXAiOiJKV1Qi." + secrets.token_urlsafe(32)
        with fake._lock:
            fake.issued.append(token)
            fake.valid.add(token)
        rec.status = 200
        self._json(
            200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}
        )

    def _authorize(self) -> str:
        fake = self.fake
        header = self.headers.get("Authorization", "")
        token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        with fake._lock:
            if fake.revoke_after is not None:
                if fake.revoke_after <= 0:
                    fake.valid.clear()
                    fake.revoke_after = None
                else:
                    fake.revoke_after -= 1
            valid = token in fake.valid
        if not valid:
            raise HttpError(
                401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid."
            )
        return token

    def _throttled(self, path: str) -> None:
        fake = self.fake
        with fake._lock:
            for th in fake.throttles:
                if th["n"] > 0 and th["match"] in path:
                    th["n"] -= 1
                    headers = {"Retry-After": th["retry_after"]} if th["retry_after"] else {}
                    code = "TooManyRequests" if th["status"] == 429 else "ServiceUnavailable"
                    raise HttpError(th["status"], code, "Please retry again later.", headers)

    def _need(self, *roles: str) -> None:
        if not set(roles) & self.fake.tenant.roles:
            raise HttpError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")

    # ---------------------------------------------------------------- paging
    def _collection(
        self, path: str, values: list[dict[str, Any]], query: dict[str, list[str]]
    ) -> dict[str, Any]:
        skip = int((query.get("$skiptoken") or ["0"])[0])
        page = values[skip : skip + PAGE]
        out: dict[str, Any] = {"@odata.context": f"{self.fake.base}/v1.0/$metadata", "value": page}
        if skip + PAGE < len(values):
            out["@odata.nextLink"] = f"{self.fake.base}{path}?$skiptoken={skip + PAGE}"
        return out

    def _delta(
        self,
        path: str,
        query: dict[str, list[str]],
        live: list[dict[str, Any]],
        removed: Iterator[tuple[int, str]],
        render: Any,
        gone: Any,
    ) -> dict[str, Any]:
        t = self.fake.tenant
        if "$skiptoken" in query:
            st = _unb64(query["$skiptoken"][0])
            since, upto, offset = st["since"], st["upto"], st["offset"]
        elif "$deltatoken" in query:
            since, upto, offset = int(query["$deltatoken"][0]), t.v, 0
            if since < self.fake.expired_delta_before:
                raise HttpError(410, "resyncRequired", "The delta token is no longer valid; resync.")
        else:
            since, upto, offset = -1, t.v, 0
        records = [(o["_v"], render(o)) for o in live if since < o["_v"] <= upto]
        if since >= 0:
            records += [(v, gone(i)) for v, i in removed if since < v <= upto]
        records.sort(key=lambda r: r[0])
        page = [r for _, r in records[offset : offset + PAGE]]
        out: dict[str, Any] = {"@odata.context": f"{self.fake.base}/v1.0/$metadata", "value": page}
        if offset + PAGE < len(records):
            tok = _b64({"since": since, "upto": upto, "offset": offset + PAGE})
            out["@odata.nextLink"] = f"{self.fake.base}{path}?$skiptoken={tok}"
        else:
            out["@odata.deltaLink"] = f"{self.fake.base}{path}?$deltatoken={upto}"
        return out

    # ---------------------------------------------------------------- Graph
    def _graph(
        self, method: str, p: list[str], query: dict[str, list[str]], body: bytes, path: str
    ) -> tuple[int, Any, dict[str, str]]:
        t = self.fake.tenant
        ok: dict[str, str] = {}
        if p == ["$batch"] and method == "POST":
            return 200, {"responses": [self._sub_request(r) for r in json.loads(body)["requests"]]}, ok
        if p == ["users"]:
            self._need("User.Read.All")
            return 200, self._collection(path, [_public(u) for u in t.users.values()], query), ok
        if p == ["users", "delta"]:
            self._need("User.Read.All")
            removed = ((v, i) for v, kind, _, i in t.tombstones if kind == "user")
            return 200, self._delta(path, query, list(t.users.values()), removed, _public, _removed), ok
        if p[0] == "users" and len(p) >= 2:
            uid = t.user(p[1])
            if uid is None:
                raise HttpError(404, "Request_ResourceNotFound", f"Resource '{p[1]}' does not exist.")
            return self._user(method, uid, p[2:], query, body, path)
        if p[0] == "drives" and len(p) >= 2:
            if p[1] not in t.drives:
                raise HttpError(404, "itemNotFound", "The resource could not be found.")
            return self._drive(method, p[1], p[2:], query, path)
        if p[0] == "sites":
            return self._sites(p[1:], query, path)
        raise HttpError(400, "BadRequest", f"Resource not found for the segment '{p[-1]}'.")

    def _sub_request(self, r: dict[str, Any]) -> dict[str, Any]:
        """One request of a JSON batch, answered as Graph does inside ``responses``
        (its own status, headers and body; throttled on its own)."""
        split = urlsplit(r["url"])
        path = "/v1.0" + split.path
        try:
            self._throttled(path)
            parts = [unquote(x) for x in split.path.split("/") if x]
            status, obj, headers = self._graph(r["method"], parts, parse_qs(split.query), b"", path)
        except HttpError as exc:
            return {
                "id": r["id"],
                "status": exc.status,
                "headers": exc.headers,
                "body": {"error": {"code": exc.code, "message": exc.message}},
            }
        return {"id": r["id"], "status": status, "headers": headers, "body": obj}

    def _user(
        self, method: str, uid: str, p: list[str], query: dict[str, list[str]], body: bytes, path: str
    ) -> tuple[int, Any, dict[str, str]]:
        t = self.fake.tenant
        u = t.users[uid]
        if not p:
            return 200, _public(u), {}
        if p[0] == "drive":
            if "_drive" not in u:
                raise HttpError(404, "ResourceNotFound", "User's mysite not found.")
            return self._drive(method, u["_drive"], p[1:], query, path)
        if p[0] in ("mailFolders", "messages"):
            self._need("Mail.Read", "Mail.ReadWrite")
            if uid in t.forbidden_mailboxes:
                raise HttpError(
                    403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
                )
        folders, messages = t.folders[uid], t.messages[uid]

        def folder_json(f: dict[str, Any]) -> dict[str, Any]:
            return {
                "id": f["id"],
                "displayName": f["displayName"],
                "parentFolderId": f["parentFolderId"],
                "childFolderCount": t.child_count(uid, f["id"]),
                "totalItemCount": sum(1 for m in messages.values() if m["parentFolderId"] == f["id"]),
            }

        def msg_json(m: dict[str, Any]) -> dict[str, Any]:
            return {
                "@odata.type": "#microsoft.graph.message",
                **{k: v for k, v in m.items() if not k.startswith("_")},
            }

        def removed_folders(parent: str) -> Iterator[tuple[int, str]]:
            return ((v, i) for v, kind, c, i in t.tombstones if kind == "folder" and c == (uid, parent))

        root = f"root-{uid}"
        if p == ["mailFolders"]:
            return (
                200,
                self._collection(
                    path, [folder_json(f) for f in folders.values() if f["parentFolderId"] == root], query
                ),
                {},
            )
        if p == ["mailFolders", "delta"]:
            live = [f for f in folders.values() if f["parentFolderId"] == root]
            return 200, self._delta(path, query, live, removed_folders(root), folder_json, _removed), {}
        if p[0] == "mailFolders" and len(p) >= 2:
            try:
                fid = t.well_known(uid, p[1])
            except KeyError:
                raise HttpError(
                    404, "ErrorItemNotFound", "The specified object was not found in the store."
                ) from None
            rest = p[2:]
            if not rest:
                return 200, folder_json(folders[fid]), {}
            if rest == ["childFolders"]:
                kids = [folder_json(f) for f in folders.values() if f["parentFolderId"] == fid]
                return 200, self._collection(path, kids, query), {}
            if rest == ["childFolders", "delta"]:
                live = [f for f in folders.values() if f["parentFolderId"] == fid]
                return 200, self._delta(path, query, live, removed_folders(fid), folder_json, _removed), {}
            if rest == ["messages"]:
                msgs = [msg_json(m) for m in messages.values() if m["parentFolderId"] == fid]
                return 200, self._collection(path, msgs, query), {}
            if rest == ["messages", "delta"]:
                live = [m for m in messages.values() if m["parentFolderId"] == fid]
                removed = ((v, i) for v, kind, c, i in t.tombstones if kind == "message" and c == (uid, fid))
                return 200, self._delta(path, query, live, removed, msg_json, _removed), {}
        if p[0] == "messages" and len(p) >= 2:
            m = messages.get(p[1])
            if m is None:
                raise HttpError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
            if p[2:] == [] and method == "GET":
                return 200, msg_json(m), {}
            if p[2:] == ["$value"]:
                return 200, m["_mime"], {}
            if p[2:] == ["move"] and method == "POST":
                self._need("Mail.ReadWrite")
                dest = t.well_known(uid, json.loads(body or b"{}").get("destinationId", ""))
                moved = t.remove_message(uid, m["id"])
                new_id = t.add_message(
                    uid, dest, moved["_mime"], moved["subject"], moved["from"]["emailAddress"]["address"]
                )
                return 201, msg_json(messages[new_id]), {}
        raise HttpError(400, "BadRequest", "Unsupported segment.")

    def _drive(
        self, method: str, did: str, p: list[str], query: dict[str, list[str]], path: str
    ) -> tuple[int, Any, dict[str, str]]:
        t = self.fake.tenant
        d = t.drives[did]
        self._need("Files.Read.All", "Sites.Read.All", "Files.ReadWrite.All", "Sites.ReadWrite.All")

        def item_json(it: dict[str, Any], with_path: bool = True) -> dict[str, Any]:
            out = {k: v for k, v in it.items() if not k.startswith("_")}
            if "_parent" in it:
                ref: dict[str, Any] = {"driveId": did, "driveType": d["driveType"], "id": it["_parent"]}
                if with_path:
                    ref["path"] = f"/drives/{did}/root:" + _path_of(d, it["_parent"])
                out["parentReference"] = ref
            if "folder" in it:
                out["folder"] = {
                    "childCount": sum(1 for x in d["items"].values() if x.get("_parent") == it["id"])
                }
            return out

        if not p:
            return 200, {"id": did, "name": d["name"], "driveType": d["driveType"], "owner": d["owner"]}, {}
        if p == ["root", "delta"]:
            removed = ((v, i) for v, kind, c, i in t.tombstones if kind == "driveItem" and c == did)
            return (
                200,
                self._delta(
                    path,
                    query,
                    list(d["items"].values()),
                    removed,
                    lambda it: item_json(it, with_path=False),
                    lambda i: {
                        "id": i,
                        "deleted": {"state": "deleted"},
                        "parentReference": {"driveId": did, "id": d["root"]},
                    },
                ),
                {},
            )
        if p[0] == "items" and len(p) >= 2:
            iid = d["root"] if p[1] == "root" else p[1]
            it = d["items"].get(iid)
            if it is None:
                raise HttpError(404, "itemNotFound", "The resource could not be found.")
            if p[2:] == [] and method == "GET":
                return 200, item_json(it), {}
            if p[2:] == [] and method == "DELETE":
                self._need("Files.ReadWrite.All", "Sites.ReadWrite.All")
                match = self.headers.get("If-Match")
                if match and match != it["eTag"]:
                    raise HttpError(412, "resourceModified", "ETag does not match current item's value")
                t.delete_item(did, iid)
                return 204, None, {}
            if p[2:] == ["children"]:
                kids = [item_json(x) for x in d["items"].values() if x.get("_parent") == iid]
                return 200, self._collection(path, kids, query), {}
            if p[2:] == ["content"]:
                token = secrets.token_urlsafe(24)
                self.fake.downloads[token] = (did, iid)
                loc = f"{self.fake.base}/_layouts/15/download.aspx?UniqueId={iid}&tempauth={token}"
                return 302, None, {"Location": loc}
        raise HttpError(400, "invalidRequest", "Unsupported segment.")

    def _sites(self, p: list[str], query: dict[str, list[str]], path: str) -> tuple[int, Any, dict[str, str]]:
        t = self.fake.tenant
        self._need("Sites.Read.All", "Sites.ReadWrite.All")

        def site_json(s: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in s.items() if not k.startswith("_")}

        if not p:
            return 200, self._collection(path, [site_json(s) for s in t.sites.values()], query), {}
        if p == ["root"]:
            return (
                200,
                {
                    "id": f"{HOST},root",
                    "name": "",
                    "webUrl": f"https://{HOST}",
                    "siteCollection": {"hostname": HOST},
                },
                {},
            )
        sid: str | None = None
        rest: list[str] = []
        if p[0].endswith(":") and len(p) >= 3 and p[1] == "sites":
            sid = next((s["id"] for s in t.sites.values() if s["name"] == p[2]), None)
            rest = p[3:]
        elif p[0] in t.sites:
            sid, rest = p[0], p[1:]
        if sid is None:
            raise HttpError(404, "itemNotFound", "Requested site could not be found")
        s = t.sites[sid]
        if not rest:
            return 200, site_json(s), {}
        if rest == ["drives"]:
            drives = [
                {"id": did, "name": t.drives[did]["name"], "driveType": "documentLibrary"}
                for did in s["_drives"]
            ]
            return 200, self._collection(path, drives, query), {}
        if rest == ["lists"]:
            lists = [
                {"id": did, "displayName": t.drives[did]["name"], "list": {"template": "documentLibrary"}}
                for did in s["_drives"]
            ]
            return 200, self._collection(path, lists, query), {}
        if len(rest) == 3 and rest[0] == "lists" and rest[2] == "drive" and rest[1] in s["_drives"]:
            d = t.drives[rest[1]]
            return 200, {"id": d["id"], "name": d["name"], "driveType": d["driveType"]}, {}
        raise HttpError(400, "invalidRequest", "Unsupported segment.")

    # ---------------------------------------------------------------- downloads
    def _download(self, query: dict[str, list[str]], rec: Request) -> None:
        token = (query.get("tempauth") or [""])[0]
        t = self.fake.tenant
        with t.lock:
            target = self.fake.downloads.pop(token, None)
            it = t.drives[target[0]]["items"].get(target[1]) if target else None
            content = it.get("_content", b"") if it else None
        if content is None:
            raise HttpError(401, "unauthenticated", "The download link has expired.")
        rec.status = 200
        self._send(200, content, "application/octet-stream")


def _public(u: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in u.items() if not k.startswith("_")}


def _removed(i: str) -> dict[str, Any]:
    return {"id": i, "@removed": {"reason": "deleted"}}


def _path_of(d: dict[str, Any], iid: str) -> str:
    names = []
    while iid != d["root"] and iid in d["items"]:
        names.append(d["items"][iid]["name"])
        iid = d["items"][iid]["_parent"]
    return "/" + "/".join(quote(n) for n in reversed(names)) if names else ""


def certificate_pair(tmp: Path) -> tuple[str, str, bytes]:
    """A self-signed certificate and its key for certificate authentication (as an
    administrator would upload to the app registration): (cert file, key file, PEM)."""
    ca = trustme.CA(key_type=trustme.KeyType.RSA)  # Entra takes RSA certificates only
    leaf = ca.issue_cert("pvscan-app", key_type=trustme.KeyType.RSA)
    cert_file, key_file = tmp / "app.crt", tmp / "app.key"
    leaf.cert_chain_pems[0].write_to_path(str(cert_file))
    leaf.private_key_pem.write_to_path(str(key_file))
    return str(cert_file), str(key_file), leaf.cert_chain_pems[0].bytes()


@pytest.fixture
def fake_graph(tmp_path: Path) -> Iterator[FakeGraph]:
    """A running fake Graph with an empty tenant (tests fill it)."""
    server = FakeGraph(tmp_path)
    try:
        yield server
    finally:
        server.close()
