"""A source's per-root state (a Graph delta link, say) is handed back before the next
walk of that root and kept only after a completed scan."""

from __future__ import annotations

import io
import json

import pytest

from pvscan import hookimpl
from pvscan.engine.manager import make_plugin_manager
from pvscan.interfaces import Source
from pvscan.inventory import Inventory
from pvscan.model import ItemRef, Settings
from pvscan.scan import ScanInterrupted, scan


class MemorySource(Source):
    """Items in a dict; its state counts the completed walks, like a delta token."""

    name, version, schemes = "mem", "1", ("mem",)

    def __init__(self) -> None:
        self.files = {"mem://box/a.txt": b"hei", "mem://box/b.txt": b"hallo"}
        self.restored: list[str | None] = []
        self.fail_in_walk = False

    def restore_state(self, root, state):
        self.restored.append(state)
        self.token = json.loads(state)["walks"] if state else 0

    def walk(self, root, settings):
        self.token += 1
        for url, data in sorted(self.files.items()):
            yield ItemRef("mem", url, url, len(data), 1, "etag-1")
        if self.fail_in_walk:
            raise KeyboardInterrupt

    def saved_state(self, root):
        return json.dumps({"walks": self.token})

    def open(self, ref, settings):
        return io.BytesIO(self.files[ref.url])


@pytest.fixture
def source():
    return MemorySource()


def _pm(source):
    class Plugin:
        @hookimpl
        def pvscan_sources(self):
            return [source]

    return make_plugin_manager(blocked=["patterns"], extra=[Plugin()])


def test_state_is_restored_and_saved_per_completed_scan(source, tmp_path):
    db = str(tmp_path / "inv.sqlite")
    pm = _pm(source)
    scan(["mem://box"], db, settings=Settings(ocr=False), workers=0, pm=pm)
    scan(["mem://box"], db, settings=Settings(ocr=False), workers=0, pm=pm)
    assert source.restored == [None, json.dumps({"walks": 1})]
    with Inventory(db) as inv:
        assert json.loads(inv.source_state("mem://box") or "{}") == {"walks": 2}


def test_an_interrupted_scan_keeps_the_last_good_state(source, tmp_path):
    db = str(tmp_path / "inv.sqlite")
    pm = _pm(source)
    scan(["mem://box"], db, settings=Settings(ocr=False), workers=0, pm=pm)
    source.fail_in_walk = True
    with pytest.raises((ScanInterrupted, KeyboardInterrupt)):
        scan(["mem://box"], db, settings=Settings(ocr=False), workers=0, pm=pm)
    with Inventory(db) as inv:
        assert json.loads(inv.source_state("mem://box") or "{}") == {"walks": 1}
