"""Privacy of pvscan's own data.

Plants valid generated numbers in real documents, runs every command that writes
(scan with a log and JSON Lines, reports in every format, an access request with
redacted copies, the checklist, a deletion plan with quarantine) with ``TMPDIR`` and
``PVSCAN_HOME`` pointed at private folders, then reads every byte of every file
pvscan wrote and looks for the raw numbers in every formatting people use. Also:
owner-only modes, scanned files untouched, credentials never written.
"""

from __future__ import annotations

import os
import random
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pvscan.testing import make_fnr, make_kontonummer
from tools.fuzz import write_stats

PVSCAN = str(Path(sys.executable).with_name("pvscan"))


def formattings(number: str) -> list[bytes]:
    """The raw forms a leak could take: 11 digits, 6+5 with a space, bank style
    4.2.5, dotted, and UTF-16 (XLSX/DOCX internals are UTF-8, but be thorough)."""
    forms = {number, f"{number[:6]} {number[6:]}", f"{number[:4]}.{number[4:6]}.{number[6:]}"}
    forms.add(f"{number[:4]} {number[4:6]} {number[6:]}")
    out = [f.encode() for f in forms]
    out += [f.encode("utf-16-le") for f in forms]
    return out


def written_files(*roots: Path) -> list[Path]:
    return [p for r in roots if r.exists() for p in r.rglob("*") if p.is_file()]


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    res = subprocess.run([PVSCAN, *args], capture_output=True, env=env, timeout=300)
    assert res.returncode in (0, 1), (args, res.stdout[-2000:], res.stderr[-2000:])
    return res


