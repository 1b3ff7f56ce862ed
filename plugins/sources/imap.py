"""IMAP mailboxes (``imaps://user@host[:port]/INBOX``, ``imap://`` with STARTTLS).

Strictly read-only: mailboxes are opened with ``EXAMINE`` and messages fetched with
``BODY.PEEK[]``, so a scan never sets ``\\Seen`` or changes anything else a person sees
in their mail client. The walk lists each message's UID, size and INTERNALDATE (plus
Subject/From/Date headers for the report) without downloading bodies; ``open`` fetches
one message as RFC 822 bytes, which the core sniffs as ``eml``.

Item URLs follow RFC 5092: ``imaps://user@host/INBOX/;UID=42`` (the mailbox name
percent-encoded, the port only when it is not the default), so a message is "below" its
mailbox's URL the way a file is below its folder (the inventory counts items per root by
that prefix). ``display`` is the same with the mailbox name readable (``Utgående``). The stamp is
(RFC822.SIZE, INTERNALDATE in ns, ``UIDVALIDITY:UID``): IMAP messages never change, and
a new UIDVALIDITY means the server renumbered the mailbox, so everything is read again.

Connections are opened lazily per process (``open`` runs in worker processes) and cached
per server and user; a forked worker never reuses its parent's socket. Credentials come
from ``PVSCAN_IMAP_USER`` / ``PVSCAN_IMAP_PASSWORD`` (a user in the URL wins) or a
hidden prompt in the main process when there is a terminal. TLS certificates are
verified (``PVSCAN_IMAP_CAFILE`` adds a private CA); a password is sent without TLS only
to a loopback address or when ``PVSCAN_IMAP_ALLOW_PLAIN=1``.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.parser
import email.policy
import imaplib
import io
import ipaddress
import multiprocessing
import os
import re
import ssl
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote, unquote

from pvscan import hookimpl
from pvscan.interfaces import Source
from pvscan.model import ItemRef, Settings, Unscannable, WalkError

from ._urls import split_host_port

DEFAULT_PORTS = {"imap": 143, "imaps": 993}
#: Messages whose metadata is fetched per round trip during the walk.
FETCH_BATCH = 500
TIMEOUT = 60.0
_MONTHS = {m: i for i, m in enumerate(("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec").split(), 1)}


# --------------------------------------------------------------------------- names
def mutf7_decode(name: str) -> str:
    """IMAP's modified UTF-7 mailbox names (RFC 3501 5.1.3) as Unicode (``Utg&AOU-ende``
    -> ``Utgående``). Invalid sequences are kept as they are."""
    out: list[str] = []
    i = 0
    while i < len(name):
        c = name[i]
        j = name.find("-", i) if c == "&" else -1
        if c == "&" and j > i:
            if j == i + 1:
                out.append("&")
            else:
                chunk = name[i + 1 : j].replace(",", "/")
                try:
                    out.append(base64.b64decode(chunk + "=" * (-len(chunk) % 4)).decode("utf-16-be"))
                except (ValueError, UnicodeDecodeError):
                    out.append(name[i : j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def mutf7_encode(name: str) -> str:
    """Unicode mailbox name in modified UTF-7 (inverse of :func:`mutf7_decode`)."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + raw.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for c in name:
        if 0x20 <= ord(c) <= 0x7E:
            flush()
            out.append("&-" if c == "&" else c)
        else:
            pending.append(c)
    flush()
    return "".join(out)


