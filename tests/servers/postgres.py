"""A real PostgreSQL server on 127.0.0.1 for the inventory's second backend.

The cluster is made with ``initdb`` in a temporary folder (trust authentication on
loopback only, a socket folder of its own) and run as the tests' unprivileged server
account, since PostgreSQL refuses to run as root. Each test gets a fresh database
(``pg_url``); :meth:`PgServer.restart` stops and starts the same cluster on the same
port, for the tests of a database that goes away mid-scan.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from servers.common import (
    die_with_parent,
    free_port,
    server_account,
    stop,
    tail,
    tmpdir,
    unavailable,
    wait_listening,
)

_counter = itertools.count(1)


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if not path:
        unavailable(f"PostgreSQL's {name} is not installed (apt-get install postgresql)")
    return path  # type: ignore[return-value]


def _as_server_user() -> dict[str, int]:
    if os.geteuid() != 0:
        return {}
    account = server_account()
    return {"user": account.pw_uid, "group": account.pw_gid}


@dataclass
class PgServer:
    port: int
    data: Path
    sockets: Path
    log: Path
    user: str
    proc: subprocess.Popen | None = field(default=None, repr=False)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [_pg_bin("postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.sockets),
                 "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off",
                 "-c", "synchronous_commit=off", "-c", "max_connections=60"],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent,
                **_as_server_user(),  # type: ignore[arg-type]
            )  # fmt: skip
        wait_listening(self.proc, self.port, self.log)
        # Listening is not accepting: recovery after a restart may take a moment.
        deadline = time.monotonic() + 60
        while subprocess.run(
            [_pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-t", "5"],
            capture_output=True,
        ).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError(f"postgres does not accept connections:\n{tail(self.log)}")
            time.sleep(0.2)

    def stop(self) -> None:
        """A fast shutdown (SIGINT: sessions are ended, as when a server is restarted
        for maintenance), not SIGTERM's "smart" one that waits for every client."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=30)
            stop(self.proc)
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextlib.contextmanager
def pg_cluster() -> Iterator[PgServer]:
    """A new cluster, started; stopped and removed on exit (also for ``tools``)."""
    initdb = _pg_bin("initdb")
    _pg_bin("postgres")
    base = tmpdir("pvscan-pg-")
    data, sockets = base / "data", base / "run"
    data.mkdir()
    sockets.mkdir()
    ids = _as_server_user()
    if ids:
        for p in (data, sockets):
            os.chown(p, ids["user"], ids["group"])
    data.chmod(0o700)
    user = "pvscan"
    log = base / "postgres.log"
    subprocess.run(
        [initdb, "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
        check=True,
        capture_output=True,
        timeout=180,
        **ids,  # type: ignore[arg-type]
    )
    server = PgServer(free_port(), data, sockets, log, user)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    with pg_cluster() as server:
        yield server


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A fresh, empty database for one test."""
    return pg_server.create_database(f"t{os.getpid()}_{next(_counter)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An inventory target on each backend in turn: an SQLite file, then a fresh
    PostgreSQL database (the same tests, the same expectations)."""
    if request.param == "sqlite":
        return str(tmp_path / "inv.sqlite")
    return request.getfixturevalue("pg_url")
