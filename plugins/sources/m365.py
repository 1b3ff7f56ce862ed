"""Microsoft 365 through Microsoft Graph: Exchange Online mailboxes, OneDrive and
SharePoint document libraries (``m365://TENANT/…``).

Roots (TENANT is the tenant's domain, ``kommune.onmicrosoft.com``, or its id):

- ``m365://TENANT/mail/USER[/folder…]``: every message of every folder of one mailbox;
  ``m365://TENANT/mail``: every mailbox of the tenant;
- ``m365://TENANT/onedrive/USER[/folder…]``: one person's OneDrive;
  ``m365://TENANT/onedrive``: every OneDrive of the tenant;
- ``m365://TENANT/sharepoint/SITE/LIBRARY[/folder…]``: a document library of the site
  ``/sites/SITE`` (``root`` for the root site); ``…/sharepoint/SITE``: every library of
  the site; ``m365://TENANT/sharepoint``: every library of every site.

Item URLs are the root followed by the item's folder path and ``;id=`` with Graph's
ids (a message: ``…/mail/kari@k.no/Innboks/Saker/;id=AAMk…``; a file:
``…/onedrive/kari@k.no/Saker/notat.docx;id=DRIVE,ITEM``), so every item is "below" its
root as the inventory expects, and an item can be found again (for deletion) from its
URL alone.

**Why delta queries.** A municipality's tenant holds millions of messages and files;
listing them all every night costs hours and gets throttled. Graph's delta queries
(mail folders, messages per folder, drive items, users) return only what changed since
the last round. The coordinator still needs every current item's stamp (that is how it
skips the unchanged and marks the missing as gone), so the source keeps the whole
listing (id → name, parent, stamp, owner) in its per-root state
(:meth:`saved_state`, kept by the inventory after a completed scan) and applies each
round's changes to it. A second scan therefore makes only delta requests plus one
content request per new or changed item. Stamps: messages ``(0,
lastModifiedDateTime, changeKey)`` (Graph gives no message size without an extra
request per message), files ``(size, lastModifiedDateTime, eTag)``.

**Mail** is read as MIME (``/messages/{id}/$value``, kind ``eml``), so the mail
extractors handle bodies, attachments and embedded messages exactly as for IMAP. A
message's display name is its folder, time and subject, with digit runs masked (the
inventory keeps no number in clear).

**Owners** (for routing findings to people): the mailbox's user, the OneDrive's user,
and for SharePoint the file's creator (else its last modifier).

**Credentials** come from the environment (see :mod:`._graph`; a secret may also be
typed at a hidden prompt, which puts it into this process's environment), so each
worker process, here or on another machine, authenticates by itself with its own token.

**Deletion** (``delete``) moves a message to Deleted Items and a file to the site's
recycle bin, both recoverable, only when the organisation has granted the app write
permissions and set ``PVSCAN_M365_ALLOW_DELETE=1``.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote, unquote

from pvscan import hookimpl
from pvscan.interfaces import Source
from pvscan.model import ChangedSinceScan, ItemRef, Settings, Unscannable, WalkError

from . import _graph
from ._graph import Download, GraphError, ResyncRequired, client_for

SERVICES = ("mail", "onedrive", "sharepoint")
STATE_VERSION = 2
_MSG_SELECT = "subject,receivedDateTime,lastModifiedDateTime,changeKey"
_FOLDER_SELECT = "displayName,parentFolderId,childFolderCount"
_ITEM_SELECT = (
    "id,name,eTag,size,lastModifiedDateTime,parentReference,file,folder,deleted,root,createdBy,lastModifiedBy"
)
#: Graph answers that mean "this mailbox or drive does not exist" (an unlicensed user
#: in an all-mailboxes scan), not "you may not read it".
_ABSENT = ("MailboxNotEnabledForRESTAPI", "ResourceNotFound", "itemNotFound", "ErrorItemNotFound")


# --------------------------------------------------------------------------- URLs
@dataclass(frozen=True)
class M365Url:
    """``m365://TENANT/SERVICE/parts…[;id=…]``; ``parts`` are decoded path segments."""

    tenant: str
    service: str
    parts: tuple[str, ...]
    ids: tuple[str, ...] = ()