def _quote_mailbox(raw: str) -> str:
    """A mailbox name as an IMAP quoted string (imaplib does not quote arguments)."""
    return '"' + raw.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class ImapUrl:
    """The parts of ``imap[s]://user@host[:port]/mailbox[;UID=n]``. ``mailbox`` is
    Unicode (decoded); ``""`` means every mailbox of the account."""

    scheme: str
    host: str
    port: int
    user: str
    mailbox: str = ""
    uid: int | None = None

    def _base(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port == DEFAULT_PORTS[self.scheme] else f":{self.port}"
        user = quote(self.user, safe="") + "@" if self.user else ""
        return f"{self.scheme}://{user}{host}{port}/"

    def url(self) -> str:
        uid = f"/;UID={self.uid}" if self.uid is not None else ""
        return self._base() + quote(self.mailbox, safe="/") + uid

    def display(self) -> str:
        uid = f"/;UID={self.uid}" if self.uid is not None else ""
        return self._base() + self.mailbox + uid

    def key(self) -> tuple[str, str, int, str]:
        return (self.scheme, self.host.lower(), self.port, self.user)


def parse_imap_url(url: str) -> ImapUrl:
    if "://" not in url:
        raise ValueError(f"not an IMAP URL: {url}")
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"not an IMAP URL: {url}")
    netloc, _, path = rest.partition("/")
    user = ""
    if "@" in netloc:
        userinfo, netloc = netloc.rsplit("@", 1)
        if ":" in userinfo and ";" not in userinfo:
            raise ValueError(
                "a password in the URL is not accepted; set PVSCAN_IMAP_PASSWORD or answer the prompt"
            )
        user = unquote(userinfo.split(";", 1)[0])  # drop ;AUTH=… (RFC 5092)
    host, port = split_host_port(netloc, DEFAULT_PORTS[scheme])
    if not host:
        raise ValueError(f"no server in {url}")
    uid = None
    m = re.search(r";UID=(\d+)$", path, re.IGNORECASE)
    if m:
        uid = int(m.group(1))
        path = path[: m.start()]
    path = re.sub(r";UIDVALIDITY=\d+", "", path, flags=re.IGNORECASE).rstrip("/")
    user = user or os.environ.get("PVSCAN_IMAP_USER", "")
    return ImapUrl(scheme, host, port, user, unquote(path), uid)


# --------------------------------------------------------------------------- connections
class _Conn:
    """One logged-in connection and the mailbox it has EXAMINEd."""

    def __init__(self, imap: imaplib.IMAP4) -> None:
        self.imap = imap
        self.selected: str | None = None
        self.uidvalidity = 0
        self.exists = 0

    def examine(self, raw_mailbox: str) -> None:
        if self.selected == raw_mailbox:
            return
        self.selected = None
        typ, data = self.imap.select(_quote_mailbox(raw_mailbox), readonly=True)
        if typ != "OK":
            raise Unscannable(f"cannot open mailbox: {_text(data)}", "io")
        self.exists = int(data[0] or 0) if data and data[0] else 0
        _, uv = self.imap.response("UIDVALIDITY")
        self.uidvalidity = int(uv[0]) if uv and uv[0] else 0
        self.selected = raw_mailbox

    def close(self) -> None:
        try:
            self.imap.logout()
        except Exception:  # noqa: BLE001 - closing a dead connection
            pass


class _Pool:
    def __init__(self) -> None:
        self.pid = os.getpid()
        # Keyed by (purpose, scheme, host, port, user): the walk has its own connection,
        # so reading a message in this process never changes the mailbox being listed.
        self.conns: dict[tuple[str, str, str, int, str], _Conn] = {}
        self.passwords: dict[tuple[str, str], str] = {}

    def get(self, target: ImapUrl, purpose: str = "read") -> _Conn:
        if self.pid != os.getpid():  # inherited over fork: the parent's sockets, forget them
            self.pid = os.getpid()
            self.conns = {}
        key = (purpose, *target.key())
        conn = self.conns.get(key)
        if conn is None:
            conn = self.conns[key] = _Conn(connect(target))
        return conn

    def drop(self, target: ImapUrl, purpose: str = "read") -> None:
        conn = self.conns.pop((purpose, *target.key()), None)
        if conn is not None:
            conn.close()


_POOL = _Pool()


