"""A real Samba server (smbd) on 127.0.0.1 for the SMB source and fault tests."""

from __future__ import annotations

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
    smbd = binary("smbd")
    smbpasswd = binary("smbpasswd")
    account = server_account()
    base = tmpdir("pvscan-smb-")
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
            preexec_fn=die_with_parent,
        )
    try:
        wait_listening(proc, port, log)
        yield SmbServer("127.0.0.1", port, "data", share, account.pw_name, password, log)
    finally:
        stop(proc)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def smb_dir(smb_server: SmbServer, request: pytest.FixtureRequest) -> str:
    """A fresh folder (relative to the share) for one test."""
    rel = safe_name(request.node.name)
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
