"""Base classes that plugins subclass: sources, extractors, detectors, report writers.

They carry metadata (name, version, what they claim) like ripgrep-all's adapters, so the
core can pick the right one and record *which plugin at which version* produced a
result; an incremental scan re-reads an item when that changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any, ClassVar

from pvscan.model import Entry, Extracted, Finding, ItemData, ItemRef, Segment, Settings, WalkError


class Source:
    """Where items come from. One instance serves every root with its URL scheme.

    ``walk`` lists top-level items without reading them; ``open`` returns their bytes.
    ``local_path`` lets an extractor read a local file in place (no copy).
    """

    name: ClassVar[str] = "source"
    version: ClassVar[str] = "1"
    schemes: ClassVar[tuple[str, ...]] = ()
    #: The source can remove its own items (:meth:`delete`); without it the deletion
    #: workflow leaves them to a person ("manual").
    can_delete: ClassVar[bool] = False

    def handles(self, root: str) -> bool:
        scheme = root.split("://", 1)[0].lower() if "://" in root else "file"
        return scheme in self.schemes

    def prepare(self, root: str) -> None:
        """Called once per root in the main process before any worker starts: ask for
        credentials here (a prompt in a worker would never be seen), check the server
        is reachable. Workers inherit what this puts in the environment."""

    def walk(self, root: str, settings: Settings) -> Iterator[ItemRef | WalkError]:
        raise NotImplementedError

    def entries(self, root: str, settings: Settings) -> Iterator[Entry | WalkError]:
        """The walk as a scan consumes it: each item's stamp first, as an
        :data:`~pvscan.model.Entry` ``(url, size, mtime_ns, file_id, detail)``, and its
        full :class:`ItemRef` (``ref_for``) only when it will be read.

        A re-scan compares the stamps of every item of the share and reads almost none,
        so a source whose references cost something to build (the local walker looks
        up owner, mode and a printable name per file) overrides this and ``ref_for`` to
        build them only for what changed. Entries should come in ``url`` order where the
        source can (the inventory then finds a run of them with one range scan); any
        order is correct. The default wraps :meth:`walk`."""
        for ref in self.walk(root, settings):
            if isinstance(ref, WalkError):
                yield ref
            else:
                yield (ref.url, ref.size, ref.mtime_ns, ref.file_id, ref)

    def ref_for(self, entry: Entry) -> ItemRef:
        """The full reference of an entry from :meth:`entries` (its ``detail`` is what
        the source put there; the default's is the reference itself)."""
        ref: ItemRef = entry[4]
        return ref

    def open(self, ref: ItemRef, settings: Settings) -> IO[bytes]:
        raise NotImplementedError

    def restore_state(self, root: str, state: str | None) -> None:
        """Called before a root is walked with what :meth:`saved_state` returned after
        the last *completed* scan of that root (``None`` the first time).

        For sources that can list only what changed (Microsoft Graph's delta queries):
        the state is the delta link and whatever the source needs to list the unchanged
        items again from it, so the coordinator still sees every item's stamp and its
        incremental skip and "gone" logic work as for any other source. An interrupted
        scan never saves state, so its resume starts again from the last good one."""

    def saved_state(self, root: str) -> str | None:
        """The state to keep for ``root`` after a completed scan (stored per root in the
        inventory), or ``None`` to keep none. The default keeps none."""
        return None

    def local_path(self, ref: ItemRef) -> str | None:
        return None

    def deletion_refused(self, url: str) -> str:
        """Why :meth:`delete` may not remove ``url`` now (the organisation has not
        enabled deletion, the app lacks the permission …), or ``""`` when it may.
        Asked while a deletion is planned, so the plan says so and nothing is done."""
        return "this source cannot delete" if not self.can_delete else ""

    def delete(self, url: str, file_id: str) -> str:
        """Remove the item at ``url`` the way its service keeps deleted things
        recoverable (a mail server's Deleted Items, a document library's recycle bin)
        and return a short note of where it went, for the audit log.

        ``file_id`` is the item's stamp from the scan: raise
        :class:`~pvscan.model.ChangedSinceScan` when the item is no longer that version,
        :class:`PermissionError` when the service refuses, :class:`FileNotFoundError`
        when it is gone. Only called for sources with ``can_delete``."""
        raise PermissionError(self.deletion_refused(url) or "this source cannot delete")


class Extractor:
    """Turns an item's bytes into text segments and inner items.

    ``kinds`` are sniffed types (see :mod:`pvscan.engine.sniff`) the extractor claims;
    ``extensions`` (lower case, no dot) are a fallback when sniffing is inconclusive.
    Higher ``priority`` wins when several claim an item.
    """

    name: ClassVar[str] = "extractor"
    version: ClassVar[str] = "1"
    kinds: ClassVar[tuple[str, ...]] = ()
    extensions: ClassVar[tuple[str, ...]] = ()
    priority: ClassVar[int] = 0

    def claims(self, item: ItemData) -> bool:
        if item.kind in self.kinds:
            return True
        return item.kind in ("unknown", "text", "binary", "zip", "ole") and item.extension in self.extensions

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        raise NotImplementedError


class DocState(dict[str, Any]):
    """Per-item scratch space a detector may use between ``detect`` and ``finish``.

    ``findings`` holds everything found in the item so far by all detectors, so
    document-level detectors (health needs a link to a person) can look at it.
    """

    def __init__(self, item: str = "") -> None:
        super().__init__()
        self.item = item
        self.findings: list[Finding] = []


class Detector:
    """Finds personal data in text.

    ``id`` is stable and written to the inventory (choose it carefully).
    ``description`` maps language code (``nb``, ``nn``, ``en``) to one line.
    """

    id: ClassVar[str] = "detector"
    version: ClassVar[str] = "1"
    types: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[dict[str, str]] = {}

    def detect(self, segment: Segment, doc: DocState) -> Iterable[Finding]:
        return ()

    def finish(self, doc: DocState) -> Iterable[Finding]:
        """Called once per item after every segment; return document-level findings."""
        return ()


class ReportWriter:
    """Writes a report from the inventory. ``formats`` are the names users pass to
    ``pvscan report --format``."""

    name: ClassVar[str] = "report"
    version: ClassVar[str] = "1"
    formats: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[dict[str, str]] = {}

    def write(self, data: Any, out: str, fmt: str, lang: str) -> list[str]:
        """Write the report for ``data`` (a :class:`pvscan.workflows.reportdata.ReportData`) to
        ``out`` and return the paths written."""
        raise NotImplementedError