def reset_connections() -> None:
    """Log out of every IMAP connection of this process (end of a scan; tests that
    change credentials)."""
    for key in list(_POOL.conns):
        _POOL.conns.pop(key).close()


def _text(data: Any) -> str:
    parts = []
    for d in data or ():
        if isinstance(d, bytes):
            parts.append(d.decode("utf-8", "replace"))
    return " ".join(parts)[:200]


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def password_for(target: ImapUrl) -> str:
    password = os.environ.get("PVSCAN_IMAP_PASSWORD")
    if password is not None:
        return password
    key = (target.host.lower(), target.user)
    password = _POOL.passwords.get(key)
    if password is None:
        if multiprocessing.parent_process() is None and sys.stdin is not None and sys.stdin.isatty():
            # Deferred: click only to prompt for a password.
            import click

            password = click.prompt(
                f"IMAP password for {target.user} on {target.host}", hide_input=True, err=True
            )
            _POOL.passwords[key] = password
            # Worker processes started later inherit it; never on a command line.
            os.environ["PVSCAN_IMAP_PASSWORD"] = password
        else:
            raise Unscannable(
                f"no password for {target.user} on {target.host}: set PVSCAN_IMAP_PASSWORD", "io"
            )
    return password


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=os.environ.get("PVSCAN_IMAP_CAFILE") or None)


def connect(target: ImapUrl) -> imaplib.IMAP4:
    """A logged-in connection: implicit TLS for imaps, STARTTLS for imap when offered."""
    if not target.user:
        raise Unscannable(f"no IMAP user for {target.host}: put it in the URL or set PVSCAN_IMAP_USER", "io")
    password = password_for(target)
    try:
        if target.scheme == "imaps":
            imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                target.host, target.port, ssl_context=_tls_context(), timeout=TIMEOUT
            )
        else:
            imap = imaplib.IMAP4(target.host, target.port, timeout=TIMEOUT)
            if "STARTTLS" in imap.capabilities:
                imap.starttls(_tls_context())
            elif not (_is_loopback(target.host) or os.environ.get("PVSCAN_IMAP_ALLOW_PLAIN") == "1"):
                imap.shutdown()
                raise Unscannable(
                    f"{target.host} offers no TLS; refusing to send the password in clear "
                    "(use imaps:// or set PVSCAN_IMAP_ALLOW_PLAIN=1)",
                    "io",
                )
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
        raise Unscannable(f"cannot connect to {target.host}:{target.port}: {exc}", "io") from exc
    try:
        if "AUTH=PLAIN" in imap.capabilities:
            # SASL PLAIN carries UTF-8 passwords, which LOGIN's quoted string may not.
            creds = f"\0{target.user}\0{password}".encode()
            imap.authenticate("PLAIN", lambda _challenge: creds)
        else:
            imap.login(target.user, password)
    except imaplib.IMAP4.error as exc:
        try:
            imap.shutdown()
        except OSError:
            pass
        raise Unscannable(f"login failed for {target.user} on {target.host}: {exc}", "io") from None
    return imap


# --------------------------------------------------------------------------- parsing
_LIST_RE = re.compile(rb'^\((?P<flags>[^)]*)\) (?P<delim>"(?:[^"\\]|\\.)*"|NIL) (?P<name>.*)$', re.IGNORECASE)


def _list_mailboxes(imap: imaplib.IMAP4) -> list[str]:
    """Raw (modified UTF-7) names of every selectable mailbox, INBOX first."""
    typ, data = imap.list('""', "*")
    if typ != "OK":
        raise Unscannable(f"LIST failed: {_text(data)}", "io")
    names = []
    for item in data or ():
        if item is None:
            continue
        literal = None
        if isinstance(item, tuple):
            item, literal = item[0], item[1]
        m = _LIST_RE.match(item)
        if not m:
            continue
        flags = m.group("flags").lower()
        if b"\\noselect" in flags or b"\\nonexistent" in flags:
            continue
        if literal is not None:
            name = literal.decode("utf-8", "replace")
        else:
            raw = m.group("name").decode("utf-8", "replace")
            if raw.startswith('"') and raw.endswith('"'):
                raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
            name = raw
        names.append(name)
    return sorted(set(names), key=lambda n: (n.upper() != "INBOX", n))


