"""The plugin manager and the plugin contract (hookspecs)."""

from __future__ import annotations

import inspect
import tomllib
from pathlib import Path

import pytest

from pvscan import __version__, hookimpl, hookspecs
from pvscan.engine.manager import DEFAULT_PLUGINS, make_plugin_manager, plugin_list
from pvscan.model import Segment, Settings, Unscannable
from pvscan.testing import process_file

ROOT = Path(__file__).resolve().parents[3]


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_builtins_are_listed_once():
    """One table of built-in plugins: pyproject.toml declares no entry points of its own
    (a second table would drift), and every built-in module exists."""
    assert "entry-points" not in pyproject()["project"]
    for name, module in DEFAULT_PLUGINS.items():
        assert module.startswith("pvscan."), name


def test_plugins_list_shows_distribution_and_version():
    rows = {p["name"]: p for p in plugin_list(make_plugin_manager())}
    assert rows["docx"]["dist"] == f"pvscan {__version__}"
    assert rows["docx"]["module"] == "pvscan.plugins.office.docx"


def test_every_package_folder_is_listed():
    """An editable install finds folders a wheel would leave out (STYLE.md): every
    folder with __init__.py must be in the explicit package list."""
    cfg = pyproject()["tool"]["setuptools"]
    mapping = {v: k for k, v in cfg["package-dir"].items()}
    for top, pkg in mapping.items():
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top)
            name = ".".join([pkg, *rel.parts]) if rel.parts else pkg
            assert name in cfg["packages"], f"{name} missing from [tool.setuptools] packages"


def test_every_hook_is_documented():
    hooks = [f for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("pvscan_")]
    assert len(hooks) >= 6
    for h in hooks:
        assert h.__doc__ and len(h.__doc__.strip()) > 40, h.__name__


def test_builtins_registered_once_under_entry_point_names():
    pm = make_plugin_manager()
    names = {p["name"] for p in plugin_list(pm)}
    assert set(DEFAULT_PLUGINS) <= names
    modules = [p["module"] for p in plugin_list(pm)]
    assert len(modules) == len(set(modules)), "a plugin module was registered twice"


def test_blocked_plugin_is_left_out():
    pm = make_plugin_manager(blocked=["text"])
    assert "text" not in {p["name"] for p in plugin_list(pm)}


class RaisingExtractorPlugin:
    """An extractor that claims .boom files and raises an unexpected error."""

    class Boom:
        name, version, kinds, extensions, priority = "boom", "1", (), ("boom",), 100

        def claims(self, item):
            return item.extension == "boom"

        def extract(self, item, settings):
            yield Segment("partial text", "linje 1")
            raise ZeroDivisionError("plugin bug")

    @hookimpl
    def pvscan_extractors(self):
        return [self.Boom()]


class RaisingDetectorPlugin:
    class Bad:
        id, version, types = "bad", "1", ("x",)

        def detect(self, segment, doc):
            raise RuntimeError("detector bug")

        def finish(self, doc):
            return ()

    @hookimpl
    def pvscan_detectors(self, settings):
        return [self.Bad()]


def test_raising_extractor_is_isolated(tmp_path):
    from pvscan.engine.process import Engine

    (tmp_path / "a.boom").write_text("x")
    (tmp_path / "b.txt").write_text("hello")
    eng = Engine(Settings(), make_plugin_manager(extra=[RaisingExtractorPlugin()]))
    bad = process_file(tmp_path / "a.boom", eng)
    assert bad.unscannable
    assert bad.problems[0].reason.startswith("error: boom: ZeroDivisionError: plugin bug")
    good = process_file(tmp_path / "b.txt", eng)
    assert not good.unscannable and not good.problems


def test_raising_detector_is_isolated_and_others_still_run(tmp_path):
    from pvscan.engine.process import Engine
    from pvscan.testing import SubstringDetector, _DetectorPlugin

    (tmp_path / "b.txt").write_text("find NEEDLE here")
    pm = make_plugin_manager(
        extra=[RaisingDetectorPlugin(), _DetectorPlugin([SubstringDetector(["NEEDLE"])])]
    )
    res = process_file(tmp_path / "b.txt", Engine(Settings(), pm))
    assert [f.value for f in res.findings if f.type == "test"] == ["NEEDLE"]
    assert any("detector bad: RuntimeError" in p.reason for p in res.problems)
    assert not res.unscannable


def test_unscannable_reason_format():
    exc = Unscannable("password required", "encrypted")
    assert exc.reason == "encrypted: password required"


def test_misspelled_hook_fails_loudly():
    class Typo:
        @hookimpl
        def pvscan_extractor(self):  # missing "s"
            return []

    with pytest.raises(Exception, match="unknown hook"):
        make_plugin_manager(extra=[Typo()])