def parse_url(url: str) -> M365Url:
    if not url.lower().startswith("m365://"):
        raise ValueError(f"not an m365:// URL: {url}")
    rest = url[len("m365://") :]
    ids: tuple[str, ...] = ()
    if ";id=" in rest:
        rest, _, tail = rest.rpartition(";id=")
        ids = tuple(unquote(x) for x in tail.split(","))
    tenant, _, path = rest.partition("/")
    if "@" in tenant or ":" in tenant:
        raise ValueError(
            "credentials in the URL are not accepted; use PVSCAN_M365_CLIENT_ID and "
            "PVSCAN_M365_CERT_FILE/KEY_FILE or PVSCAN_M365_CLIENT_SECRET(_FILE)"
        )
    parts = [unquote(p) for p in path.split("/") if p]
    if not tenant:
        raise ValueError(f"no tenant in {url}")
    if not parts or parts[0].lower() not in SERVICES:
        raise ValueError(f"give a service after the tenant: m365://{tenant}/mail|onedrive|sharepoint/…")
    return M365Url(tenant, parts[0].lower(), tuple(parts[1:]), ids)


def _without_userinfo(url: str) -> str:
    """``url`` without anything before ``@`` in its authority (it may hold a secret)."""
    scheme, sep, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    return scheme + sep + netloc.rsplit("@", 1)[-1] + slash + path


def _seg(name: str) -> str:
    return quote(name, safe="@")


def _path(path: str) -> str:
    return quote(path, safe="/@")


def _ns(stamp: str | None) -> int:
    """An ISO 8601 time from Graph (``2024-03-01T10:00:00Z``) as ns since the epoch."""
    if not stamp:
        return 0
    try:
        when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return 0
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp()) * 1_000_000_000


_DIGIT_RUN = re.compile(r"\d[\d .\-\u00a0]*\d")


def _masked_subject(subject: str) -> str:
    """A message's subject for its display name and the state, with every run of six or
    more digits masked: a subject such as "Vedrørende 010190 12345" must not put a
    fødselsnummer in clear into the inventory, which keeps only masked values."""

    def mask(m: re.Match[str]) -> str:
        run = m.group(0)
        return re.sub(r"\d", "*", run) if sum(ch.isdigit() for ch in run) >= 6 else run

    return _DIGIT_RUN.sub(mask, " ".join(subject.split()))[:200]


def _identity(facet: dict[str, Any] | None) -> str:
    user = (facet or {}).get("user") or {}
    return str(user.get("email") or user.get("userPrincipalName") or user.get("displayName") or "")


def _user_path(user: str) -> str:
    return "/users/" + quote(user, safe="@")


# --------------------------------------------------------------------------- credentials
def ensure_credentials() -> None:
    """A secret from a hidden prompt when the environment has no credential and this is
    the main process at a terminal; it is put into the environment (never a command
    line) so the workers started later inherit it."""
    if _graph.credential_from_env() is not None:
        return
    if multiprocessing.parent_process() is None and sys.stdin is not None and sys.stdin.isatty():
        # Deferred: click only to prompt for a secret.
        import click

        secret = click.prompt("Client secret of the pvscan app registration", hide_input=True, err=True)
        os.environ["PVSCAN_M365_CLIENT_SECRET"] = secret