def parse_internaldate(text: str) -> int:
    """``"17-Jul-1996 02:44:25 -0700"`` as ns since the epoch (locale independent)."""
    m = re.match(r"\s*(\d{1,2})-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)", text)
    if not m:
        return 0
    d, mon, y, hh, mm, ss, sign, oh, om = m.groups()
    offset = dt.timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == "-" else 1)
    when = dt.datetime(
        int(y), _MONTHS.get(mon.title(), 1), int(d), int(hh), int(mm), int(ss), tzinfo=dt.timezone(offset)
    )
    return int(when.timestamp()) * 1_000_000_000


_HEADER_PARSER = email.parser.BytesHeaderParser(policy=email.policy.default)


def _fetch_meta(imap: imaplib.IMAP4, first: int, last: int) -> list[dict[str, Any]]:
    """UID, size, INTERNALDATE and a few headers of messages ``first..last`` (sequence
    numbers), without touching flags."""
    typ, data = imap.fetch(
        f"{first}:{last}", "(UID RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT FROM DATE)])"
    )
    if typ != "OK":
        raise Unscannable(f"FETCH failed: {_text(data)}", "io")
    out: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    for item in data or ():
        if item is None:
            continue
        head, literal = (item[0], item[1]) if isinstance(item, tuple) else (item, None)
        if re.match(rb"^\d+ \(", head):
            cur = {"text": b"", "headers": b""}
            out.append(cur)
        if cur is None:
            continue
        cur["text"] += head
        if literal is not None:
            cur["headers"] += literal
    result = []
    for msg in out:
        text = msg["text"]
        uid = re.search(rb"UID (\d+)", text)
        size = re.search(rb"RFC822\.SIZE (\d+)", text)
        date = re.search(rb'INTERNALDATE "([^"]+)"', text)
        if not uid:
            continue
        headers: dict[str, str] = {}
        if msg["headers"]:
            try:
                parsed = _HEADER_PARSER.parsebytes(msg["headers"])
                for field in ("subject", "from", "date"):
                    value = parsed.get(field)
                    if value is not None:
                        headers[field] = " ".join(str(value).split())[:200]
            except Exception:  # noqa: BLE001 - a broken header only loses the summary
                pass
        result.append(
            {
                "uid": int(uid.group(1)),
                "size": int(size.group(1)) if size else 0,
                "internaldate": date.group(1).decode("ascii", "replace") if date else "",
                **headers,
            }
        )
    return result


def _without_userinfo(url: str) -> str:
    """``url`` with anything before ``@`` in its authority removed (it may hold a password)."""
    scheme, sep, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    return scheme + sep + netloc.rsplit("@", 1)[-1] + slash + path


