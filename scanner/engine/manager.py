"""Building the plugin manager.

A fresh manager per call (no import-time global), so tests and worker processes get
exactly the plugins they ask for. Built-in plugins are listed once, in
``DEFAULT_PLUGINS``; third-party plugins come from the ``pvscan`` entry-point group
through pluggy's own loader, which also records their distribution for ``pvscan plugins``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

import pluggy

from pvscan import __version__, hookspecs

#: The built-in plugins (name -> module), registered exactly like third-party ones, which
#: arrive through the ``pvscan`` entry-point group. The one table of them: the names are
#: what ``make_plugin_manager(blocked=...)`` and ``pvscan plugins`` use.
DEFAULT_PLUGINS: dict[str, str] = {
    # sources
    "local": "pvscan.plugins.sources.local",
    "smb": "pvscan.plugins.sources.smb",
    "imap": "pvscan.plugins.sources.imap",
    "m365": "pvscan.plugins.sources.m365",
    # documents
    "text": "pvscan.plugins.documents.text",
    "html": "pvscan.plugins.documents.html",
    "rtf": "pvscan.plugins.documents.rtf",
    "pdf": "pvscan.plugins.documents.pdf",
    "ocr": "pvscan.plugins.documents.ocr",
    # office
    "docx": "pvscan.plugins.office.docx",
    "xlsx": "pvscan.plugins.office.xlsx",
    "pptx": "pvscan.plugins.office.pptx",
    "office_legacy": "pvscan.plugins.office.legacy",
    "odf": "pvscan.plugins.office.odf",
    "encrypted": "pvscan.plugins.office.encrypted",
    # mail
    "mail_eml": "pvscan.plugins.mail.eml",
    "mail_mbox": "pvscan.plugins.mail.mbox",
    "mail_msg": "pvscan.plugins.mail.msg",
    "mail_pst": "pvscan.plugins.mail.pst",
    "mail_tnef": "pvscan.plugins.mail.tnef",
    # archives
    "archive": "pvscan.plugins.archives.archive",
    # detectors
    "patterns": "pvscan.patterns.plugin",
    # report writers
    "report_html": "pvscan.reports.html",
    "report_xlsx": "pvscan.reports.xlsx",
    "report_tabular": "pvscan.reports.tabular",
    # commands
    "cli_scan": "pvscan.cli.scan_commands",
    "cli_workflows": "pvscan.cli.workflows",
    "cli_worker": "pvscan.cli.worker",
    "cli_serve": "pvscan.cli.serve_commands",
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
    for name, modname in DEFAULT_PLUGINS.items():
        if not pm.is_blocked(name):
            pm.register(importlib.import_module(modname), name=name)
    if load_entrypoints:
        # Import errors of a third-party plugin are loud on purpose (as in pytest).
        pm.load_setuptools_entrypoints("pvscan")
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
        builtin = name in DEFAULT_PLUGINS and dist is None
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        out.append(
            {
                "name": name,
                "module": getattr(plugin, "__name__", type(plugin).__name__),
                "dist": f"{dist.project_name} {dist.version}"
                if dist
                else f"pvscan {__version__}"
                if builtin
                else "",
                "hooks": ", ".join(hooks),
            }
        )
    return sorted(out, key=lambda p: p["name"])
