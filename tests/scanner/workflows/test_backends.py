"""Every workflow command on both inventory backends: the same share scanned into an
SQLite file and into a PostgreSQL database gives the same findings, the same search
hits, the same review and keep decisions, the same deletion plan, report, checklist and
access-request folder."""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

import docx
from click.testing import CliRunner

from pvscan.cli import main
from pvscan.testing import make_fnr, make_kontonummer

RNG = random.Random(20261203)
A = make_fnr(rng=RNG)
B = make_fnr(rng=RNG, variant="dnr")
ACCOUNT = make_kontonummer(RNG, bank="1206")


def _share(root: Path) -> None:
    (root / "sak").mkdir(parents=True)
    (root / "sak" / "notat.txt").write_text(f"Notat\nFødselsnummer: {A}\nD-nummer {B}\n", encoding="utf-8")
    (root / "sak" / "epikrise.txt").write_text(
        f"Pasient {A}\nDiagnose: diabetes type 2, innlagt på sykehus.\n", encoding="utf-8"
    )
    (root / "lonn.txt").write_text(f"Lønn til konto {ACCOUNT}, ansatt {B}\n", encoding="utf-8")
    (root / "tom.txt").write_text("Ingen personopplysninger her.\n", encoding="utf-8")
    os.chmod(root / "sak", 0o755)


def run(*args: str) -> str:
    r = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert r.exit_code in (0, 1), r.output
    return r.output


def _normal(text: str, root: Path, db: str) -> str:
    """What may differ between two runs: where they ran, when, and the plan's id."""
    text = text.replace(str(root), "ROOT").replace(str(root.parent), "BASE").replace(db, "DB")
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", "TIME", text)
    text = re.sub(r"\d{8}-\d{6}-[0-9a-f]{6}", "PLANID", text)
    text = re.sub(
        r'"(elapsed|elapsed_s|scan_id|started|finished|mtime_ns|file_id|age_years|[a-z_]*age_years)": [^,}\n]+',
        r'"\1": X',
        text,
    )
    return re.sub(r"\d{4}-\d\d-\d\d", "DATE", text)


def _chain(base: Path, db: str) -> dict[str, object]:
    root = base / "share"
    _share(root)
    out: dict[str, object] = {}
    jsonl = base / "scan.jsonl"
    run("scan", str(root), "--db", db, "--jsonl", str(jsonl), "--workers", "0", "-q")
    out["scan"] = sorted(_normal(line, root, db) for line in jsonl.read_text().splitlines())
    out["find"] = _normal(run("find", "--fnr", A, "--db", db, "--jsonl", "-"), root, db)
    run("review", str(root / "lonn.txt"), "--kontonummer", ACCOUNT, "--status", "false_positive",
        "--reason", "testkonto", "--db", db)  # fmt: skip
    out["find_after_review"] = _normal(
        run("find", "--kontonummer", ACCOUNT, "--db", db, "--jsonl", "-"), root, db
    )
    run("keep", str(root / "sak" / "epikrise.txt"), "--reason", "pasientjournal", "--db", db)
    plan = run("delete", "--fnr", B, "--db", db, "--plan-dir", str(base / "plans"))
    out["plan"] = _normal(plan, root, db)
    out["plan_files"] = sorted(
        _normal(p.read_text(), root, db) for p in (base / "plans").rglob("*") if p.is_file()
    )
    report = base / "rapport.json"
    run("report", "--db", db, "--format", "json", "--out", str(report))
    out["report"] = _normal(report.read_text(), root, db)
    run("checklist", str(root), "--db", db, "--out", str(base / "chk"))
    d = docx.Document(str(base / "chk" / "sjekkliste.docx"))
    out["checklist"] = [_normal(c.text, root, db) for row in d.tables[0].rows for c in row.cells]
    run("access-request", "--fnr", A, "--db", db, "--out", str(base / "innsyn"))
    out["access"] = sorted(
        (
            p.name,
            _normal(p.read_text(errors="replace"), root, db) if p.suffix in (".txt", ".json", ".csv") else "",
        )
        for p in (base / "innsyn").rglob("*")
        if p.is_file()
    )
    return out


def test_every_workflow_gives_the_same_on_sqlite_and_postgresql(tmp_path, monkeypatch, pg_url):
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PVSCAN_LANG", "nb")
    lite = _chain(tmp_path / "a", str(tmp_path / "inv.sqlite"))
    pg = _chain(tmp_path / "b", pg_url)
    # The chain did real work: findings, hits, a plan, a filled checklist.
    assert sum('"fodselsnummer"' in line for line in lite["scan"]) >= 3  # type: ignore[union-attr]
    assert [os.path.basename(json.loads(x)["file"]) for x in lite["find"].splitlines()] == [  # type: ignore[union-attr]
        "epikrise.txt",
        "notat.txt",
    ]
    assert lite["find_after_review"] == ""
    assert lite["plan_files"] and lite["access"]
    for key in lite:
        assert pg[key] == lite[key], key