# --------------------------------------------------------------------------- source
class M365Source(Source):
    name = "m365"
    version = "1"
    schemes = ("m365",)
    can_delete = True

    def __init__(self) -> None:
        self._state: dict[str, dict[str, Any]] = {}
        self._last: tuple[str, str, Download] | None = None
        self._last_pid = os.getpid()

    # ------------------------------------------------------------------ state
    def restore_state(self, root: str, state: str | None) -> None:
        loaded: dict[str, Any] = {}
        if state:
            try:
                loaded = json.loads(state)
            except ValueError:
                loaded = {}
        if loaded.get("v") != STATE_VERSION:
            loaded = {"v": STATE_VERSION}
        self._state[root] = loaded

    def saved_state(self, root: str) -> str | None:
        st = self._state.get(root)
        return json.dumps(st, separators=(",", ":")) if st else None

    def prepare(self, root: str) -> None:
        """Ask for a secret now if there is none (see :func:`ensure_credentials`) and
        get a first token, so a wrong secret fails before any worker starts."""
        ensure_credentials()
        client_for(parse_url(root).tenant).token()

    # ------------------------------------------------------------------ walk
    def walk(self, root: str, settings: Settings) -> Iterator[ItemRef | WalkError]:
        try:
            u = parse_url(root)
        except ValueError as exc:
            yield WalkError(_without_userinfo(root), f"io: {exc}")
            return
        state = self._state.setdefault(root, {"v": STATE_VERSION})
        try:
            ensure_credentials()
            client = client_for(u.tenant)
        except Unscannable as exc:
            yield WalkError(root, exc.reason)
            return
        base = root.rstrip("/")
        try:
            if u.service == "mail":
                if u.parts:
                    yield from self._mailbox(client, state, u.parts[0], base, u.parts[1:])
                else:
                    for upn in self._users(client, state):
                        yield from self._mailbox(client, state, upn, f"{base}/{_seg(upn)}", (), quiet=True)
            elif u.service == "onedrive":
                users = [u.parts[0]] if u.parts else self._users(client, state)
                absent = self._drive_ids(client, state, users) if not u.parts else {}
                for upn in users:
                    url = base if u.parts else f"{base}/{_seg(upn)}"
                    if upn in absent:
                        if absent[upn].status != 404:  # 404: no OneDrive (unlicensed user)
                            yield WalkError(url, f"io: {absent[upn]}"[:300])
                        continue
                    yield from self._onedrive(client, state, upn, url, "/".join(u.parts[1:]), bool(u.parts))
            else:
                yield from self._sharepoint(client, state, u, base)
        except GraphError as exc:
            yield WalkError(root, f"io: {exc}"[:300])
        except Unscannable as exc:  # no token: authentication failed or Entra unreachable
            yield WalkError(root, exc.reason[:300])

    # ------------------------------------------------------------------ users
    def _users(self, client: _graph.GraphClient, state: dict[str, Any]) -> list[str]:
        """Every user's principal name, kept current with ``/users/delta``."""
        users = state.setdefault("users", {"link": "", "list": {}})
        try:
            changes, link = client.delta(
                users["link"] or "/users/delta", {"$select": "id,userPrincipalName,mail"}
            )
        except ResyncRequired:
            users["list"] = {}
            changes, link = client.delta("/users/delta", {"$select": "id,userPrincipalName,mail"})
        for c in changes:
            if "@removed" in c:
                users["list"].pop(c["id"], None)
            elif c.get("userPrincipalName"):
                users["list"][c["id"]] = c["userPrincipalName"]
        users["link"] = link
        return sorted(users["list"].values())

    # ------------------------------------------------------------------ mail
    def _mailbox(
        self,
        client: _graph.GraphClient,
        state: dict[str, Any],
        upn: str,
        box_url: str,
        only: tuple[str, ...] = (),
        quiet: bool = False,
    ) -> Iterator[ItemRef | WalkError]:
        """Every message of one mailbox. A mailbox we may not read (403: an
        application access policy leaves it out) is one walk error; its earlier
        listing and delta links are kept for the next time."""
        boxes = state.setdefault("mailboxes", {})
        old = boxes.get(upn)
        box = json.loads(json.dumps(old)) if old else {"folders": {}, "fdelta": {}, "mdelta": {}, "msgs": {}}
        user = _user_path(upn)
        try:
            self._sync_folders(client, box, user)
        except GraphError as exc:
            if quiet and exc.status == 404 and exc.code in _ABSENT:
                return  # a user without a mailbox
            yield WalkError(box_url, f"io: {exc}"[:300])
            return
        paths = _folder_paths(box["folders"])

        def folder_url(folder: str) -> str | None:
            """The URL of a folder below the root, or None when the root names another."""
            steps = folder.split("/")
            if only and steps[: len(only)] != list(only):
                return None
            rel = "/".join(steps[len(only) :])
            return f"{box_url}/{_path(rel)}" if rel else box_url

        errors: list[WalkError] = []
        for fid in sorted(box["folders"], key=lambda f: paths.get(f, "")):
            where = folder_url(paths[fid]) if fid in paths else None
            if where is None:
                continue
            try:
                self._sync_messages(client, box, user, fid)
            except GraphError as exc:
                errors.append(WalkError(where, f"io: {exc}"[:300]))
        boxes[upn] = box
        yield from errors
        failed = {e.display for e in errors}
        for mid, (fid, mtime, change_key, subject, received) in sorted(box["msgs"].items()):
            where = folder_url(paths[fid]) if fid in paths else None
            if where is None or where in failed:
                continue
            label = f"{received[:16].replace('T', ' ')} {subject}".strip()
            meta: tuple[tuple[str, Any], ...] = (
                ("m365", "mail"),
                ("user", upn),
                ("id", mid),
                ("folder", paths[fid]),
                ("subject", subject),
                ("date", received),
                ("kind", "eml"),
            )
            url = f"{where}/;id={quote(mid, safe='')}"
            yield ItemRef.fast(self.name, url, f"{unquote(where)}/{label}", 0, mtime, change_key, upn, meta)

    def _sync_folders(self, client: _graph.GraphClient, box: dict[str, Any], user: str) -> None:
        """The folder tree by delta: the top level (``mailFolders/delta``) and each
        folder's children (``childFolders/delta``) for folders that have any."""
        folders: dict[str, list[Any]] = box["folders"]
        todo = [""] + [p for p in box["fdelta"] if p]
        done: set[str] = set()
        while todo:
            parent = todo.pop(0)
            if parent in done or (parent and parent not in folders):
                continue
            done.add(parent)
            start = (
                f"{user}/mailFolders/delta"
                if not parent
                else f"{user}/mailFolders/{quote(parent, safe='')}/childFolders/delta"
            )
            link = box["fdelta"].get(parent)
            try:
                changes, new_link = client.delta(link or start, {"$select": _FOLDER_SELECT})
            except ResyncRequired:
                changes, new_link = client.delta(start, {"$select": _FOLDER_SELECT})
                # A full round lists every current child: the others are gone.
                listed = {c["id"] for c in changes if "@removed" not in c}
                for fid in [f for f, v in folders.items() if v[1] == parent and f not in listed]:
                    _drop_folder(box, fid)
            box["fdelta"][parent] = new_link
            for c in changes:
                fid = c["id"]
                if "@removed" in c:
                    _drop_folder(box, fid)
                    continue
                folders[fid] = [c.get("displayName") or fid, parent, int(c.get("childFolderCount") or 0)]
                if folders[fid][2] and fid not in done:
                    todo.append(fid)

    def _sync_messages(self, client: _graph.GraphClient, box: dict[str, Any], user: str, fid: str) -> None:
        start = f"{user}/mailFolders/{quote(fid, safe='')}/messages/delta"
        msgs: dict[str, list[Any]] = box["msgs"]
        link = box["mdelta"].get(fid)
        try:
            changes, new_link = client.delta(link or start, {"$select": _MSG_SELECT})
        except ResyncRequired:
            for mid in [m for m, v in msgs.items() if v[0] == fid]:
                del msgs[mid]
            changes, new_link = client.delta(start, {"$select": _MSG_SELECT})
        for c in changes:
            mid = c["id"]
            if "@removed" in c:
                if mid in msgs and msgs[mid][0] == fid:
                    del msgs[mid]
                continue
            msgs[mid] = [
                fid,
                _ns(c.get("lastModifiedDateTime") or c.get("receivedDateTime")),
                str(c.get("changeKey") or ""),
                _masked_subject(str(c.get("subject") or "")),
                str(c.get("receivedDateTime") or ""),
            ]
        box["mdelta"][fid] = new_link

    # ------------------------------------------------------------------ drives
    def _onedrive(
        self,
        client: _graph.GraphClient,
        state: dict[str, Any],
        upn: str,
        drive_url: str,
        sub: str,
        named: bool,
    ) -> Iterator[ItemRef | WalkError]:
        known = state.setdefault("drive_of", {})
        drive_id = known.get(f"user:{upn}")
        if not drive_id:
            try:
                drive = client.get(f"{_user_path(upn)}/drive", {"$select": "id,owner"})
            except GraphError as exc:
                if not named and exc.status == 404:
                    return  # no OneDrive (unlicensed user)
                yield WalkError(drive_url, f"io: {exc}"[:300])
                return
            drive_id = known[f"user:{upn}"] = drive["id"]
        yield from self._drive(client, state, drive_id, drive_url, sub, upn)

    def _drive_ids(
        self, client: _graph.GraphClient, state: dict[str, Any], users: list[str]
    ) -> dict[str, GraphError]:
        """Find the OneDrive of every user whose drive is not known yet, twenty to a
        request; returns why for the users that have none (or may not be read)."""
        known = state.setdefault("drive_of", {})
        todo = [upn for upn in users if not known.get(f"user:{upn}")]
        answers = client.batch([f"{_user_path(upn)}/drive?$select=id" for upn in todo])
        absent: dict[str, GraphError] = {}
        for upn, (status, body) in zip(todo, answers, strict=True):
            if status == 200 and body.get("id"):
                known[f"user:{upn}"] = body["id"]
            else:
                err = body.get("error") or {}
                absent[upn] = GraphError(
                    status, str(err.get("code", "error")), str(err.get("message", ""))[:200]
                )
        return absent

    def _sharepoint(
        self, client: _graph.GraphClient, state: dict[str, Any], u: M365Url, base: str
    ) -> Iterator[ItemRef | WalkError]:
        known = state.setdefault("drive_of", {})
        if not u.parts:
            sites = [
                (s.get("name") or s["id"], s["id"])
                for s in client.pages("/sites", {"search": "*", "$select": "id,name,webUrl"})
            ]
        else:
            site_name = u.parts[0]
            site_id = known.get(f"site:{site_name}")
            if not site_id:
                site_id = known[f"site:{site_name}"] = self._site_id(client, site_name)
            sites = [(site_name, site_id)]
        for site_name, site_id in sites:
            library = u.parts[1] if len(u.parts) > 1 else None
            key = f"lib:{site_id}:{library}"
            if library and known.get(key):
                drives = [(library, known[key])]
            else:
                try:
                    drives = [
                        (d.get("name") or d["id"], d["id"])
                        for d in client.pages(
                            f"/sites/{quote(site_id, safe='')}/drives", {"$select": "id,name"}
                        )
                        if library is None or d.get("name") == library
                    ]
                except GraphError as exc:
                    yield WalkError(base if u.parts else f"{base}/{_seg(site_name)}", f"io: {exc}"[:300])
                    continue
                if library and not drives:
                    yield WalkError(base, f"io: no library named {library!r} on site {site_name!r}")
                    continue
                if library:
                    known[key] = drives[0][1]
            for lib_name, drive_id in drives:
                if library:
                    url = base
                elif u.parts:
                    url = f"{base}/{_seg(lib_name)}"
                else:
                    url = f"{base}/{_seg(site_name)}/{_seg(lib_name)}"
                yield from self._drive(client, state, drive_id, url, "/".join(u.parts[2:]), None)

    def _site_id(self, client: _graph.GraphClient, site_name: str) -> str:
        if site_name == "root":
            return str(client.get("/sites/root", {"$select": "id"})["id"])
        host = client.get("/sites/root", {"$select": "siteCollection"})["siteCollection"]["hostname"]
        return str(client.get(f"/sites/{host}:/sites/{quote(site_name, safe='')}", {"$select": "id"})["id"])

    def _drive(
        self,
        client: _graph.GraphClient,
        state: dict[str, Any],
        drive_id: str,
        drive_url: str,
        sub: str,
        owner: str | None,
    ) -> Iterator[ItemRef | WalkError]:
        """Every file of a drive (or of folder ``sub`` in it), from the drive's listing
        kept current with ``root/delta``. ``owner`` is the OneDrive's user; for
        SharePoint (``None``) each file's creator."""
        drives = state.setdefault("drives", {})
        old = drives.get(drive_id)
        d = json.loads(json.dumps(old)) if old else {"link": "", "items": {}, "root": ""}
        start = f"/drives/{quote(drive_id, safe='')}/root/delta"
        try:
            try:
                changes, link = client.delta(d["link"] or start, {"$select": _ITEM_SELECT})
            except ResyncRequired:
                d = {"link": "", "items": {}, "root": ""}
                changes, link = client.delta(start, {"$select": _ITEM_SELECT})
        except GraphError as exc:
            if exc.status == 404:  # the drive was replaced: look its owner's up again next time
                known = state.get("drive_of", {})
                for key in [k for k, v in known.items() if v == drive_id]:
                    del known[key]
            yield WalkError(drive_url, f"io: {exc}"[:300])
            return
        items: dict[str, list[Any]] = d["items"]
        for c in changes:
            iid = c["id"]
            if "deleted" in c:
                items.pop(iid, None)
                continue
            if "root" in c:
                d["root"] = iid
                continue
            creator = _identity(c.get("createdBy")) or _identity(c.get("lastModifiedBy"))
            items[iid] = [
                c.get("name") or iid,
                (c.get("parentReference") or {}).get("id", ""),
                1 if "folder" in c else 0,
                int(c.get("size") or 0),
                _ns(c.get("lastModifiedDateTime")),
                str(c.get("eTag") or ""),
                creator,
            ]
        d["link"] = link
        drives[drive_id] = d
        paths = _item_paths(items, d["root"])
        for iid in [i for i in items if i not in paths]:
            # Below a deleted folder whose children Graph did not list one by one.
            del items[iid]
        prefix = sub.strip("/")
        for iid, (_name, _parent, is_folder, size, mtime, etag, creator) in sorted(
            items.items(), key=lambda kv: paths.get(kv[0], "")
        ):
            path = paths.get(iid)
            if is_folder or path is None:
                continue
            if prefix:
                if not path.startswith(prefix + "/"):
                    continue
                path = path[len(prefix) + 1 :]
            url = f"{drive_url}/{_path(path)};id={quote(drive_id, safe='')},{quote(iid, safe='')}"
            meta: tuple[tuple[str, Any], ...] = (("m365", "drive"), ("drive", drive_id), ("item", iid))
            yield ItemRef.fast(
                self.name, url, f"{drive_url}/{path}", size, mtime, etag, owner or creator, meta
            )

    # ------------------------------------------------------------------ reading
    def open(self, ref: ItemRef, settings: Settings) -> IO[bytes]:
        """The item's bytes, downloaded once per process and item: the core opens an
        item twice (its first bytes to tell the type, then to extract), and a second
        download would double the traffic."""
        if self._last_pid != os.getpid():
            self._last, self._last_pid = None, os.getpid()  # the parent's spool: not ours
        if self._last is not None and self._last[:2] == (ref.url, ref.file_id):
            return self._last[2].open()
        meta = dict(ref.meta)
        client = client_for(parse_url(ref.url).tenant)
        if meta.get("m365") == "mail":
            path = f"{_user_path(meta['user'])}/messages/{quote(meta['id'], safe='')}/$value"
            expected = None
        else:
            path = f"/drives/{quote(meta['drive'], safe='')}/items/{quote(meta['item'], safe='')}/content"
            expected = ref.size
        try:
            download = client.download(path, expected)
        except GraphError as exc:
            if exc.status == 404:
                raise Unscannable("gone from the service since the walk", "io") from None
            raise exc.unscannable() from None
        if self._last is not None:
            self._last[2].close()
        self._last = (ref.url, ref.file_id, download)
        return download.open()

    # ------------------------------------------------------------------ deletion
    def deletion_refused(self, url: str) -> str:
        if os.environ.get("PVSCAN_M365_ALLOW_DELETE") != "1":
            return (
                "deletion in Microsoft 365 is not enabled: grant the app Mail.ReadWrite / "
                "Files.ReadWrite.All / Sites.ReadWrite.All and set PVSCAN_M365_ALLOW_DELETE=1"
            )
        try:
            parse_url(url)
        except ValueError as exc:
            return str(exc)
        return ""

    def delete(self, url: str, file_id: str) -> str:
        """A message to its mailbox's Deleted Items, a file to the site's recycle bin
        (both recoverable by the owner or an administrator). The item must still be the
        version that was scanned: a file's eTag goes with the request (``If-Match``, so
        the service refuses a changed file itself); a message's changeKey is checked
        first."""
        why = self.deletion_refused(url)
        if why:
            raise PermissionError(why)
        u = parse_url(url)
        client = client_for(u.tenant)
        try:
            if u.service == "mail":
                if len(u.ids) != 1 or not u.parts:
                    raise ValueError(f"not a message URL: {url}")
                msg = f"{_user_path(u.parts[0])}/messages/{quote(u.ids[0], safe='')}"
                current = client.get(msg, {"$select": "changeKey"})
                if file_id and current.get("changeKey") != file_id:
                    raise ChangedSinceScan("the message changed since it was scanned")
                client.request("POST", f"{msg}/move", json={"destinationId": "deleteditems"})
                return "moved to Deleted Items"
            if len(u.ids) != 2:
                raise ValueError(f"not a file URL: {url}")
            headers = {"If-Match": file_id} if file_id else {}
            client.request(
                "DELETE",
                f"/drives/{quote(u.ids[0], safe='')}/items/{quote(u.ids[1], safe='')}",
                headers=headers,
            )
            return "moved to the recycle bin"
        except GraphError as exc:
            if exc.status == 412:
                raise ChangedSinceScan("the file changed since it was scanned") from None
            if exc.status == 404:
                raise FileNotFoundError("gone from the service") from None
            if exc.status in (401, 403):
                raise PermissionError(f"the service refused: {exc.code}") from None
            raise OSError(str(exc)) from None


