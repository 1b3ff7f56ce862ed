"""End to end through the CLI: scan → inventory without raw identifiers → find by keyed hash."""

from __future__ import annotations

import json
import os
import random
import stat

import pytest
from click.testing import CliRunner

from pvscan.cli import main
from pvscan.testing import make_fnr, make_kontonummer

RNG = random.Random(20261123)
PERSON_A = make_fnr(rng=RNG)
PERSON_B = make_fnr(rng=RNG, variant="dnr")
ACCOUNT = make_kontonummer(RNG, bank="1206")


@pytest.fixture()
def corpus(tmp_path, monkeypatch):
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    root = tmp_path / "share"
    (root / "sak").mkdir(parents=True)
    (root / "sak" / "notat.txt").write_text(
        f"Notat om klient\nFødselsnummer: {PERSON_A[:6]} {PERSON_A[6:]}\n", encoding="utf-8"
    )
    (root / "sak" / "annen.txt").write_text(
        f"D-nummer {PERSON_B}\nLønn utbetales til kontonummer {ACCOUNT[:4]}.{ACCOUNT[4:6]}.{ACCOUNT[6:]}\n"
    )
    (root / "tom.txt").write_text("Ingen personopplysninger her.\n")
    return root


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_scan_find_and_no_raw_identifier_in_inventory(corpus, tmp_path):
    db = tmp_path / "inv.sqlite"
    out = tmp_path / "f.jsonl"
    res = run("scan", str(corpus), "--db", str(db), "--jsonl", str(out), "--workers", "0", "-q")
    assert res.exit_code == 0, res.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    summary = records[-1]
    assert summary["type"] == "summary" and summary["files"] == 3 and summary["unscannable"] == 0
    fnr = [r for r in records if r.get("type") == "fodselsnummer"]
    assert {r["value"] for r in fnr} == {PERSON_A[:6] + "*****", PERSON_B[:6] + "*****"}
    assert any(r.get("type") == "kontonummer" for r in records)

    # Privacy: no raw number anywhere in what pvscan wrote (db, WAL, jsonl, key dir).
    written = [db, out, *db.parent.glob("inv.sqlite*"), *(tmp_path / "home").rglob("*")]
    for p in written:
        if p.is_file():
            data = p.read_bytes()
            for raw in (PERSON_A, PERSON_B, ACCOUNT):
                assert raw.encode() not in data, f"raw identifier in {p}"
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "home" / "secret.key").st_mode) == 0o600

    # Find by keyed hash, in any formatting.
    res = run("find", "--fnr", f"{PERSON_A[:6]}-{PERSON_A[6:]}", "--db", str(db), "--jsonl", "-")
    hits = [json.loads(line) for line in res.output.splitlines()]
    assert [os.path.basename(h["file"]) for h in hits] == ["notat.txt"]
    assert hits[0]["location"].startswith("linje")
    res = run("find", "--kontonummer", ACCOUNT, "--db", str(db), "--jsonl", "-")
    assert {os.path.basename(json.loads(x)["file"]) for x in res.output.splitlines()} == {"annen.txt"}
    res = run("find", "--fnr", make_fnr(rng=RNG), "--db", str(db))
    assert "Fant ingen" in res.output


def test_reveal_stores_and_outputs_raw_values(corpus, tmp_path):
    db = tmp_path / "inv.sqlite"
    res = run("scan", str(corpus), "--db", str(db), "--jsonl", "-", "--reveal", "--workers", "0", "-q")
    values = {json.loads(x).get("value") for x in res.output.splitlines()}
    assert PERSON_A in values and PERSON_B in values
    assert PERSON_A.encode() in db.read_bytes() or any(
        PERSON_A.encode() in p.read_bytes() for p in db.parent.glob("inv.sqlite*")
    )


def test_find_usage_errors(tmp_path):
    env = {"PVSCAN_LANG": "en"}
    res = CliRunner().invoke(main, ["find", "--db", str(tmp_path / "x.sqlite")], env=env)
    assert res.exit_code == 2 and "at least one" in res.output
    res = CliRunner().invoke(main, ["find", "--fnr", "123", "--db", str(tmp_path / "x.sqlite")], env=env)
    assert res.exit_code == 2 and "3 digits, not 11" in res.output


def test_every_command_has_help():
    for name, cmd in main.commands.items():
        res = CliRunner().invoke(main, [name, "--help"])
        assert res.exit_code == 0, name
        assert cmd.help and len(cmd.help) > 20, f"{name} needs a help text"


def test_version():
    res = run("--version")
    assert res.output.startswith("pvscan, version ")


def test_exit_code_partial_when_something_is_unscannable(corpus, tmp_path):
    (corpus / "ødelagt.pdf").write_bytes(b"%PDF-1.4\n garbage without xref")
    res = run(
        "scan",
        str(corpus),
        "--db",
        str(tmp_path / "i.sqlite"),
        "--jsonl",
        str(tmp_path / "o.jsonl"),
        "--workers",
        "0",
        "-q",
    )
    assert res.exit_code == 1
    recs = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
    bad = [r for r in recs if r.get("type") == "unscannable"]
    assert (
        len(bad) == 1
        and bad[0]["file"].endswith("ødelagt.pdf")
        and bad[0]["reason"].split(":")[0] in ("corrupt", "unsupported")
    )


def test_scan_never_reads_its_own_inventory(corpus, tmp_path):
    db = corpus / "inv.sqlite"  # the inventory inside the scanned tree
    res = run(
        "scan", str(corpus), "--db", str(db), "--jsonl", str(tmp_path / "o.jsonl"), "--workers", "0", "-q"
    )
    assert res.exit_code == 0
    res = run(
        "scan", str(corpus), "--db", str(db), "--jsonl", str(tmp_path / "o.jsonl"), "--workers", "0", "-q"
    )
    files = {json.loads(x).get("file", "") for x in (tmp_path / "o.jsonl").read_text().splitlines()}
    assert not any("inv.sqlite" in f for f in files)
    assert json.loads((tmp_path / "o.jsonl").read_text().splitlines()[-1])["files"] == 3
