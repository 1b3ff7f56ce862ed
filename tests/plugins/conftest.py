"""Real servers for the source tests: Samba (smbd) and Dovecot on 127.0.0.1.

Each server gets a private configuration, password database and data folder in a
temporary directory, listens on a free loopback port, is started once per test session
and killed at teardown (its whole process group). Both run as root and switch to the
unprivileged account made by ``tests/servers/setup.sh`` (``pvscantest``).

When a binary or that account is missing the tests are skipped locally, but fail under
CI (``CI`` set), where ``.ci/run`` installs the packages and runs the setup script.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SERVER_USER = os.environ.get("PVSCAN_TEST_SERVER_USER", "pvscantest")
START_TIMEOUT = 30.0


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"server test prerequisite missing under CI: {reason}")
    pytest.skip(reason)


def _binary(name: str) -> str:
    path = shutil.which(name) or (f"/usr/sbin/{name}" if os.access(f"/usr/sbin/{name}", os.X_OK) else None)
    if not path:
        _unavailable(f"{name} is not installed (apt-get install samba dovecot-imapd)")
    return path  # type: ignore[return-value]


def _server_account() -> pwd.struct_passwd:
    if os.geteuid() != 0:
        _unavailable("the server tests start smbd and dovecot as root")
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        _unavailable(f"user {SERVER_USER} is missing: run tests/servers/setup.sh as root")
        raise  # unreachable; keeps type checkers calm


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(proc: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server did not listen on 127.0.0.1:{port} within {START_TIMEOUT}s:\n{_tail(log)}")


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server, then SIGKILL whatever is left of its process group."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _die_with_parent() -> None:
    """In the server's process: start a new session (so teardown can kill the whole
    group) and get SIGKILL if pytest itself dies without running teardown."""
    os.setsid()
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _tmpdir(prefix: str) -> Path:
    # Not under pytest's tmp_path: /tmp/pytest-of-root is 0700 and the servers' own
    # account (and dovecot's login user) must be able to traverse to the data.
    d = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    d.chmod(0o755)
    return d


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60]


# --------------------------------------------------------------------------- samba
@dataclass
class SmbServer:
    host: str
    port: int
    share: str
    root: Path  # the shared folder on disk
    user: str
    password: str
    log: Path

    def url(self, path: str = "", user: bool = False) -> str:
        who = f"{self.user}@" if user else ""
        return f"smb://{who}{self.host}:{self.port}/{self.share}" + (f"/{path}" if path else "")

    def put(self, rel: str, data: bytes) -> Path:
        """Write a file into the share, readable by the server's account."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        path.write_bytes(data)
        path.chmod(0o644)
        return path