# --------------------------------------------------------------------------- source
class ImapSource(Source):
    name = "imap"
    version = "1"
    schemes = ("imap", "imaps")

    def prepare(self, root: str) -> None:
        """Resolve the password for ``root`` now (prompting if needed), so a caller can
        do it before it starts worker processes, which then inherit it."""
        password_for(parse_imap_url(root))

    def walk(self, root: str, settings: Settings) -> Iterator[ItemRef | WalkError]:
        try:
            top = parse_imap_url(root)
        except ValueError as exc:
            yield WalkError(_without_userinfo(root), f"io: {exc}")
            return
        try:
            conn = _POOL.get(top, "walk")
            raws = [mutf7_encode(top.mailbox)] if top.mailbox else _list_mailboxes(conn.imap)
        except Unscannable as exc:
            yield WalkError(top.display(), exc.reason)
            return
        except (OSError, imaplib.IMAP4.error) as exc:
            _POOL.drop(top, "walk")
            yield WalkError(top.display(), f"io: {type(exc).__name__}: {exc}"[:300])
            return
        for raw in raws:
            box = ImapUrl(top.scheme, top.host, top.port, top.user, mutf7_decode(raw))
            try:
                yield from self._walk_mailbox(conn, box, raw, top.uid)
            except Unscannable as exc:
                yield WalkError(box.display(), exc.reason)
            except (OSError, imaplib.IMAP4.error) as exc:
                yield WalkError(box.display(), f"io: {type(exc).__name__}: {exc}"[:300])
                _POOL.drop(top, "walk")
                try:
                    conn = _POOL.get(top, "walk")
                except (Unscannable, OSError, imaplib.IMAP4.error):
                    return
        _POOL.drop(top, "walk")  # servers limit connections per user (Dovecot: 10 per IP)

    def _walk_mailbox(self, conn: _Conn, box: ImapUrl, raw: str, only_uid: int | None) -> Iterator[ItemRef]:
        conn.selected = None  # re-EXAMINE: the message count must be current
        conn.examine(raw)
        uidvalidity, exists = conn.uidvalidity, conn.exists
        for first in range(1, exists + 1, FETCH_BATCH):
            last = min(exists, first + FETCH_BATCH - 1)
            for msg in _fetch_meta(conn.imap, first, last):
                if only_uid is not None and msg["uid"] != only_uid:
                    continue
                item = ImapUrl(box.scheme, box.host, box.port, box.user, box.mailbox, msg["uid"])
                meta: list[tuple[str, Any]] = [
                    ("mailbox", box.mailbox),
                    ("uidvalidity", uidvalidity),
                    ("uid", msg["uid"]),
                    ("internaldate", msg["internaldate"]),
                ]
                meta += [(k, msg[k]) for k in ("date", "from", "subject") if k in msg]
                meta.append(("kind", "eml"))  # an RFC 822 message, however few its headers
                yield ItemRef(
                    source=self.name,
                    url=item.url(),
                    display=item.display(),
                    size=msg["size"],
                    mtime_ns=parse_internaldate(msg["internaldate"]),
                    file_id=f"{uidvalidity}:{msg['uid']}",
                    owner=box.user,
                    meta=tuple(meta),
                )

    def open(self, ref: ItemRef, settings: Settings) -> IO[bytes]:
        target = parse_imap_url(ref.url)
        if target.uid is None:
            raise Unscannable(f"not a message URL: {ref.display}", "io")
        expected = ref.file_id.split(":", 1)[0] if ref.file_id else ""
        for attempt in (1, 2):
            try:
                return self._fetch(_POOL.get(target), target, expected)
            except (OSError, imaplib.IMAP4.abort) as exc:
                if isinstance(exc, FileNotFoundError):
                    raise
                _POOL.drop(target)  # a dropped or timed-out connection: one fresh try
                if attempt == 2:
                    raise Unscannable(f"{type(exc).__name__}: {exc}"[:200], "io") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _fetch(self, conn: _Conn, target: ImapUrl, expected_uidvalidity: str) -> IO[bytes]:
        conn.examine(mutf7_encode(target.mailbox))
        if expected_uidvalidity and str(conn.uidvalidity) != expected_uidvalidity:
            raise Unscannable("the mailbox was renumbered (UIDVALIDITY changed) since the walk", "io")
        typ, data = conn.imap.uid("FETCH", str(target.uid), "(BODY.PEEK[])")
        if typ != "OK":
            raise Unscannable(f"FETCH failed: {_text(data)}", "io")
        for item in data or ():
            if isinstance(item, tuple) and re.search(rb"BODY\[\]", item[0]):
                return io.BytesIO(item[1])
        raise FileNotFoundError(f"message UID {target.uid} is gone from {target.mailbox}")


@hookimpl
def pvscan_sources() -> list[Source]:
    return [ImapSource()]
