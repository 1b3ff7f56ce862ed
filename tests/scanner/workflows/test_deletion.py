"""Deletion with real files: plan, execution and audit log agree; changed files are
refused; keep marks (legal hold) survive later plans; Maildir messages one by one."""

from __future__ import annotations

import io
import json
import os
import random

import pytest
from click.testing import CliRunner

from pvscan import hookimpl
from pvscan.cli import main
from pvscan.engine.manager import make_plugin_manager
from pvscan.interfaces import Source
from pvscan.model import ChangedSinceScan, ItemRef
from pvscan.scan import scan
from pvscan.testing import make_fnr
from pvscan.workflows import deletion
from pvscan.workflows.review import hashes_for

RNG = random.Random(99)
A, B = make_fnr(rng=RNG), make_fnr(rng=RNG)


@pytest.fixture()
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    root = tmp_path / "share"
    (root / "sak").mkdir(parents=True)
    (root / "arkiv").mkdir()
    for name in ("a1.txt", "a2.txt"):
        (root / "sak" / name).write_text(f"Klient fødselsnummer {A}\n", encoding="utf-8")
    (root / "arkiv" / "a3.txt").write_text(f"Arkivsak, fødselsnummer {A}\n", encoding="utf-8")
    (root / "sak" / "b.txt").write_text(f"Annen klient fødselsnummer {B}\n", encoding="utf-8")
    md = root / "Maildir"
    for d in ("cur", "new", "tmp"):
        (md / d).mkdir(parents=True)
    (md / "cur" / "1700000000.M1.host:2,S").write_text(
        f"From: a@example.org\nTo: b@example.org\nSubject: Sak\n\nGjelder fødselsnummer {A}\n",
        encoding="utf-8",
    )
    (md / "cur" / "1700000001.M2.host:2,S").write_text(
        "From: a@example.org\nSubject: Annet\n\nIngenting\n", encoding="utf-8"
    )
    db = str(tmp_path / "inv.sqlite")
    scan([str(root)], db, workers=0)
    return root, db, tmp_path


def test_plan_execute_and_audit_log_agree(env):
    root, db, tmp = env
    deletion.keep(db, str(root / "arkiv"), "arkivlova: journalført sak")
    (root / "sak" / "a2.txt").write_text(
        f"Klient fødselsnummer {A}\nendret etter skanning\n", encoding="utf-8"
    )
    sel = deletion.Selection(hashes=hashes_for([A]))
    p = deletion.plan(db, sel)
    actions = {os.path.basename(e.path): e.action for e in p.entries}
    assert actions == {
        "a1.txt": "quarantine",
        "a2.txt": "refuse",
        "a3.txt": "keep",
        "1700000000.M1.host:2,S": "quarantine",
    }
    assert all((root / "sak" / n).exists() for n in ("a1.txt", "a2.txt"))  # a plan touches nothing
    log = str(tmp / "audit.jsonl")
    q = str(tmp / "karantene")
    deletion.execute(db, p, log, q, retention_days=30, case="2026/123")
    assert not (root / "sak" / "a1.txt").exists()
    assert (
        (root / "sak" / "a2.txt").exists()
        and (root / "arkiv" / "a3.txt").exists()
        and (root / "sak" / "b.txt").exists()
    )
    assert not (root / "Maildir" / "cur" / "1700000000.M1.host:2,S").exists()
    assert (root / "Maildir" / "cur" / "1700000001.M2.host:2,S").exists()  # the other message stays
    records = deletion.read_audit_log(log)
    assert [(r["path"], r["action"]) for r in records] == [(e.path, e.action) for e in p.entries]
    assert all(r["case"] == "2026/123" and r["user"] for r in records)
    moved = [r for r in records if r["action"] == "quarantine"]
    manifest = json.loads(open(os.path.join(q, p.id, "manifest.json")).read())
    assert {m["sha256"] for m in manifest["items"]} == {r["sha256"] for r in moved}
    for m in manifest["items"]:
        assert deletion.sha256_file(m["stored"]) == m["sha256"]
        assert oct(os.stat(m["stored"]).st_mode & 0o777) == "0o600"
    assert deletion.verify_audit_log(log) == (True, 4)
    # Tampering breaks the chain.
    lines = open(log).read().splitlines()
    open(log, "w").write("\n".join([lines[0], *lines[2:]]) + "\n")
    assert deletion.verify_audit_log(log)[0] is False
    # Purge after retention.
    assert deletion.purge_quarantine(q, str(tmp / "audit2.jsonl"), today="2999-01-01") == 2
    assert not os.path.exists(os.path.join(q, p.id))


