"""A real Dovecot IMAP server on 127.0.0.1 for the IMAP source tests."""

from __future__ import annotations

import imaplib
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from servers.common import (
    binary,
    die_with_parent,
    free_port,
    safe_name,
    server_account,
    stop,
    tmpdir,
    wait_listening,
)


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
    dovecot = binary("dovecot")
    openssl = binary("openssl")
    account = server_account()
    base = tmpdir("pvscan-imap-")
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
            preexec_fn=die_with_parent,
        )
    try:
        wait_listening(proc, port, base / "dovecot.out")
        wait_listening(proc, ssl_port, base / "dovecot.out")
        yield ImapServer("127.0.0.1", port, ssl_port, account.pw_name, password, cert, home / "Maildir", log)
    finally:
        stop(proc)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def imap_mailbox(imap_server: ImapServer, request: pytest.FixtureRequest) -> str:
    """A fresh, empty mailbox for one test (name made from the test's name)."""
    name = "T" + safe_name(request.node.name).replace(".", "_")
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
