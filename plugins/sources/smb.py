"""SMB/CIFS shares read directly over the network (``smb://server[:port]/share/path``).

Uses smbprotocol's high-level ``smbclient`` API, so no mount and no root are needed.
The walk lists directories with one ``scandir`` per folder (the listing already carries
size, times and the file id, so there is no extra stat per file), keeps going past
folders it may not read and files that vanish, and never follows reparse points
(symbolic links, junctions, DFS links inside the share). Samba may present a Unix
symlink as an ordinary folder, so folders are also remembered by file id: a link back
to a parent cannot make the walk loop.

``open`` runs in worker processes from a pickled :class:`~pvscan.model.ItemRef`, so
connections are opened lazily per process and cached per server; a forked worker never
reuses its parent's socket. Credentials come from ``PVSCAN_SMB_USER`` /
``PVSCAN_SMB_PASSWORD`` (a user in the URL wins over the variable) or, in the main
process with a terminal, from a hidden prompt. They never appear in the URL, the
display name, the inventory or log messages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno as errno_mod
import multiprocessing
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import unquote

from pvscan import hookimpl
from pvscan.interfaces import Source
from pvscan.model import ItemRef, Settings, Unscannable, WalkError
from pvscan.util.globs import excluded

from ._urls import split_host_port

DEFAULT_PORT = 445
_FILE_ATTRIBUTE_DIRECTORY = 0x10
_FILE_ATTRIBUTE_REPARSE_POINT = 0x400
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: Deepest folder nesting walked; deeper folders are reported, not entered.
MAX_DEPTH = 256


@dataclass(frozen=True)
class SmbUrl:
    """The parts of ``smb://[user@]server[:port]/share/path``."""

    server: str
    port: int
    share: str
    path: str  # inside the share, "/"-separated, no leading slash
    user: str = ""

    @property
    def unc(self) -> str:
        tail = "\\".join(p for p in self.path.split("/") if p)
        return f"\\\\{self.server}\\{self.share}" + (f"\\{tail}" if tail else "")

    def child(self, name: str) -> SmbUrl:
        path = f"{self.path}/{name}" if self.path else name
        return SmbUrl(self.server, self.port, self.share, path, self.user)

    def url(self) -> str:
        """The item's URL: enough to reconnect (user and port), never a password."""
        user = f"{self.user}@" if self.user else ""
        return f"smb://{user}{self._hostport()}/{self.share}" + (f"/{self.path}" if self.path else "")

    def display(self) -> str:
        """What people read in reports: ``smb://server/share/path/file.docx``."""
        return f"smb://{self._hostport()}/{self.share}" + (f"/{self.path}" if self.path else "")

    def _hostport(self) -> str:
        host = f"[{self.server}]" if ":" in self.server else self.server
        return host if self.port == DEFAULT_PORT else f"{host}:{self.port}"


def parse_smb_url(url: str, *, decode: bool = False) -> SmbUrl:
    """Split an SMB URL by hand (``urlsplit`` would treat ``#`` and ``?`` in file names
    as fragment and query). ``decode`` percent-decodes a URL typed by a user; the URLs
    this source writes into item references are never encoded."""
    if "://" not in url or url.split("://", 1)[0].lower() not in SmbSource.schemes:
        raise ValueError(f"not an smb:// URL: {url}")
    rest = url.split("://", 1)[1].replace("\\", "/")
    netloc, _, path = rest.partition("/")
    user = ""
    if "@" in netloc:
        userinfo, netloc = netloc.rsplit("@", 1)
        if ":" in userinfo:
            raise ValueError(
                "a password in the URL is not accepted; set PVSCAN_SMB_PASSWORD or answer the prompt"
            )
        user = unquote(userinfo)
    host, port = split_host_port(netloc, DEFAULT_PORT)
    if decode:
        path = unquote(path)
    parts = [p for p in path.split("/") if p]
    if not host:
        raise ValueError(f"no server in {url}")
    if not parts:
        raise ValueError(f"no share in {url}: give smb://server/share[/folder]")
    return SmbUrl(host, port, parts[0], "/".join(parts[1:]), user)


