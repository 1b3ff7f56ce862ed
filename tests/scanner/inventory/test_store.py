"""The inventory: stamps looked up in chunks, change kinds, gone marking by path."""

from __future__ import annotations

import os
import stat

from pvscan.identity import masking
from pvscan.inventory import Inventory, is_postgres, path_key, under_roots
from pvscan.model import Finding, ItemRef, ItemResult


def ref(path: str, size: int = 10, mtime: int = 1) -> ItemRef:
    return ItemRef("local", path, path, size, mtime, "1:2")


def store(inv: Inventory, scan_id: int, r: ItemRef, value: str = "x") -> str:
    res = ItemResult(ref=r, findings=[Finding("test", value, "linje 1", "high")])
    return inv.store_result(scan_id, "/r", res, "sig", False, masking)


def test_change_kinds_lookup_and_gone(tmp_path, monkeypatch, db_target):
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    db = db_target
    with Inventory(db) as inv:
        s1, _ = inv.start_scan(["/r"], "s", {}, [], False)
        assert store(inv, s1, ref("/r/a")) == "new"
        assert store(inv, s1, ref("/r/b")) == "new"
        assert store(inv, s1, ref("/r2/c")) == "new"  # another root with a common prefix
        inv.db.commit()
        inv.finish_scan(s1, "done", {})
        sig = inv.lookup("/r/a").sig
        rows = inv.reusable_many([path_key("/r/a"), path_key("/r/b"), path_key("/r/zz")], sig, False)
        assert set(rows) == {b"/r/a", b"/r/b"} and rows[b"/r/a"][2:] == (10, 1, "1:2")
        # out of order: looked up one by one; another signature or --reveal: nothing stands
        rows = inv.reusable_many([path_key("/r/b"), path_key("/r/a")], sig, False)
        assert set(rows) == {b"/r/a", b"/r/b"}
        assert inv.reusable_many([path_key("/r/a")], sig + "x", False) == {}
        assert inv.reusable_many([path_key("/r/a")], sig, True) == {}
        assert set(inv.reusable_many([path_key("/r/a")], sig, False, stored_in=s1)) == {b"/r/a"}
        assert inv.reusable_many([path_key("/r/a")], sig, False, stored_in=s1 + 1) == {}

        s2, resumed = inv.start_scan(["/r"], "s", {}, [], False)
        assert not resumed and s2 > s1
        inv.begin_seen()
        assert store(inv, s2, ref("/r/a", size=11)) == "changed"
        inv.add_seen([inv.last_item_id])
        assert inv.mark_gone(s2, ["/r"]) == 1  # /r/b; /r2/c is not under /r
        assert {bytes(r[0]): r[1] for r in inv.db.execute("SELECT path, status FROM items")} == {
            b"/r/a": "ok",
            b"/r/b": "gone",
            b"/r2/c": "ok",
        }
        assert inv.db.execute("SELECT COUNT(*) FROM findings").fetchone()[0] == 2
        assert store(inv, s2, ref("/r/b")) == "new"  # it came back
        assert store(inv, s2, ref("/r/a", size=11)) == "rescanned"
        inv.db.commit()
        assert {r["change"] for r in inv.changes(s2)} == {"changed", "new"}
    if not is_postgres(db):
        assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


def test_under_roots_matches_the_root_and_below_only(db_target):
    with Inventory(db_target) as inv:
        for p in ("/a", "/a/x", "/a/y/z", "/ab", "/a0", "/b"):
            inv.db.execute(
                "INSERT INTO items(path, display, root, source, status) VALUES(?,?,?,?,?)",
                (path_key(p), p, "/", "local", "ok"),
            )
        cond, args = under_roots(["/a/"])
        got = {bytes(r[0]) for r in inv.db.execute(f"SELECT path FROM items WHERE {cond}", args)}
    assert got == {b"/a", b"/a/x", b"/a/y/z"}


def _has_hash_index(inv: Inventory) -> bool:
    if is_postgres(inv.path):
        sql = "SELECT 1 FROM pg_indexes WHERE indexname='findings_hash'"
    else:
        sql = "SELECT 1 FROM sqlite_master WHERE name='findings_hash'"
    return inv.db.execute(sql).fetchone() is not None


def test_first_scan_builds_the_hash_index_at_the_end(tmp_path, monkeypatch, db_target, request):
    """A first scan stores findings without the random-order hash index and builds it
    afterwards; a scan of a filled inventory keeps it; a scan killed before the end
    gets it back on the next open; and the stored hashes are the same either way."""
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    with Inventory(db_target) as inv:
        s1, _ = inv.start_scan(["/r"], "s", {}, [], False)
        with inv.bulk_load():
            assert not _has_hash_index(inv)
            store(inv, s1, ref("/r/a"), value="12345678901")
            store(inv, s1, ref("/r/b"), value="12345678901")
        assert _has_hash_index(inv)
        hashes = {h for (h,) in inv.db.execute("SELECT hash FROM findings")}
        assert hashes == {masking.keyed_hash("12345678901")}
        with inv.bulk_load():
            assert _has_hash_index(inv)  # findings exist: maintained row by row
    db2 = (
        request.getfixturevalue("pg_server").create_database("killed")
        if is_postgres(db_target)
        else tmp_path / "killed.sqlite"
    )
    with Inventory(db2) as inv:
        # what a first scan killed inside bulk_load() leaves behind
        inv.db.execute("DROP INDEX findings_hash")
        inv.db.commit()
    with Inventory(db2) as inv:
        assert _has_hash_index(inv)


def test_masking_memo_is_bounded_and_gives_the_same_rows(tmp_path, monkeypatch, db_target):
    """The coordinator's memo of masked values and hashes stays under its cap and
    returns what masking itself returns."""
    monkeypatch.setenv("PVSCAN_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(Inventory, "MASK_MEMO", 2)
    with Inventory(db_target) as inv:
        s1, _ = inv.start_scan(["/r"], "s", {}, [], False)
        values = ["12345678901", "98765432109", "12345678901", "55512345", "98765432109"]
        for n, v in enumerate(values):
            store(inv, s1, ref(f"/r/{n}"), value=v)
        rows = list(inv.db.execute("SELECT masked, hash FROM findings ORDER BY id"))
        assert [tuple(r) for r in rows] == [(masking.mask("test", v), masking.keyed_hash(v)) for v in values]
