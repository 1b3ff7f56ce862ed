"""The SMB source against a real Samba server on 127.0.0.1 (see conftest.py)."""

from __future__ import annotations

import io
import multiprocessing as mp
import os
import pickle
import subprocess
import sys
from pathlib import Path

import docx
import pytest

from pvscan.model import ItemRef, Settings, WalkError
from pvscan.plugins.sources.smb import SmbSource, parse_smb_url, reset_connections

pytestmark = pytest.mark.server


def _docx_bytes(*paragraphs: str) -> bytes:
    doc = docx.Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _walk(root: str, settings: Settings | None = None) -> tuple[list[ItemRef], list[WalkError]]:
    refs, errors = [], []
    for entry in SmbSource().walk(root, settings or Settings()):
        (errors if isinstance(entry, WalkError) else refs).append(entry)
    return refs, errors


def _read(ref: ItemRef) -> bytes:
    with SmbSource().open(ref, Settings()) as fh:
        return fh.read()


@pytest.fixture
def corpus(smb_env, smb_dir, fnr) -> dict[str, bytes]:
    """Files in the share: name relative to the test folder -> bytes."""
    files = {
        "notat.txt": f"Pasienten har fødselsnummer {fnr}.\n".encode(),
        "Mappe med mellomrom/søknad.docx": _docx_bytes("Søknad om plass", f"Fødselsnummer: {fnr}"),
        "a/b/c/dypt.txt": b"ingen personopplysninger her\n",
        "a/binær.bin": os.urandom(300_000),  # several SMB reads
        "tom.txt": b"",
    }
    for rel, data in files.items():
        smb_env.put(f"{smb_dir}/{rel}", data)
    return files


def test_walk_lists_every_file_with_size_mtime_and_display(smb_env, smb_dir, corpus):
    refs, errors = _walk(smb_env.url(smb_dir))
    assert errors == []
    base = f"smb://127.0.0.1:{smb_env.port}/data/{smb_dir}/"
    by_display = {r.display: r for r in refs}
    assert set(by_display) == {base + rel for rel in corpus}
    for rel, data in corpus.items():
        ref = by_display[base + rel]
        st = (smb_env.root / smb_dir / rel).stat()
        assert ref.source == "smb"
        assert ref.size == len(data)
        assert abs(ref.mtime_ns - st.st_mtime_ns) < 1000  # SMB carries 100 ns, smbprotocol µs
        assert ref.file_id.endswith(f":{st.st_ino}")
        assert ref.name == rel.rsplit("/", 1)[-1]


def test_open_returns_exact_bytes(smb_env, smb_dir, corpus):
    refs, _ = _walk(smb_env.url(smb_dir))
    assert len(refs) == len(corpus)
    for ref in refs:
        rel = ref.display.split(f"/{smb_dir}/", 1)[1]
        assert _read(ref) == corpus[rel], rel