@pytest.fixture
def planted(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A folder of real documents holding the requester's number and others'."""
    import docx
    import openpyxl

    rng = random.Random(2024)
    me, other, third = make_fnr(rng=rng), make_fnr(rng=rng), make_fnr(rng=rng)
    konto = make_kontonummer(rng=rng)
    data = tmp_path / "data"
    data.mkdir()
    (data / "notat.txt").write_text(f"Søker: {me[:6]} {me[6:]}\nEktefelle {other}\nKonto {konto}\n")
    d = docx.Document()
    d.add_paragraph(f"Pasient med fødselsnummer {me} har diabetes.")
    d.add_paragraph(f"Pårørende: {third}")
    d.save(data / "journal.docx")
    wb = openpyxl.Workbook()
    wb.active.append(["Navn", "Fnr"])
    wb.active.append(["Kari", me])
    wb.active.append(["Ola", other])
    wb.save(data / "liste.xlsx")
    (data / "brev.eml").write_bytes(
        f"From: a@example.no\nTo: b@example.no\nSubject: Sak {third}\n\nKonto {konto}, fnr {me}\n".encode()
    )
    return data, me, [other, third, konto]


def test_no_raw_identifier_in_anything_pvscan_writes(tmp_path: Path, planted) -> None:  # type: ignore[no-untyped-def]
    data, me, others = planted
    home, tmp, out = tmp_path / "home", tmp_path / "tmp", tmp_path / "out"
    tmp.mkdir(mode=0o700)
    out.mkdir(mode=0o700)
    env = {**os.environ, "PVSCAN_HOME": str(home), "TMPDIR": str(tmp), "PVSCAN_LANG": "nb"}
    env["PVSCAN_SMB_PASSWORD"] = env["PVSCAN_IMAP_PASSWORD"] = "Hemmelig-Passord-4711"
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_atime_ns) for p in data.iterdir()}
    db = home / "inventory.sqlite"
    outputs: list[bytes] = []
    outputs.append(
        run(
            "scan", str(data), "--log", str(out / "scan.log"), "--jsonl", str(out / "funn.jsonl"), env=env
        ).stdout
    )
    outputs.append(run("scan", str(data), "--jsonl", "-", env=env).stdout)
    for fmt in ("html", "xlsx", "csv", "json"):
        outputs.append(
            run(
                "report", "--db", str(db), "--format", fmt, "--out", str(out / f"rapport.{fmt}"), env=env
            ).stdout
        )
    outputs.append(run("find", "--fnr", me, "--db", str(db), env=env).stdout)
    outputs.append(
        run(
            "access-request", "--fnr", me, "--db", str(db), "--out", str(out / "innsyn"), "--copies", env=env
        ).stdout
    )
    outputs.append(
        run("checklist", str(data), "--db", str(db), "--out", str(out / "sjekkliste"), env=env).stdout
    )
    outputs.append(
        run(
            "delete",
            "--fnr",
            me,
            "--db",
            str(db),
            "--plan-dir",
            str(out / "plan"),
            "--audit-log",
            str(out / "audit.log"),
            env=env,
        ).stdout
    )
    copies = out / "innsyn" / "kopier"
    files = written_files(home, tmp, out)
    assert db.exists() and any(p.suffix == ".jsonl" for p in files) and any(copies.rglob("*"))
    leaks = []
    scanned_bytes = 0
    for p in files:
        blob = p.read_bytes()
        scanned_bytes += len(blob)
        # Redacted copies legitimately hold the requester's own number, nobody else's.
        numbers = others if copies in p.parents else [me, *others]
        for n in numbers:
            for form in formattings(n):
                if form in blob:
                    leaks.append(f"{p.relative_to(tmp_path)}: {form!r}")
        if b"Hemmelig-Passord-4711" in blob:
            leaks.append(f"{p.relative_to(tmp_path)}: the password")
    for i, blob in enumerate(outputs):
        for n in [me, *others]:
            if any(f in blob for f in formattings(n)):
                leaks.append(f"stdout of command {i}")
    assert not leaks, leaks
    # The copies are redacted copies of the requester's files, so the requester's number is in them.
    assert any(
        me.encode() in p.read_bytes() or me[:6].encode() in p.read_bytes()
        for p in copies.rglob("*")
        if p.suffix == ".txt"
    )
    # Owner-only: the data folder, database (+ WAL/SHM), key, logs, reports, case folder, quarantine.
    loose = []
    for p in [home, *home.rglob("*"), *out.rglob("*")]:
        mode = stat.S_IMODE(p.stat().st_mode)
        if mode & 0o077:
            loose.append(f"{p.relative_to(tmp_path)} {oct(mode)}")
    assert not loose, loose
    # Scanned files untouched: content and mtime; atime measured.
    atime_kept = 0
    for p, (content, mtime, atime) in before.items():
        assert p.read_bytes() == content and p.stat().st_mtime_ns == mtime, p
        atime_kept += p.stat().st_atime_ns == atime
    write_stats(
        "privacy",
        {
            "files_written": len(files),
            "bytes_grepped": scanned_bytes,
            "numbers": 1 + len(others),
            "forms_per_number": len(formattings(me)),
            "leaks": len(leaks),
            "loose_modes": len(loose),
            "scanned_files": len(before),
            "atime_kept": atime_kept,
        },
    )


def test_privacy_check_catches_a_leak(tmp_path: Path, planted) -> None:  # type: ignore[no-untyped-def]
    """Control: ``--reveal`` stores raw values, and the same grep finds them (so the
    test above would notice a leak)."""
    data, me, _others = planted
    home = tmp_path / "home"
    env = {**os.environ, "PVSCAN_HOME": str(home), "TMPDIR": str(tmp_path)}
    run("scan", str(data), "--reveal", env=env)
    blobs = b"".join(p.read_bytes() for p in written_files(home))
    assert any(f in blobs for f in formattings(me))


def test_scan_leaves_atime_when_files_are_old(tmp_path: Path, planted) -> None:  # type: ignore[no-untyped-def]
    """Content and mtime never change. Access time: under ``relatime`` (the Linux
    default) a read updates an atime older than a day; pvscan restores it after
    reading, and the figure goes into the reliability table."""
    data, _me, _others = planted
    old = 1_600_000_000 * 10**9
    for p in data.iterdir():
        os.utime(p, ns=(old, old))
    env = {**os.environ, "PVSCAN_HOME": str(tmp_path / "home")}
    run("scan", str(data), "--workers", "0", env=env)
    kept = sum(p.stat().st_atime_ns == old for p in data.iterdir())
    assert all(p.stat().st_mtime_ns == old for p in data.iterdir())
    # pvscan puts back the access time that reading changed (we own these files).
    assert kept == len(list(data.iterdir()))
    write_stats("atime", {"files": len(list(data.iterdir())), "atime_kept": kept})