@pytest.fixture(scope="session")
def smb_server() -> Iterator[SmbServer]:
    smbd = _binary("smbd")
    smbpasswd = _binary("smbpasswd")
    account = _server_account()
    base = _tmpdir("pvscan-smb-")
    share = base / "share"
    share.mkdir(mode=0o755)
    for sub in ("private", "lock", "state", "cache", "pid", "ncalrpc", "log"):
        (base / sub).mkdir()
    port = free_port()
    conf = base / "smb.conf"
    conf.write_text(
        f"""[global]
  server role = standalone server
  workgroup = PVSCAN
  netbios name = PVSCANTEST
  interfaces = 127.0.0.1
  bind interfaces only = yes
  smb ports = {port}
  disable netbios = yes
  private dir = {base}/private
  lock directory = {base}/lock
  state directory = {base}/state
  cache directory = {base}/cache
  pid directory = {base}/pid
  ncalrpc dir = {base}/ncalrpc
  log file = {base}/log/%m.log
  passdb backend = tdbsam:{base}/private/passdb.tdb
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  map to guest = never
  server min protocol = SMB2_10
[data]
  path = {share}
  read only = yes
  valid users = {account.pw_name}
"""
    )
    password = "Pv-" + secrets.token_hex(8)
    subprocess.run(
        [smbpasswd, "-c", str(conf), "-a", "-s", account.pw_name],
        input=f"{password}\n{password}\n",
        text=True,
        check=True,
        capture_output=True,
        timeout=60,
    )
    log = base / "smbd.out"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [smbd, "--foreground", "--no-process-group", "--debug-stdout", f"--configfile={conf}"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
    try:
        _wait_listening(proc, port, log)
        yield SmbServer("127.0.0.1", port, "data", share, account.pw_name, password, log)
    finally:
        _stop(proc)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def smb_dir(smb_server: SmbServer, request: pytest.FixtureRequest) -> str:
    """A fresh folder (relative to the share) for one test."""
    rel = _safe(request.node.name)
    target = smb_server.root / rel
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(mode=0o755)
    return rel


@pytest.fixture
def smb_env(smb_server: SmbServer, monkeypatch: pytest.MonkeyPatch) -> SmbServer:
    """Credentials in the environment, as a user would provide them."""
    monkeypatch.setenv("PVSCAN_SMB_USER", smb_server.user)
    monkeypatch.setenv("PVSCAN_SMB_PASSWORD", smb_server.password)
    return smb_server


# --------------------------------------------------------------------------- dovecot
@dataclass
class ImapServer:
    host: str
    port: int  # plain IMAP with STARTTLS
    ssl_port: int  # implicit TLS
    user: str
    password: str
    cafile: Path
    maildir: Path
    log: Path

    def url(self, mailbox: str = "", tls: bool = True) -> str:
        scheme, port = ("imaps", self.ssl_port) if tls else ("imap", self.port)
        return f"{scheme}://{self.user}@{self.host}:{port}/{mailbox}"

    def client(self) -> imaplib.IMAP4:
        """A logged-in test client (plain on loopback: this is the test's side)."""
        imap = imaplib.IMAP4(self.host, self.port, timeout=30)
        imap.login(self.user, self.password)
        return imap


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    dovecot = _binary("dovecot")
    openssl = _binary("openssl")
    account = _server_account()
    base = _tmpdir("pvscan-imap-")
    home = base / "mail" / account.pw_name
    home.mkdir(parents=True)
    for p in (base / "mail", home):
        os.chown(p, account.pw_uid, account.pw_gid)
    cert, key = base / "cert.pem", base / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    password = "Pv-" + secrets.token_hex(8)
    passwd = base / "passwd"
    passwd.write_text(f"{account.pw_name}:{{PLAIN}}{password}:{account.pw_uid}:{account.pw_gid}::{home}::\n")
    passwd.chmod(0o644)  # read by dovecot's auth process (its own user); a throwaway password
    port, ssl_port = free_port(), free_port()
    while ssl_port == port:
        ssl_port = free_port()
    log = base / "dovecot.log"
    conf = base / "dovecot.conf"
    conf.write_text(
        f"""protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
instance_name = pvscan-test-{port}
log_path = {log}
info_log_path = {log}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
auth_failure_delay = 0
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {passwd}
}}
userdb {{
  driver = passwd-file
  args = {passwd}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
    ssl = yes
  }}
}}
"""
    )
    with open(base / "dovecot.out", "wb") as out:
        proc = subprocess.Popen(
            [dovecot, "-c", str(conf), "-F"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
    try:
        _wait_listening(proc, port, base / "dovecot.out")
        _wait_listening(proc, ssl_port, base / "dovecot.out")
        yield ImapServer("127.0.0.1", port, ssl_port, account.pw_name, password, cert, home / "Maildir", log)
    finally:
        _stop(proc)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def imap_mailbox(imap_server: ImapServer, request: pytest.FixtureRequest) -> str:
    """A fresh, empty mailbox for one test (name made from the test's name)."""
    name = "T" + _safe(request.node.name).replace(".", "_")
    imap = imap_server.client()
    try:
        imap.delete(f'"{name}"')  # left over from an earlier run in the same session
        typ, data = imap.create(f'"{name}"')
        assert typ == "OK", data
    finally:
        imap.logout()
    return name


@pytest.fixture
def imap_env(imap_server: ImapServer, monkeypatch: pytest.MonkeyPatch) -> ImapServer:
    monkeypatch.setenv("PVSCAN_IMAP_PASSWORD", imap_server.password)
    monkeypatch.setenv("PVSCAN_IMAP_CAFILE", str(imap_server.cafile))
    monkeypatch.delenv("PVSCAN_IMAP_USER", raising=False)
    return imap_server


# --------------------------------------------------------------------------- test data
def make_fnr(day: int = 1, month: int = 1, year: int = 1970, start: int = 100) -> str:
    """A fødselsnummer with correct check digits (generated, not a real person's)."""
    weights1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
    weights2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    for ind in range(start, 500):
        digits = [int(c) for c in f"{day:02d}{month:02d}{year % 100:02d}{ind:03d}"]
        k1 = 11 - sum(w * d for w, d in zip(weights1, digits, strict=True)) % 11
        k1 = 0 if k1 == 11 else k1
        if k1 == 10:
            continue
        digits.append(k1)
        k2 = 11 - sum(w * d for w, d in zip(weights2, digits, strict=True)) % 11
        k2 = 0 if k2 == 11 else k2
        if k2 == 10:
            continue
        return "".join(map(str, digits)) + str(k2)
    raise ValueError("no valid number in range")


@pytest.fixture(scope="session")
def fnr() -> str:
    return make_fnr(14, 3, 1978)


@pytest.fixture(scope="session")
def fnr_factory():
    return make_fnr