def test_stamps_stable_across_walks_and_change_when_file_changes(smb_env, smb_dir, corpus):
    first = {r.url: r.stamp() for r in _walk(smb_env.url(smb_dir))[0]}
    second = {r.url: r.stamp() for r in _walk(smb_env.url(smb_dir))[0]}
    assert first == second
    path = smb_env.root / smb_dir / "notat.txt"
    path.write_bytes(path.read_bytes() + b"mer tekst\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    third = {r.url: r.stamp() for r in _walk(smb_env.url(smb_dir))[0]}
    changed = [u for u in first if first[u] != third[u]]
    assert changed == [f"smb://127.0.0.1:{smb_env.port}/data/{smb_dir}/notat.txt"]


def test_root_can_be_a_single_file_or_the_whole_share(smb_env, smb_dir, corpus):
    refs, errors = _walk(smb_env.url(f"{smb_dir}/notat.txt"))
    assert errors == [] and [r.name for r in refs] == ["notat.txt"]
    assert _read(refs[0]) == corpus["notat.txt"]
    everything, _ = _walk(smb_env.url())
    assert {r.url for r in _walk(smb_env.url(smb_dir))[0]} <= {r.url for r in everything}


def test_percent_encoded_root_as_pasted_from_a_file_manager(smb_env, smb_dir, corpus):
    refs, errors = _walk(smb_env.url(f"{smb_dir}/Mappe%20med%20mellomrom"))
    assert errors == []
    assert [r.name for r in refs] == ["søknad.docx"]
    assert "Mappe med mellomrom/søknad.docx" in refs[0].url


def test_unreadable_folder_is_a_walk_error_and_the_walk_goes_on(smb_env, smb_dir):
    smb_env.put(f"{smb_dir}/før.txt", b"1")
    smb_env.put(f"{smb_dir}/låst/hemmelig.txt", b"2")
    smb_env.put(f"{smb_dir}/zz/etter.txt", b"3")
    locked = smb_env.root / smb_dir / "låst"
    locked.chmod(0o700)  # owned by root; smbd reads as the unprivileged test account
    try:
        refs, errors = _walk(smb_env.url(smb_dir))
    finally:
        locked.chmod(0o755)
    assert sorted(r.name for r in refs) == ["etter.txt", "før.txt"]
    assert len(errors) == 1
    assert errors[0].display.endswith(f"/{smb_dir}/låst")
    assert errors[0].reason.startswith("io: permission denied")


def test_unreadable_file_and_vanished_file_raise_what_the_core_understands(smb_env, smb_dir):
    smb_env.put(f"{smb_dir}/privat.txt", b"x")
    smb_env.put(f"{smb_dir}/borte.txt", b"y")
    refs = {r.name: r for r in _walk(smb_env.url(smb_dir))[0]}
    (smb_env.root / smb_dir / "privat.txt").chmod(0o600)
    (smb_env.root / smb_dir / "borte.txt").unlink()
    with pytest.raises(PermissionError):
        _read(refs["privat.txt"])
    with pytest.raises(FileNotFoundError):
        _read(refs["borte.txt"])


def test_symlink_loops_and_links_out_of_the_share_are_not_followed(smb_env, smb_dir):
    smb_env.put(f"{smb_dir}/a.txt", b"a")
    smb_env.put(f"{smb_dir}/sub/b.txt", b"b")
    os.symlink("..", smb_env.root / smb_dir / "sub" / "tilbake")  # a loop back to the parent
    os.symlink("/etc", smb_env.root / smb_dir / "etc")  # out of the share
    refs, errors = _walk(smb_env.url(smb_dir))
    names = sorted(r.display.split(f"/{smb_dir}/", 1)[1] for r in refs)
    assert names == ["a.txt", "sub/b.txt"]
    assert errors == []


def test_missing_share_wrong_password_and_bad_urls_are_walk_errors(smb_env, smb_dir, monkeypatch):
    refs, errors = _walk(f"smb://127.0.0.1:{smb_env.port}/finnesikke/x")
    assert refs == [] and len(errors) == 1 and errors[0].reason.startswith("io:")

    refs, errors = _walk(smb_env.url(f"{smb_dir}/finnes-ikke"))
    assert refs == [] and len(errors) == 1

    monkeypatch.setenv("PVSCAN_SMB_PASSWORD", "feil-passord-123")
    reset_connections()  # an authenticated session would be reused otherwise
    refs, errors = _walk(f"smb://127.0.0.1:{smb_env.port}/data")
    assert refs == [] and len(errors) == 1
    assert "feil-passord-123" not in errors[0].reason + errors[0].display
    assert errors[0].reason.startswith("io: logon failed")
    reset_connections()

    refs, errors = _walk(f"smb://bruker:hemmelig@127.0.0.1:{smb_env.port}/data")
    assert refs == [] and "password in the URL" in errors[0].reason
    assert "hemmelig" not in errors[0].display

    refs, errors = _walk(f"smb://127.0.0.1:{smb_env.port}/")
    assert "no share" in errors[0].reason


def test_user_from_url_is_kept_in_url_but_never_the_password(smb_server, smb_dir, monkeypatch):
    monkeypatch.delenv("PVSCAN_SMB_USER", raising=False)
    monkeypatch.setenv("PVSCAN_SMB_PASSWORD", smb_server.password)
    smb_server.put(f"{smb_dir}/f.txt", b"innhold")
    refs, errors = _walk(smb_server.url(smb_dir, user=True))
    assert errors == [] and len(refs) == 1
    ref = refs[0]
    assert ref.url.startswith(f"smb://{smb_server.user}@127.0.0.1:")
    assert ref.display.startswith("smb://127.0.0.1:")
    assert smb_server.password not in repr(ref)
    assert parse_smb_url(ref.url).user == smb_server.user
    assert _read(ref) == b"innhold"


def _open_in_child(ref_bytes: bytes) -> bytes:
    ref = pickle.loads(ref_bytes)
    with SmbSource().open(ref, Settings()) as fh:
        return fh.read()


_CHILD = """
import pickle, sys
from pvscan.model import Settings
from pvscan.plugins.sources.smb import SmbSource
ref = pickle.loads(sys.stdin.buffer.read())
with SmbSource().open(ref, Settings()) as fh:
    sys.stdout.buffer.write(fh.read())
"""


def test_open_in_forked_workers_after_the_parent_connected(smb_env, smb_dir, corpus):
    refs, _ = _walk(smb_env.url(smb_dir))  # the parent now holds a live connection
    with mp.get_context("fork").Pool(2) as pool:
        got = pool.map_async(_open_in_child, [pickle.dumps(r) for r in refs]).get(timeout=120)
    for ref, data in zip(refs, got, strict=True):
        assert data == corpus[ref.display.split(f"/{smb_dir}/", 1)[1]]
    # The parent's own connection still works after the children used theirs.
    assert _read(refs[0]) == corpus[refs[0].display.split(f"/{smb_dir}/", 1)[1]]


def test_open_in_a_fresh_interpreter_from_a_pickled_ref(smb_env, smb_dir, corpus):
    ref = next(r for r in _walk(smb_env.url(smb_dir))[0] if r.name == "søknad.docx")
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD], input=pickle.dumps(ref), capture_output=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == corpus["Mappe med mellomrom/søknad.docx"]
    assert smb_env.password.encode() not in proc.stderr


