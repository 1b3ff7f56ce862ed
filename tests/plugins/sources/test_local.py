"""The local walker: symlink loops, unreadable files, odd names, vanishing files, excludes."""

from __future__ import annotations

import os

import pytest

from pvscan.model import ItemRef, Settings, WalkError
from pvscan.plugins.sources.local import LocalSource


def walk(root, **kw):
    return list(LocalSource().walk(str(root), Settings(**kw)))


def names(entries):
    return sorted(
        os.path.relpath(e.url, e.url.split("/tree/")[0] + "/tree") for e in entries if isinstance(e, ItemRef)
    )


def test_symlink_loop_is_not_followed(tmp_path):
    root = tmp_path / "tree"
    (root / "a").mkdir(parents=True)
    (root / "a" / "f.txt").write_text("x")
    os.symlink("..", root / "a" / "loop")
    os.symlink(root / "a" / "f.txt", root / "link.txt")
    assert names(walk(root)) == ["a/f.txt"]
    # Following links must still terminate (visited directories are remembered).
    followed = names(walk(root, follow_symlinks=True))
    assert "a/f.txt" in followed and len(followed) < 10


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read everything")
def test_unreadable_directory_is_reported_not_fatal(tmp_path):
    root = tmp_path / "tree"
    (root / "closed").mkdir(parents=True)
    (root / "closed" / "x.txt").write_text("x")
    (root / "open.txt").write_text("y")
    os.chmod(root / "closed", 0)
    try:
        entries = walk(root)
    finally:
        os.chmod(root / "closed", 0o700)
    assert names(entries) == ["open.txt"]
    errors = [e for e in entries if isinstance(e, WalkError)]
    assert errors and "closed" in errors[0].display and errors[0].reason.startswith("io:")


def test_unreadable_directory_as_other_user():
    """Same as above when the tests run as root: a child drops privileges after import."""
    if os.geteuid() != 0:
        pytest.skip("covered by the non-root test")
    import shutil
    import subprocess
    import sys
    import tempfile

    base = tempfile.mkdtemp(prefix="pvscan-perm-")
    try:
        os.chmod(base, 0o755)
        root = os.path.join(base, "tree")
        os.makedirs(os.path.join(root, "closed"), mode=0o755)
        for rel in ("closed/x.txt", "open.txt"):
            with open(os.path.join(root, rel), "w") as fh:
                fh.write("x")
        os.chmod(os.path.join(root, "open.txt"), 0o644)
        os.chmod(os.path.join(root, "closed"), 0o700)
        code = (
            "import os\n"
            "from pvscan.plugins.sources.local import LocalSource\n"
            "from pvscan.model import Settings, WalkError\n"
            "os.setgid(65534); os.setuid(65534)\n"
            f"e = list(LocalSource().walk({root!r}, Settings()))\n"
            "print(sorted(os.path.basename(x.url) for x in e if not isinstance(x, WalkError)))\n"
            "print([x.reason[:3] for x in e if isinstance(x, WalkError)])\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split("\n")
    finally:
        shutil.rmtree(base)
    assert out[0] == "['open.txt']"
    assert out[1] == "['io:']"


def test_non_utf8_name_round_trips(tmp_path):
    root = tmp_path / "tree"
    root.mkdir()
    raw = os.fsencode(str(root)) + b"/r\xf8ntgen.txt"
    with open(raw, "wb") as fh:
        fh.write(b"hei")
    (ref,) = walk(root)
    assert os.fsencode(ref.url) == raw
    with LocalSource().open(ref, Settings()) as fh:
        assert fh.read() == b"hei"


def test_excludes_and_stamp(tmp_path):
    root = tmp_path / "tree"
    (root / "node_modules").mkdir(parents=True)
    (root / "node_modules" / "x.txt").write_text("x")
    (root / "keep.txt").write_text("abc")
    (root / "skip.tmp").write_text("x")
    entries = walk(root, exclude=("node_modules", "*.tmp"))
    (ref,) = entries
    st = os.stat(root / "keep.txt")
    assert ref.stamp() == (3, st.st_mtime_ns, f"{st.st_dev}:{st.st_ino}")
    assert ref.owner


def test_file_vanishing_during_walk_is_not_fatal(tmp_path):
    root = tmp_path / "tree"
    root.mkdir()
    for i in range(5):
        (root / f"f{i}.txt").write_text("x")
    it = LocalSource().walk(str(root), Settings())
    first = next(it)
    (root / "f3.txt").unlink()
    rest = list(it)
    got = {os.path.basename(e.url) for e in [first, *rest] if isinstance(e, ItemRef)}
    assert "f3.txt" not in got and {"f0.txt", "f4.txt"} <= got


def test_single_file_root(tmp_path):
    p = tmp_path / "one.txt"
    p.write_text("x")
    (ref,) = walk(p)
    assert ref.url == str(p)


def test_entries_come_in_path_order_with_their_stamp(tmp_path):
    """Depth first and in path order (the inventory's index order), a subfolder where
    its name sorts, not after the folder's files; ``ref_for`` gives the walk's ref."""
    root = tmp_path / "tree"
    for rel in ("c.txt", "a.txt", "B.txt", "b/y/z.txt", "b/x.txt", "d/e.txt"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    src = LocalSource()
    entries = list(src.entries(str(root), Settings()))
    rels = [os.path.relpath(e[0], root) for e in entries]
    assert rels == ["B.txt", "a.txt", "b/x.txt", "b/y/z.txt", "c.txt", "d/e.txt"]
    keys = [os.fsencode(e[0]) for e in entries]
    assert keys == sorted(keys)
    st = os.stat(root / "b" / "x.txt")
    assert entries[2][1:4] == (st.st_size, st.st_mtime_ns, f"{st.st_dev}:{st.st_ino}")
    assert [src.ref_for(e) for e in entries] == walk(root)