def _drop_folder(box: dict[str, Any], fid: str) -> None:
    """Forget a deleted folder, its subfolders and their messages."""
    gone = {fid}
    changed = True
    while changed:
        changed = False
        for f, (_, parent, _) in box["folders"].items():
            if parent in gone and f not in gone:
                gone.add(f)
                changed = True
    for f in gone:
        box["folders"].pop(f, None)
        box["fdelta"].pop(f, None)
        box["mdelta"].pop(f, None)
    for mid in [m for m, v in box["msgs"].items() if v[0] in gone]:
        del box["msgs"][mid]


def _folder_paths(folders: dict[str, list[Any]]) -> dict[str, str]:
    """Folder id → ``Innboks/Saker`` (names joined; a folder whose parent is unknown is
    top level, as a mailbox's top folders hang off a root we never list)."""
    out: dict[str, str] = {}

    def path(fid: str, depth: int = 0) -> str:
        if fid in out:
            return out[fid]
        name, parent, _ = folders[fid]
        name = name.replace("/", "∕")
        p = f"{path(parent, depth + 1)}/{name}" if parent in folders and depth < 64 else name
        out[fid] = p
        return p

    for fid in folders:
        path(fid)
    return out


def _item_paths(items: dict[str, list[Any]], root: str) -> dict[str, str]:
    """Drive item id → path from the drive's root. Items whose chain does not reach the
    root (a parent not yet seen) get none and are left out until it is."""
    out: dict[str, str | None] = {}

    def path(iid: str, depth: int = 0) -> str | None:
        if iid in out:
            return out[iid]
        entry = items.get(iid)
        if entry is None or depth > 256:
            return None
        parent = entry[1]
        if parent == root or not parent:
            p: str | None = entry[0]
        else:
            up = path(parent, depth + 1)
            p = f"{up}/{entry[0]}" if up is not None else None
        out[iid] = p
        return p

    for iid in items:
        path(iid)
    return {k: v for k, v in out.items() if v is not None}


def reset_connections() -> None:
    """Forget this process's Graph clients and tokens (tests that change credentials)."""
    _graph.reset_clients()


@hookimpl
def pvscan_sources() -> list[Source]:
    return [M365Source()]