def test_scan_through_smb_finds_the_same_as_through_the_local_path(smb_env, smb_dir, corpus, tmp_path, fnr):
    scan_mod = pytest.importorskip("pvscan.scan")
    inventory = pytest.importorskip("pvscan.inventory")
    local_root = str(smb_env.root / smb_dir)
    smb_root = smb_env.url(smb_dir)
    found = {}
    for label, root in (("local", local_root), ("smb", smb_root)):
        db = str(tmp_path / f"{label}.sqlite")
        summary = scan_mod.scan([root], db=db, workers=2)
        assert summary.walk_errors == 0
        assert summary.files == len(corpus)
        with inventory.Inventory(db) as inv:
            rows = inv.db.execute(
                "SELECT i.display AS display, f.type AS type, f.location AS location "
                "FROM findings f JOIN items i ON i.id = f.item_id"
            ).fetchall()
        prefix = local_root if label == "local" else smb_root
        found[label] = sorted(
            (Path(r["display"][len(prefix) :].lstrip("/")).as_posix(), r["type"], r["location"]) for r in rows
        )
    assert found["smb"] == found["local"]
    again = scan_mod.scan([smb_root], db=str(tmp_path / "smb.sqlite"), workers=2)
    assert (again.read, again.unchanged) == (0, len(corpus))  # the stamps drive incremental scans
    files_with_findings = {f for f, _, _ in found["smb"]}
    assert {"notat.txt", "Mappe med mellomrom/søknad.docx"} <= files_with_findings


def test_cli_scan_of_a_share_never_stores_or_prints_the_password(smb_env, smb_dir, corpus, tmp_path):
    pvscan = Path(sys.executable).with_name("pvscan")
    if not pvscan.exists():
        pytest.skip("pvscan console script not installed next to this interpreter")
    db = tmp_path / "inv.sqlite"
    env = {**os.environ, "PVSCAN_SMB_USER": smb_env.user, "PVSCAN_SMB_PASSWORD": smb_env.password}
    proc = subprocess.run(
        [str(pvscan), "scan", smb_env.url(smb_dir), "--db", str(db), "--jsonl", "-", "--workers", "2"],
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    out = proc.stdout.decode() + proc.stderr.decode()
    assert proc.returncode in (0, 1), out  # 1 = personal data found
    assert f"/data/{smb_dir}/notat.txt" in proc.stdout.decode()
    assert smb_env.password not in out
    assert smb_env.password.encode() not in db.read_bytes()