# --------------------------------------------------------------------------- connections
class _Pool:
    """smbclient connections of this process, keyed by server and port.

    smbclient keeps a module-global cache by default; a worker forked after the walk
    would inherit the parent's sockets and talk over them concurrently. A private cache
    dict, thrown away when the process id changes, avoids that.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.cache: dict[str, Any] = {}
        self.passwords: dict[tuple[str, str], str] = {}

    def current(self) -> _Pool:
        if self.pid != os.getpid():
            # Inherited over fork: the sockets belong to the parent. Forget, do not close.
            self.pid = os.getpid()
            self.cache = {}
        return self


_POOL = _Pool()


def reset_connections() -> None:
    """Close this process's SMB connections (end of a scan; tests that change
    credentials). A later call reconnects and authenticates again."""
    # Deferred: smbprotocol loads only when an smb:// root is scanned.
    import smbclient

    pool = _POOL.current()
    smbclient.reset_connection_cache(fail_on_error=False, connection_cache=pool.cache)
    pool.cache.clear()


def _is_main_process() -> bool:
    return multiprocessing.parent_process() is None


def credentials(target: SmbUrl) -> tuple[str | None, str | None]:
    """User and password for ``target``: URL user, then ``PVSCAN_SMB_USER``; password
    from ``PVSCAN_SMB_PASSWORD`` or a hidden prompt (main process with a terminal only).

    A prompted password is put into this process's environment so worker processes
    started later inherit it without it ever being on a command line.
    """
    user = target.user or os.environ.get("PVSCAN_SMB_USER") or None
    password = os.environ.get("PVSCAN_SMB_PASSWORD")
    if password is None and user:
        key = (target.server.lower(), user)
        password = _POOL.passwords.get(key)
        if password is None and _is_main_process() and sys.stdin is not None and sys.stdin.isatty():
            # Deferred: click only to prompt for a password.
            import click

            password = click.prompt(f"Password for {user} on {target.server}", hide_input=True, err=True)
            _POOL.passwords[key] = password
            os.environ["PVSCAN_SMB_PASSWORD"] = password
    return user, password


def _kwargs(target: SmbUrl) -> dict[str, Any]:
    user, password = credentials(target)
    return {
        "username": user,
        "password": password,
        "port": target.port,
        "connection_cache": _POOL.current().cache,
        "connection_timeout": 30,
    }


#: NTSTATUS codes people meet on shares, as the categories the core knows.
_NTSTATUS = {
    0xC0000022: "permission denied",  # STATUS_ACCESS_DENIED
    0xC0000034: "vanished",  # STATUS_OBJECT_NAME_NOT_FOUND
    0xC000003A: "vanished",  # STATUS_OBJECT_PATH_NOT_FOUND
    0xC0000056: "vanished",  # STATUS_DELETE_PENDING
    0xC000000F: "vanished",  # STATUS_NO_SUCH_FILE
    0xC0000043: "locked by another program (sharing violation)",  # STATUS_SHARING_VIOLATION
    0xC0000054: "locked by another program (file lock conflict)",  # STATUS_FILE_LOCK_CONFLICT
    0xC00000CC: "no such share",  # STATUS_BAD_NETWORK_NAME
    0xC000006D: "logon failed (wrong user or password)",  # STATUS_LOGON_FAILURE
    0xC0000072: "logon failed (account disabled)",  # STATUS_ACCOUNT_DISABLED
    0xC0000071: "logon failed (password expired)",  # STATUS_PASSWORD_EXPIRED
}


def _kind(exc: BaseException) -> str | None:
    status = getattr(exc, "ntstatus", None) or getattr(exc, "status", None)
    if isinstance(status, int) and status in _NTSTATUS:
        return _NTSTATUS[status]
    errno = getattr(exc, "errno", None)
    if errno in (errno_mod.EACCES, errno_mod.EPERM):
        return "permission denied"
    if errno in (errno_mod.ENOENT, errno_mod.ENOTDIR):
        return "vanished"
    return None


def _reason(exc: BaseException) -> str:
    """A short reason without credentials (smbprotocol messages never contain them)."""
    text = str(exc).strip().replace("\n", " ")
    kind = _kind(exc)
    if kind:
        return f"io: {kind}"  # the WalkError or item already says where
    return f"io: {type(exc).__name__}: {text}"[:300]


def _ns(when: dt.datetime) -> int:
    """Exact nanoseconds since the epoch (a float timestamp would lose digits)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return (when - _EPOCH) // dt.timedelta(microseconds=1) * 1000


