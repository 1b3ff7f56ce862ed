"""Building the plugin manager.

A fresh manager per call (no import-time global), so tests and worker processes get
exactly the plugins they ask for. Built-in plugins are listed in ``DEFAULT_PLUGINS`` and
also declared as entry points; both routes register the same module once.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from importlib.metadata import entry_points

import pluggy

from . import hookspecs

#: Built-in plugins (entry-point name -> module), registered like third-party ones.
#: The same table is ``[project.entry-points.pvscan]`` in pyproject.toml (a test checks
#: they agree); this copy keeps a source checkout without installed metadata working.
DEFAULT_PLUGINS: dict[str, str] = {
    "local": "pvscan.plugins.source_local",
    "text": "pvscan.plugins.text",
    "docx": "pvscan.plugins.office_docx",
    "xlsx": "pvscan.plugins.office_xlsx",
    "pptx": "pvscan.plugins.office_pptx",
    "office_legacy": "pvscan.plugins.office_legacy",
    "odf": "pvscan.plugins.odf",
    "rtf": "pvscan.plugins.rtf",
    "html": "pvscan.plugins.html",
    "pdf": "pvscan.plugins.pdf",
    "ocr": "pvscan.plugins.ocr",
    "encrypted": "pvscan.plugins.encrypted",
    "mail_eml": "pvscan.plugins.mail_eml",
    "mail_mbox": "pvscan.plugins.mail_mbox",
    "mail_msg": "pvscan.plugins.mail_msg",
    "mail_pst": "pvscan.plugins.mail_pst",
    "mail_tnef": "pvscan.plugins.mail_tnef",
    "archive": "pvscan.plugins.archive",
    "smb": "pvscan.plugins.source_smb",
    "imap": "pvscan.plugins.source_imap",
    "patterns": "pvscan.patterns.plugin",
    "report_html": "pvscan.reports.html",
    "report_xlsx": "pvscan.reports.xlsx",
    "report_tabular": "pvscan.reports.tabular",
}


def make_plugin_manager(
    load_entrypoints: bool = True,
    blocked: Iterable[str] = (),
    extra: Iterable[object] = (),
) -> pluggy.PluginManager:
    """A new manager with the built-ins, the installed entry-point plugins and ``extra``.

    ``blocked`` names (entry-point names such as ``"pdf"``) are left out, which is how a
    user switches off a built-in plugin.
    """
    pm = pluggy.PluginManager("pvscan")
    pm.add_hookspecs(hookspecs)
    for name in blocked:
        pm.set_blocked(name)
    if load_entrypoints:
        for ep in entry_points(group="pvscan"):
            if pm.is_blocked(ep.name) or pm.get_plugin(ep.name) is not None:
                continue
            plugin = ep.load()  # import errors are loud on purpose
            if not pm.is_registered(plugin):
                pm.register(plugin, name=ep.name)
    for name, modname in DEFAULT_PLUGINS.items():
        if pm.is_blocked(name) or pm.get_plugin(name) is not None:
            continue
        mod = importlib.import_module(modname)
        if not pm.is_registered(mod):
            pm.register(mod, name=name)
    for plugin in extra:
        pm.register(plugin)
    pm.check_pending()
    return pm


def plugin_list(pm: pluggy.PluginManager) -> list[dict[str, str]]:
    """Name, module, distribution and hooks of every registered plugin."""
    dists = {id(p): d for p, d in pm.list_plugin_distinfo()}
    out = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        dist = dists.get(id(plugin))
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        out.append(
            {
                "name": name,
                "module": getattr(plugin, "__name__", type(plugin).__name__),
                "dist": f"{dist.project_name} {dist.version}" if dist else "",
                "hooks": ", ".join(hooks),
            }
        )
    return sorted(out, key=lambda p: p["name"])
