"""Fault injection: the inventory's disk full or read-only, files deleted or rewritten
during the scan, permission denied, a Samba server stopped mid-scan, SIGTERM while
the scan writes.

Each fault is real: a tmpfs that fills up (or RLIMIT_FSIZE where mounting is not
allowed), a read-only mount or an unprivileged user, files removed by a plugin hook
between the walk and the read, a real smbd killed while the scan runs, a real SIGTERM
sent to a ``pvscan scan`` process. After each, the inventory must be intact
(``PRAGMA integrity_check``) and the next run must finish what the fault cut short.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import samba

from pvscan.model import Settings
from pvscan.scan import scan
from pvscan.testing import make_fnr
from tools.fuzz import write_stats

PVSCAN = str(Path(sys.executable).with_name("pvscan"))
RESULTS: list[dict[str, str]] = []


@pytest.fixture(scope="module", autouse=True)
def _stats() -> Iterator[None]:
    yield
    write_stats("faults", {"cases": RESULTS})


def record(cls: str, case: str, outcome: str) -> None:
    RESULTS.append({"class": cls, "case": case, "outcome": outcome})


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))


def make_tree(root: Path, n: int, per_file: int = 1) -> list[str]:
    """``n`` text files, each with ``per_file`` valid generated fødselsnumre."""
    import random

    rng = random.Random(n)
    root.mkdir(parents=True, exist_ok=True)
    numbers = []
    for i in range(n):
        nums = [make_fnr(rng=rng) for _ in range(per_file)]
        numbers += nums
        (root / f"f{i:05d}.txt").write_text(
            "Pasient\n" + "\n".join(f"fødselsnummer {x}" for x in nums) + "\n"
        )
    return numbers


def integrity(db: str) -> str:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def inventory_state(db: str) -> set[tuple[str, str, str, str]]:
    """What a scan leaves behind, independent of ids and timing."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            """SELECT i.display, i.status, COALESCE(f.type,''), COALESCE(f.hash,'')
               FROM items i LEFT JOIN findings f ON f.item_id=i.id"""
        ).fetchall()
    finally:
        con.close()
    return {tuple(r) for r in rows}


def run_cli(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    return subprocess.run(
        [PVSCAN, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300, **kw
    )


def _can_mount() -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    d = tempfile.mkdtemp()
    try:
        ok = (
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", d], capture_output=True
            ).returncode
            == 0
        )
        if ok:
            subprocess.run(["umount", d], check=True)
        return ok
    finally:
        os.rmdir(d)


CAN_MOUNT = _can_mount()


@contextlib.contextmanager
def tmpfs(size: str) -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="pvscan-tmpfs-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(d)], check=True)
    try:
        yield d
    finally:
        subprocess.run(["umount", "-l", str(d)], check=False)
        d.rmdir()


# --------------------------------------------------------------------------- disk full
def _fill_until_full(db: Path, tree: Path) -> subprocess.CompletedProcess:
    make_tree(tree, 400, per_file=20)
    return run_cli("scan", str(tree), "--db", str(db), "--workers", "0", "-q", "--full")


@pytest.mark.skipif(not CAN_MOUNT, reason="mounting a tmpfs needs root and a mount-capable sandbox")
def test_disk_full_on_tmpfs(tmp_path: Path) -> None:
    """The inventory on a 1 MiB tmpfs: the first scan fits, a big one fills the disk.
    Exit code 4 with a clear message; the database is intact and a later scan, with
    room again, completes."""
    with tmpfs("1m") as mnt:
        db = mnt / "inv.sqlite"
        small = tmp_path / "small"
        make_tree(small, 5)
        assert run_cli("scan", str(small), "--db", str(db), "--workers", "0", "-q").returncode == 0
        before = inventory_state(str(db))
        # Fill the rest of the disk so the next scan's writes fail.
        with open(mnt / "ballast", "wb") as fh:
            with contextlib.suppress(OSError):
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
        (mnt / "ballast").write_bytes(b"")  # free it again, then fill up to ~64 kB left
        free = shutil.disk_usage(mnt).free
        (mnt / "ballast").write_bytes(b"\0" * max(0, free - 64 * 1024))
        res = _fill_until_full(db, tmp_path / "big")
        assert res.returncode == 4, (res.returncode, res.stderr)
        assert "full" in res.stderr.lower() or "space" in res.stderr.lower(), res.stderr
        assert "Traceback" not in res.stderr
        assert integrity(str(db)) == "ok"
        assert before <= inventory_state(str(db)) | before  # still readable, nothing lost
        (mnt / "ballast").unlink()
        subprocess.run(["mount", "-o", "remount,size=64m", str(mnt)], check=True)
        res2 = run_cli("scan", str(tmp_path / "big"), "--db", str(db), "--workers", "0", "-q")
        assert res2.returncode == 0, res2.stderr
        assert integrity(str(db)) == "ok"
    record(
        "fault-disk-full",
        "inventory on a full tmpfs",
        "exit 4, clear message, db intact, next scan completes",
    )


def test_disk_full_by_file_size_limit(tmp_path: Path) -> None:
    """Where mounting is not possible: RLIMIT_FSIZE makes the inventory's writes fail
    (EFBIG) the way a full disk does."""
    db = tmp_path / "inv.sqlite"
    small = tmp_path / "small"
    make_tree(small, 5)
    assert run_cli("scan", str(small), "--db", str(db), "--workers", "0", "-q").returncode == 0
    limit = os.path.getsize(db) + 96 * 1024

    def cap() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    make_tree(tmp_path / "big", 400, per_file=20)
    res = subprocess.run(
        [PVSCAN, "scan", str(tmp_path / "big"), "--db", str(db), "--workers", "0", "-q"],
        capture_output=True,
        text=True,
        preexec_fn=cap,
        timeout=300,
    )
    assert res.returncode == 4, (res.returncode, res.stderr)
    assert "Traceback" not in res.stderr and str(db) in res.stderr, res.stderr
    assert integrity(str(db)) == "ok"
    res2 = run_cli("scan", str(tmp_path / "big"), "--db", str(db), "--workers", "0", "-q")
    assert res2.returncode == 0, res2.stderr
    assert integrity(str(db)) == "ok"
    record("fault-disk-full", "RLIMIT_FSIZE on the inventory", "exit 4, db intact, next scan completes")


# --------------------------------------------------------------------------- read-only
@pytest.mark.skipif(not CAN_MOUNT, reason="needs a mount-capable sandbox")
def test_read_only_filesystem(tmp_path: Path) -> None:
    with tmpfs("16m") as mnt:
        db = mnt / "inv.sqlite"
        tree = tmp_path / "t"
        make_tree(tree, 5)
        assert run_cli("scan", str(tree), "--db", str(db), "--workers", "0", "-q").returncode == 0
        before = inventory_state(str(db))
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        (tree / "ny.txt").write_text(f"fnr {make_fnr()}\n")
        res = run_cli("scan", str(tree), "--db", str(db), "--workers", "0", "-q")
        assert res.returncode == 4, (res.returncode, res.stderr)
        assert "Traceback" not in res.stderr and "read" in res.stderr.lower(), res.stderr
        assert integrity(str(db)) == "ok" and inventory_state(str(db)) == before
        # Reading commands still work on a read-only inventory.
        rep = run_cli("report", "--db", str(db), "--format", "json", "--out", str(tmp_path / "r"))
        assert rep.returncode == 0, rep.stderr
        subprocess.run(["mount", "-o", "remount,rw", str(mnt)], check=True)
    record("fault-read-only", "inventory on a read-only mount", "exit 4, db unchanged, report still works")


def _as_nobody(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``code`` as uid/gid 65534 after importing pvscan and every plugin as root
    (/root, where Python lives here, is 0700)."""
    prelude = (
        "import os, sys\n"
        "from pvscan.cli import main\n"
        "from pvscan.engine.process import Engine\n"
        "from pvscan.model import Settings\n"
        "Engine(Settings())\n"
        # A warm-up scan as root imports every lazily imported module the scan needs.
        "import tempfile, pathlib\n"
        "w = pathlib.Path(tempfile.mkdtemp()); (w / 'a.txt').write_text('x')\n"
        "try:\n"
        "    main(['scan', str(w), '--db', str(w / 'db' / 'i.sqlite'), '--workers', '2', '-q'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "import shutil; shutil.rmtree(w)\n"
        "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def _world_dir(prefix: str) -> Path:
    d = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    d.chmod(0o755)
    return d


@pytest.mark.skipif(os.geteuid() != 0, reason="drops privileges from root")
def test_read_only_inventory_file() -> None:
    """chmod 0444 inventory owned by another user: exit 4, a clear message, intact."""
    base = _world_dir("pvscan-ro-")
    try:
        tree = base / "t"
        make_tree(tree, 3)
        for p in [tree, *tree.iterdir()]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        db = base / "db" / "inv.sqlite"
        assert run_cli("scan", str(tree), "--db", str(db), "--workers", "0", "-q").returncode == 0
        before = inventory_state(str(db))
        db.chmod(0o444)
        db.parent.chmod(0o755)
        res = _as_nobody(
            f"sys.argv = ['pvscan', 'scan', {str(tree)!r}, '--db', {str(db)!r}, '--workers', '0', '-q', '--full']\nmain()\n",
            env={"PVSCAN_HOME": str(base / "nobodyhome")},
        )
        assert res.returncode == 4, (res.returncode, res.stderr)
        assert "Traceback" not in res.stderr and str(db) in res.stderr, res.stderr
        assert integrity(str(db)) == "ok" and inventory_state(str(db)) == before
    finally:
        shutil.rmtree(base, ignore_errors=True)
    record("fault-read-only", "inventory file 0444, other user", "exit 4, db unchanged")


# --------------------------------------------------------------------------- permissions
@pytest.mark.skipif(os.geteuid() != 0, reason="drops privileges from root")
def test_permission_denied_folder_and_file() -> None:
    """As an ordinary user: a closed folder is a walk error, a closed file an
    unscannable item (``io: permission denied``); everything else is scanned; exit 1."""
    base = _world_dir("pvscan-perm-")
    try:
        tree = base / "t"
        nums = make_tree(tree, 3)
        closed_dir = tree / "lukket"
        closed_dir.mkdir()
        (closed_dir / "x.txt").write_text(f"fnr {make_fnr()}\n")
        closed_file = tree / "hemmelig.txt"
        closed_file.write_text(f"fnr {make_fnr()}\n")
        for p in tree.iterdir():
            p.chmod(0o755 if p.is_dir() else 0o644)
        closed_dir.chmod(0o700)
        closed_file.chmod(0o600)
        home = base / "home"
        home.mkdir()
        os.chown(home, 65534, 65534)
        db = home / "inv.sqlite"
        res = _as_nobody(
            f"sys.argv = ['pvscan', 'scan', {str(tree)!r}, '--db', {str(db)!r}, '--workers', '2', '-q']\nmain()\n",
            env={"PVSCAN_HOME": str(home)},
        )
        assert res.returncode == 1 and "Traceback" not in res.stderr, (res.returncode, res.stderr)
        con = sqlite3.connect(str(db))
        items = dict(con.execute("SELECT display, COALESCE(reason,'') FROM items"))
        walk = dict(con.execute("SELECT display, reason FROM walk_errors"))
        found = {r[0] for r in con.execute("SELECT COUNT(*) FROM findings")}
        con.close()
        assert items.get(str(closed_file), "").startswith("io: permission denied"), (items, walk)
        assert walk[str(closed_dir)].startswith("io:"), walk
        assert len([d for d, r in items.items() if not r]) == 3 and found == {len(nums)}
    finally:
        shutil.rmtree(base, ignore_errors=True)
    record(
        "fault-permission",
        "closed folder + closed file (uid 65534)",
        "walk error + io: permission denied, rest scanned, exit 1",
    )


# --------------------------------------------------------------------------- vanish/rewrite
def after_first_read(action):  # type: ignore[no-untyped-def]
    """A progress callback (called after every stored result with ``batch_seconds=0``)
    that runs ``action`` once, after the first item was read and before the rest: the
    window between the walk and the read that a busy share always has. A callback, not
    a plugin, so the result signature (and so the next scan's incremental decision) is
    that of a normal scan."""
    done: list[bool] = []

    def cb(rec: dict) -> None:  # type: ignore[type-arg]
        if not done and rec.get("read", 0) >= 1:
            done.append(True)
            action()

    return cb


def test_files_deleted_and_rewritten_during_scan(tmp_path: Path) -> None:
    tree = tmp_path / "t"
    tree.mkdir()
    old, new = make_fnr(), make_fnr()
    (tree / "a.txt").write_text("først\n")
    (tree / "b.txt").write_text(f"fnr {make_fnr()}\n")
    (tree / "c.txt").write_text(f"fnr {old}\n")

    def sabotage() -> None:
        (tree / "b.txt").unlink()
        (tree / "c.txt").write_text(f"ny tekst, mye lengre enn før, fnr {new}\n")

    db = str(tmp_path / "inv.sqlite")
    s1 = scan(
        [str(tree)],
        db,
        settings=Settings(ocr=False),
        workers=0,
        progress=after_first_read(sabotage),
        batch_seconds=0,
    )
    con = sqlite3.connect(db)
    reasons = dict(con.execute("SELECT display, COALESCE(reason,'') FROM items"))
    assert reasons[str(tree / "b.txt")].startswith("io: vanished"), reasons
    assert s1.unscannable == 1
    # The next scan sees b gone and c changed (its stamp from the walk was stale).
    s2 = scan([str(tree)], db, settings=Settings(ocr=False), workers=0)
    status = dict(con.execute("SELECT display, status FROM items"))
    con.close()
    assert status[str(tree / "b.txt")] == "gone" and s2.gone == 1
    assert s2.changed == 1 and s2.unchanged == 1, s2
    clean = tmp_path / "clean.sqlite"
    scan([str(tree)], str(clean), settings=Settings(ocr=False), workers=0)
    assert {r for r in inventory_state(db) if r[1] != "gone"} == inventory_state(str(clean))
    record(
        "fault-vanish",
        "file deleted + file rewritten between walk and read",
        "io: vanished; next scan: gone + changed",
    )


# --------------------------------------------------------------------------- SIGTERM
def test_sigterm_during_writes_then_resume(tmp_path: Path) -> None:
    """SIGTERM a real ``pvscan scan`` while it reads and commits, three times at
    different moments; each stops with 130 and an intact database, and the final
    inventory equals a clean, uninterrupted scan."""
    tree = tmp_path / "t"
    make_tree(tree, 4000, per_file=2)
    db = tmp_path / "inv.sqlite"
    log = tmp_path / "scan.log"
    codes = []
    for delay in (0.0, 0.3, 0.6):
        proc = subprocess.Popen(
            [PVSCAN, "scan", str(tree), "--db", str(db), "--workers", "2", "-q", "--log", str(log)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # wait until it has read something (a progress record with read > 0)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if log.exists() and any(
                json.loads(x).get("read", 0) > 0 for x in log.read_text().splitlines()[-3:] if x.strip()
            ):
                break
            time.sleep(0.05)
        time.sleep(delay)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
        codes.append(proc.returncode)
        # 130: stopped between items, batch committed. -15: the signal came after the
        # read loop (final bookkeeping), where it ends the process; SQLite's WAL keeps
        # the database consistent and the next run resumes the unfinished scan.
        assert proc.returncode in (130, 0, -signal.SIGTERM), err
        assert "Traceback" not in err
        assert integrity(str(db)) == "ok"
    assert 130 in codes
    final = run_cli("scan", str(tree), "--db", str(db), "--workers", "2", "-q")
    assert final.returncode == 0, final.stderr
    clean = tmp_path / "clean.sqlite"
    assert run_cli("scan", str(tree), "--db", str(clean), "--workers", "2", "-q").returncode == 0
    assert inventory_state(str(db)) == inventory_state(str(clean))
    record(
        "fault-sigterm",
        f"SIGTERM x3 during a 4000-file scan (exit codes {codes})",
        "130, db intact; resume equals clean scan",
    )


# --------------------------------------------------------------------------- server stopped
def _unwrap(fixture):  # type: ignore[no-untyped-def]
    for attr in ("_get_wrapped_function", "__wrapped__"):
        fn = getattr(fixture, attr, None)
        if fn is not None:
            return fn() if attr == "_get_wrapped_function" else fn
    return fixture


@pytest.mark.server
def test_samba_stopped_mid_scan_then_resumed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """smbd is killed after the walk, while the first file is read: the scan records
    the rest with an ``io:`` reason and finishes; with the server back, the next scan
    reads them and the inventory equals a clean scan."""
    conf = samba
    gen = _unwrap(conf.smb_server)()
    try:
        srv = next(gen)
    except pytest.skip.Exception:
        raise
    base = srv.root.parent
    restarted: list[subprocess.Popen] = []
    try:
        monkeypatch.setenv("PVSCAN_SMB_USER", srv.user)
        monkeypatch.setenv("PVSCAN_SMB_PASSWORD", srv.password)
        nums = {}
        for i in range(6):
            nums[i] = make_fnr()
            srv.put(f"d/f{i}.txt", f"fnr {nums[i]}\n".encode())
        pidfile = base / "pid" / "smbd.pid"

        def kill() -> None:
            if not restarted and pidfile.exists():
                pid = int(pidfile.read_text().split()[0])
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(os.getpgid(pid), signal.SIGKILL)
                restarted.append(None)  # type: ignore[arg-type]
                time.sleep(0.5)

        db = str(tmp_path / "inv.sqlite")
        url = srv.url("d")
        s1 = scan(
            [url],
            db,
            settings=Settings(ocr=False),
            workers=0,
            progress=after_first_read(kill),
            batch_seconds=0,
        )
        con = sqlite3.connect(db)
        reasons = [r[0] or "" for r in con.execute("SELECT reason FROM items ORDER BY display")]
        con.close()
        assert s1.files == 6
        failed = [r for r in reasons if r]
        assert failed and all(r.startswith("io:") for r in failed), reasons
        # Server back (same configuration, port and data), then resume.
        smbd = shutil.which("smbd") or "/usr/sbin/smbd"
        out = open(base / "smbd2.out", "wb")
        proc = subprocess.Popen(
            [
                smbd,
                "--foreground",
                "--no-process-group",
                "--debug-stdout",
                f"--configfile={base / 'smb.conf'}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=os.setsid,
        )
        restarted[0] = proc
        conf.wait_listening(proc, srv.port, base / "smbd2.out")
        s2 = scan([url], db, settings=Settings(ocr=False), workers=0)
        assert s2.unscannable == 0, s2
        # Only what the outage cut short is read again; the rest is unchanged.
        assert (s2.read, s2.unchanged) == (len(failed), 6 - len(failed)), s2
        clean = str(tmp_path / "clean.sqlite")
        scan([url], clean, settings=Settings(ocr=False), workers=0)
        assert inventory_state(db) == inventory_state(clean)
        assert len({r[3] for r in inventory_state(db) if r[3]}) == 6
    finally:
        for p in restarted:
            if p is not None:
                conf.stop(p)
        gen.close()
    record(
        "fault-server",
        f"smbd killed mid-scan ({len(failed)}/6 items io:)",
        "recorded, finished; next run resumed = clean",
    )