def test_keep_mark_survives_rescans_and_later_plans(env):
    root, db, tmp = env
    deletion.keep(db, str(root / "arkiv" / "a3.txt"), "rettstvist (legal hold)")
    scan([str(root)], db, workers=0, full=True)
    for _ in range(2):
        p = deletion.plan(db, deletion.Selection(folder=str(root / "arkiv")))
        [e] = p.entries
        assert e.action == "keep" and "rettstvist" in e.reason
    deletion.execute(db, p, str(tmp / "log.jsonl"), str(tmp / "q"))
    assert (root / "arkiv" / "a3.txt").exists()


def test_execute_refuses_file_changed_after_plan(env):
    root, db, tmp = env
    p = deletion.plan(db, deletion.Selection(hashes=hashes_for([B])), mode="delete")
    assert [e.action for e in p.entries] == ["delete"]
    (root / "sak" / "b.txt").write_text("noe helt annet nå, lengre enn før\n", encoding="utf-8")
    deletion.execute(db, p, str(tmp / "log.jsonl"))
    assert (root / "sak" / "b.txt").exists()
    assert deletion.read_audit_log(str(tmp / "log.jsonl"))[0]["action"] == "refuse"


def test_cli_plan_then_execute(env):
    root, db, tmp = env
    run = CliRunner().invoke
    args = [
        "delete",
        "--db",
        db,
        "--fnr",
        B,
        "--plan-dir",
        str(tmp / "plans"),
        "--audit-log",
        str(tmp / "a.jsonl"),
        "--quarantine",
        str(tmp / "q"),
    ]
    r = run(main, args)
    assert r.exit_code == 0 and "Ingenting er slettet" in r.output and (root / "sak" / "b.txt").exists()
    r = run(main, [*args, "--execute"])
    assert r.exit_code == 0, r.output
    assert not (root / "sak" / "b.txt").exists()
    assert len(deletion.read_audit_log(str(tmp / "a.jsonl"))) == 1
    r = run(main, ["delete", "--db", db])
    assert r.exit_code == 2


class _DeletingSource(Source):
    """A remote source that removes its own items (as Microsoft 365 does), with a switch
    for the organisation's permission and one item that changed since the scan."""

    name, version, schemes, can_delete = "memdel", "1", ("memdel",), True

    def __init__(self) -> None:
        self.files = {"memdel://box/a.txt": f"fnr {A}".encode(), "memdel://box/b.txt": f"fnr {A}!".encode()}
        self.allowed = False
        self.removed: list[str] = []

    def walk(self, root, settings):
        for url, data in sorted(self.files.items()):
            yield ItemRef(self.name, url, url, len(data), 1, f"v{len(data)}")

    def open(self, ref, settings):
        return io.BytesIO(self.files[ref.url])

    def deletion_refused(self, url):
        return "" if self.allowed else "not enabled here"

    def delete(self, url, file_id):
        if url.endswith("b.txt"):
            raise ChangedSinceScan("changed")
        self.removed.append(url)
        return "moved to the bin"


def test_a_source_that_deletes_its_own_items_does_so_only_when_permitted(tmp_path, monkeypatch):
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    src = _DeletingSource()

    class Plugin:
        @hookimpl
        def pvscan_sources(self):
            return [src]

    pm = make_plugin_manager(extra=[Plugin()])
    db = str(tmp_path / "inv.sqlite")
    scan(["memdel://box"], db, workers=0, pm=pm)
    sel = deletion.Selection(hashes=hashes_for([A]))
    p = deletion.plan(db, sel, pm=pm)
    assert [(e.action, deletion.reason_text(e, "en")) for e in p.entries] == [
        ("manual", "on memdel, where deletion is not permitted: not enabled here")
    ] * 2
    deletion.execute(db, p, str(tmp_path / "log.jsonl"), str(tmp_path / "q"), pm=pm)
    assert src.removed == [] and not (tmp_path / "q").exists()
    src.allowed = True
    p = deletion.plan(db, sel, pm=pm)
    assert [e.action for e in p.entries] == ["quarantine"] * 2
    deletion.execute(db, p, str(tmp_path / "log.jsonl"), str(tmp_path / "q"), pm=pm)
    assert src.removed == ["memdel://box/a.txt"] and not (tmp_path / "q").exists()
    records = deletion.read_audit_log(str(tmp_path / "log.jsonl"))[-2:]
    assert [(r["path"], r["action"], r.get("service", r["reason"])) for r in records] == [
        ("memdel://box/a.txt", "quarantine", "moved to the bin"),
        ("memdel://box/b.txt", "refuse", "changed"),
    ]
