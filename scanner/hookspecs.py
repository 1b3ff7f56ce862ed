"""The plugin contract: every hook pvscan calls, when, with what, and what it returns.

A plugin is a module or object with functions named after these hooks and decorated
with ``@pvscan.hookimpl``. Built-in plugins are registered exactly like third-party
ones, through the ``pvscan`` entry-point group::

    [project.entry-points.pvscan]
    my_format = "my_package.my_module"

Hooks that return lists are called on every plugin and the lists are joined; a plugin
that raises while registering is reported loudly (import errors are programming
errors), while a plugin that raises while *working on an item* only makes that item
unscannable with the reason, and the scan goes on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from pvscan.interfaces import Detector, Extractor, ReportWriter, Source
    from pvscan.model import Settings

hookspec = pluggy.HookspecMarker("pvscan")


@hookspec
def pvscan_sources() -> list[Source]:
    """Return source instances (local folders, SMB shares, IMAP mailboxes …).

    Called once per scan. The first source whose ``handles(root)`` is true walks a root;
    sources of the same scheme registered later are ignored.
    """


@hookspec
def pvscan_extractors() -> list[Extractor]:
    """Return extractor instances.

    Called once per worker process. For each item the core sniffs the type by magic
    bytes (``ItemData.kind``), asks each extractor's ``claims(item)``, and runs the one
    with the highest ``priority``. ``extract`` yields :class:`~pvscan.model.Segment`
    (text with a location), :class:`~pvscan.model.InnerItem` (attachments, archive
    members; scanned recursively) and :class:`~pvscan.model.Gap` (a part that could not
    be read). It raises :class:`~pvscan.model.Unscannable` subclasses (``EncryptedError``,
    ``CorruptError``, ``LimitExceeded``) for items it cannot read; anything else it
    raises is recorded as ``error: <plugin>: <exception>``.
    """


@hookspec
def pvscan_detectors(settings: Settings) -> list[Detector]:
    """Return detector instances configured for ``settings``.

    Called once per worker process. Each detector's ``detect(segment, doc)`` is called
    for every text segment of an item and ``finish(doc)`` once at its end. A detector
    that raises is isolated: its findings for that item are lost, the failure is
    recorded, other detectors still run.
    """


@hookspec
def pvscan_report_writers() -> list[ReportWriter]:
    """Return report writer instances; ``pvscan report --format NAME`` picks one by
    its ``formats``."""


@hookspec
def pvscan_register_commands(cli: click.Group) -> None:
    """Add click commands to the ``pvscan`` command group."""


@hookspec
def pvscan_scan_finished(db_path: str, scan_id: int, summary: dict[str, Any]) -> None:
    """Called after a scan has committed its last results (notifications, exports)."""
