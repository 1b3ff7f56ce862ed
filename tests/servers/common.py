"""What every real server the tests start shares: free loopback ports, private
temporary folders, waiting until a server listens, stopping its whole process group,
and the rule for a missing prerequisite (skipped locally, a failure under ``CI``, where
``.ci/run`` installs every server).

Each server has a module of its own beside this one (``samba``, ``dovecot`` …) whose
fixtures ``tests/conftest.py`` registers for the whole suite.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

SERVER_USER = os.environ.get("PVSCAN_TEST_SERVER_USER", "pvscantest")
START_TIMEOUT = 30.0


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"server test prerequisite missing under CI: {reason}")
    pytest.skip(reason)


def binary(name: str) -> str:
    path = shutil.which(name) or (f"/usr/sbin/{name}" if os.access(f"/usr/sbin/{name}", os.X_OK) else None)
    if not path:
        unavailable(f"{name} is not installed (apt-get install samba dovecot-imapd)")
    return path  # type: ignore[return-value]


def server_account() -> pwd.struct_passwd:
    if os.geteuid() != 0:
        unavailable("the server tests start smbd and dovecot as root")
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        unavailable(f"user {SERVER_USER} is missing: run tests/servers/setup.sh as root")
        raise  # unreachable; keeps type checkers calm


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(proc: subprocess.Popen, port: int, log: Path, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server did not listen on 127.0.0.1:{port} within {timeout}s:\n{tail(log)}")


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop(proc: subprocess.Popen) -> None:
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


def die_with_parent() -> None:
    """In the server's process: start a new session (so teardown can kill the whole
    group) and get SIGKILL if pytest itself dies without running teardown."""
    os.setsid()
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def tmpdir(prefix: str) -> Path:
    # Not under pytest's tmp_path: /tmp/pytest-of-root is 0700 and the servers' own
    # account (and dovecot's login user) must be able to traverse to the data.
    d = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    d.chmod(0o755)
    return d


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60]
