"""``pvscan serve`` as a real process: the checking contract of ``--auth header`` and the
one-time link of ``--auth local``."""

from __future__ import annotations

import http.cookiejar
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from servers.common import free_port, stop, wait_listening

PVSCAN = str(Path(sys.executable).parent / "pvscan")


@contextmanager
def serving(corpus, tmp_path: Path, *args: str) -> Iterator[tuple[int, subprocess.Popen]]:
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "PVSCAN_HOME": str(tmp_path / "pvhome"), "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [PVSCAN, "serve", "--db", corpus.db, "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        wait_listening(proc, port, log)
        yield port, proc
    finally:
        stop(proc)


def _get(
    port: int,
    path: str,
    headers: dict[str, str] | None = None,
    opener: urllib.request.OpenerDirector | None = None,
) -> tuple[int, str]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    opener = opener or urllib.request.build_opener()
    try:
        with opener.open(req, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_header_contract(corpus, tmp_path):
    """From 127.0.0.1 with ``X-Remote-User: NAME``, ``/`` lists NAME's own files by name, nobody else's."""
    with serving(corpus, tmp_path, "--auth", "header", "--dpo", "per") as (port, _proc):
        status, body = _get(port, "/", {"X-Remote-User": "kari"})
        assert status == 200
        assert all(n in body for n in ("helsenotat.docx", "soknad.docx", "liste.xlsx", "notat.txt"))
        assert "lonn.docx" not in body and "utbetalinger.xlsx" not in body and "gammel.txt" not in body
        assert _get(port, "/")[0] == 403


def test_local_mode_prints_a_one_time_link(corpus, tmp_path):
    with serving(corpus, tmp_path, "--auth", "local") as (port, _proc):
        text = (tmp_path / "serve.log").read_text()
        link = next(line.split(": ", 1)[1] for line in text.splitlines() if "login?token=" in line)
        assert link.startswith(f"http://127.0.0.1:{port}/login?token=")
        path = link.split(str(port), 1)[1]
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        status, body = _get(port, path, opener=browser)  # signs in, then follows to /
        assert status == 200 and "helsenotat.docx" not in body  # the OS user owns none of kari's files
        assert _get(port, "/", opener=browser)[0] == 200
        assert _get(port, path)[0] == 403  # spent


def test_local_mode_refuses_a_public_address(corpus):
    r = subprocess.run(
        [PVSCAN, "serve", "--db", corpus.db, "--auth", "local", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "127.0.0.1" in r.stderr


pytestmark = pytest.mark.server