# --------------------------------------------------------------------------- source
class SmbSource(Source):
    name = "smb"
    version = "1"
    schemes = ("smb",)

    def prepare(self, root: str) -> None:
        """Resolve credentials for ``root`` now (prompting if needed), so a caller can do
        it before it starts worker processes, which then inherit them."""
        credentials(parse_smb_url(root, decode=True))

    def walk(self, root: str, settings: Settings) -> Iterator[ItemRef | WalkError]:
        # Deferred: smbprotocol loads only when an smb:// root is scanned.
        import smbclient

        try:
            top = parse_smb_url(root, decode=True)
        except ValueError as exc:
            scheme, sep, rest = root.partition("://")
            netloc, slash, path = rest.partition("/")
            yield WalkError(scheme + sep + netloc.rsplit("@", 1)[-1] + slash + path, f"io: {exc}")
            return
        try:
            kw = _kwargs(top)
            st = smbclient.lstat(top.unc, **kw)
        except Exception as exc:  # noqa: BLE001 - connection, logon or path errors
            yield WalkError(top.display(), _reason(exc))
            return
        attrs = getattr(st, "st_file_attributes", 0)
        if not attrs & _FILE_ATTRIBUTE_DIRECTORY:
            if not attrs & _FILE_ATTRIBUTE_REPARSE_POINT:
                yield self._ref(top, st.st_size, st.st_mtime_ns, st.st_ino)
            return
        seen: set[int] = {st.st_ino} if st.st_ino else set()
        stack: list[tuple[SmbUrl, int]] = [(top, 0)]
        while stack:
            folder, depth = stack.pop()
            try:
                entries = sorted(smbclient.scandir(folder.unc, **kw), key=lambda e: e.name)
            except Exception as exc:  # noqa: BLE001
                yield WalkError(folder.display(), _reason(exc))
                continue
            subdirs: list[tuple[SmbUrl, int]] = []
            for entry in entries:
                if entry.name in (".", ".."):
                    continue
                info = entry.smb_info
                target = folder.child(entry.name)
                if settings.exclude:
                    if excluded(target.display(), entry.name, settings.exclude):
                        continue
                if info.file_attributes & _FILE_ATTRIBUTE_REPARSE_POINT:
                    continue  # symlinks, junctions, DFS links: never followed
                if info.file_attributes & _FILE_ATTRIBUTE_DIRECTORY:
                    if info.file_id and info.file_id in seen:
                        continue  # a link back to a folder already walked
                    if info.file_id:
                        seen.add(info.file_id)
                    if depth + 1 > MAX_DEPTH:
                        yield WalkError(target.display(), f"limit: folders nested deeper than {MAX_DEPTH}")
                        continue
                    subdirs.append((target, depth + 1))
                    continue
                yield self._ref(target, info.end_of_file, _ns(info.last_write_time), info.file_id)
            stack.extend(reversed(subdirs))

    def _ref(self, target: SmbUrl, size: int, mtime_ns: int, file_id: int) -> ItemRef:
        return ItemRef(
            source=self.name,
            url=target.url(),
            display=target.display(),
            size=int(size),
            mtime_ns=int(mtime_ns),
            file_id=f"{target.server.lower()}/{target.share.lower()}:{file_id}",
            owner="",
            meta=(("server", target.server), ("share", target.share)),
        )

    def open(self, ref: ItemRef, settings: Settings) -> IO[bytes]:
        target = parse_smb_url(ref.url)
        try:
            return self._open(target)
        except OSError as exc:
            raise _builtin_oserror(exc) from exc
        except Exception:  # noqa: BLE001 - a dropped connection: one fresh try
            key = f"{target.server.lower()}:{target.port}"
            conn = _POOL.current().cache.pop(key, None)
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.disconnect()
        try:
            return self._open(target)
        except OSError as exc:
            raise _builtin_oserror(exc) from exc
        except Exception as exc:  # noqa: BLE001
            raise Unscannable(_reason(exc).split(": ", 1)[1], "io") from None

    def _open(self, target: SmbUrl) -> IO[bytes]:
        # Deferred: smbprotocol loads only when an smb:// root is scanned.
        import smbclient

        # share_access="rw": never lock people out of a file while it is being read.
        return smbclient.open_file(target.unc, mode="rb", share_access="rw", **_kwargs(target))


def _builtin_oserror(exc: OSError) -> BaseException:
    """smbclient's SMBOSError as the built-in subclass the core recognises
    (``PermissionError`` -> "permission denied", ``FileNotFoundError`` -> "vanished")."""
    kind = _kind(exc)
    where = str(getattr(exc, "filename", "") or "")
    if kind == "permission denied":
        return PermissionError(13, where)
    if kind == "vanished":
        return FileNotFoundError(2, where)
    if kind:
        return Unscannable(kind, "io")
    return exc


@hookimpl
def pvscan_sources() -> list[Source]:
    return [SmbSource()]
