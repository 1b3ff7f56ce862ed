"""The value types that flow between sources, extractors, detectors and the inventory.

Everything here is a plain dataclass and picklable, because the per-item work runs in
worker processes: an :class:`ItemRef` and :class:`Settings` go in, an :class:`ItemResult`
comes out. Plugins import these names from :mod:`pvscan.model`.
"""

from __future__ import annotations

import io
import operator
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import IO, Any

#: Confidence levels in increasing order. A finding below ``Settings.min_confidence``
#: is dropped before it reaches the inventory.
CONFIDENCES = ("low", "medium", "high")


def confidence_rank(level: str) -> int:
    return CONFIDENCES.index(level) if level in CONFIDENCES else 0


# --------------------------------------------------------------------------- errors
class Unscannable(Exception):
    """Raised by an extractor or source when an item cannot be read.

    ``category`` is one of ``encrypted``, ``corrupt``, ``limit``, ``unsupported``,
    ``unavailable`` (a tool such as OCR is missing), ``timeout``, ``memory``,
    ``error`` (a plugin raised something unexpected) or ``io``. The inventory records
    ``"<category>: <detail>"`` as the reason, which is what users and the bench read.
    """

    category = "error"

    def __init__(self, detail: str, category: str | None = None):
        super().__init__(detail)
        self.detail = detail
        if category:
            self.category = category

    @property
    def reason(self) -> str:
        return f"{self.category}: {self.detail}"


class EncryptedError(Unscannable):
    category = "encrypted"


class CorruptError(Unscannable):
    category = "corrupt"


class LimitExceeded(Unscannable):
    """An item is over a configured limit (size, archive ratio, nesting, member count)."""

    category = "limit"


class UnsupportedError(Unscannable):
    category = "unsupported"


class ChangedSinceScan(Exception):
    """Raised by :meth:`pvscan.interfaces.Source.delete` when the item is no longer the
    version that was scanned (its stamp moved on): what would be deleted is not what
    was reviewed, so the deletion workflow refuses it."""


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class Settings:
    """Everything that decides what a scan of one item produces.

    ``signature()`` of the fields that change findings is stored with each item, so an
    incremental scan re-reads items whose results would differ under new settings.
    """

    reveal: bool = False
    ocr: bool = True
    include_synthetic: bool = True
    min_confidence: str = "medium"
    rules_file: str | None = None
    follow_symlinks: bool = False
    #: Restore a local file's access time after reading it (see process._restore_atime).
    preserve_atime: bool = True
    exclude: tuple[str, ...] = ()
    lang: str = "nb"
    #: Per-item wall-clock limit in seconds (enforced by the worker pool).
    time_limit: float = 120.0
    #: Per-worker memory limit in bytes (enforced by the worker pool).
    memory_limit: int = 1536 * 1024 * 1024
    #: Files larger than this are recorded as over the limit, not read.
    max_file_bytes: int = 2 * 1024**3
    #: Text taken from one item at most (characters); the rest is reported as a gap.
    max_text_chars: int = 50_000_000
    #: Container guards.
    max_depth: int = 5
    max_members: int = 10_000
    max_ratio: float = 200.0
    max_unpacked_bytes: int = 512 * 1024**2
    #: Extra keyword arguments for third-party plugins.
    extra: tuple[tuple[str, Any], ...] = ()

    def signature(self) -> str:
        """The part of the settings that changes findings (not limits or output)."""
        return f"syn={int(self.include_synthetic)};conf={self.min_confidence};ocr={int(self.ocr)};rules={self.rules_file or ''}"


# --------------------------------------------------------------------------- items
@dataclass(frozen=True)
class ItemRef:
    """A reference to one top-level item (a file on disk or a share, a mail message).

    ``url`` identifies it for the source (``/abs/path`` for local files,
    ``smb://server/share/p``, ``imaps://user@host/INBOX;UID=42``). ``display`` is what
    users and the JSON Lines output see as ``file``. The stamp (size, mtime_ns, file_id)
    decides whether an incremental scan must read it again.
    """

    source: str
    url: str
    display: str
    size: int
    mtime_ns: int
    file_id: str = ""
    owner: str = ""
    meta: tuple[tuple[str, Any], ...] = ()

    @property
    def name(self) -> str:
        return self.display.replace("\\", "/").rsplit("/", 1)[-1]

    def stamp(self) -> tuple[int, int, str]:
        return (self.size, self.mtime_ns, self.file_id)

    @classmethod
    def fast(
        cls,
        source: str,
        url: str,
        display: str,
        size: int,
        mtime_ns: int,
        file_id: str,
        owner: str,
        meta: tuple[tuple[str, Any], ...],
    ) -> ItemRef:
        """The same object as ``ItemRef(...)`` with every field given, without the
        frozen dataclass's per-field ``object.__setattr__``: a walker makes one per
        file of the share, and a re-scan is mostly that."""
        ref = object.__new__(cls)
        ref.__dict__.update(
            source=source,
            url=url,
            display=display,
            size=size,
            mtime_ns=mtime_ns,
            file_id=file_id,
            owner=owner,
            meta=meta,
        )
        return ref


#: What a source's walk knows of an item before it is read: ``(url, size, mtime_ns,
#: file_id, detail)``. The first four are the stamp a re-scan compares; ``detail`` is
#: the source's own, from which ``Source.ref_for`` builds the full :class:`ItemRef`.
#: A plain tuple, not a class: one is made for every file of the share on every scan.
Entry = tuple[str, int, int, str, Any]


@dataclass
class WalkError:
    """A place a source could not list or stat (permission denied, vanished, I/O)."""

    display: str
    reason: str


class ItemData:
    """The bytes of an item as an extractor sees them.

    Extractors should prefer ``path`` (a real local file, so libraries can seek and
    stream) and fall back to ``open()``. ``read()`` is for small items only: it loads
    everything. ``head`` holds the first bytes for magic sniffing; ``kind`` is the
    sniffed type (see :mod:`pvscan.engine.sniff`).
    """

    def __init__(
        self,
        name: str,
        *,
        path: str | None = None,
        data: bytes | None = None,
        opener: Callable[[], IO[bytes]] | None = None,
        size: int | None = None,
        depth: int = 0,
        kind_hint: str | None = None,
    ):
        self.name = name
        self.path = path
        self._data = data
        self._opener = opener
        if size is None:
            if data is not None:
                size = len(data)
            elif path is not None:
                size = os.stat(path).st_size
        self.size = size or 0
        self.depth = depth
        self.kind = "unknown"
        #: The source knows the type (an IMAP message is RFC 822): skip sniffing.
        self.kind_hint = kind_hint
        self._head: bytes | None = None

    @property
    def extension(self) -> str:
        base = self.name.rsplit("/", 1)[-1]
        return base.rsplit(".", 1)[-1].lower() if "." in base else ""

    def open(self) -> IO[bytes]:
        if self.path is not None:
            return open(self.path, "rb")
        if self._data is not None:
            return io.BytesIO(self._data)
        if self._opener is not None:
            return self._opener()
        raise CorruptError("no data")

    def read(self, limit: int | None = None) -> bytes:
        if self._data is not None and limit is None:
            return self._data
        with self.open() as fh:
            return fh.read() if limit is None else fh.read(limit)

    @property
    def head(self) -> bytes:
        if self._head is None:
            self._head = self.read(8192) if self._data is None else self._data[:8192]
        return self._head


@dataclass
class Segment:
    """A piece of text with where it stands in the item.

    ``location`` is human-readable and Norwegian (``side 2``, ``Ark1!B3``,
    ``avsnitt 4``, ``topptekst``, ``emne``, ``linje 12``). ``context`` carries text that
    is near but not part of the segment, such as a table's column header, so detectors
    can use it for context words.
    """

    text: str
    location: str = ""
    context: str = ""

    def location_at(self, offset: int) -> str:
        """The location of the character at ``offset``; segments that join several
        places (a table row's cells) override this to name the exact one."""
        return self.location


@dataclass
class InnerItem:
    """An item inside another (mail attachment, archive member, embedded message).

    ``name`` is the readable step of the item path (``vedlegg: attest.pdf``); the core
    joins steps with `` / ``.
    """

    name: str
    data: ItemData


@dataclass
class Gap:
    """A part of an item that was not read (an encrypted attachment, an OCR page
    without Tesseract). Recorded as an unscannable inner item with its reason."""

    location: str
    reason: str


Extracted = Segment | InnerItem | Gap


@dataclass
class Finding:
    """One match. ``value`` is the normalised raw value and never leaves the worker
    unmasked unless the user asked for ``--reveal``."""

    type: str
    value: str
    location: str = ""
    confidence: str = "medium"
    detector: str = ""
    variant: str | None = None
    item: str = ""
    #: The other reading of an ambiguous value (a fødselsnummer that is also a valid
    #: kontonummer), kept so a search by either finds it.
    alt_type: str | None = None
    start: int = 0
    end: int = 0

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle as the class and its field values: a worker sends thousands of
        findings per spreadsheet, and this halves their unpickling in the coordinator
        (the default pickles each one's ``__dict__``)."""
        return (Finding, _finding_fields(self))


#: The field values of a Finding, in order (for its ``__reduce__``).
_finding_fields = operator.attrgetter(*(f.name for f in fields(Finding)))


@dataclass
class Problem:
    """An unscannable item or part of one."""

    item: str
    reason: str


@dataclass
class ItemResult:
    """What the per-item work returns; written to the inventory by the main process."""

    ref: ItemRef
    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    kind: str = ""
    extractor: str = ""
    inner_items: int = 0
    #: True when the top-level item itself could not be read.
    unscannable: bool = False
    elapsed: float = 0.0
    #: ``"program: …"`` or ``"media: …"`` when the item is not a document and was
    #: deliberately not read (not a problem; listed in the coverage record).
    skipped: str = ""
    #: Work counted while reading it (``ocr.pages_read`` …; see pvscan.util.counters).
    counters: dict[str, int] = field(default_factory=dict)
    #: The URL of a byte-identical item stored earlier in this scan, when this item is
    #: its copy (set by :mod:`pvscan.scan.duplicates`; ``findings`` is then empty): the
    #: inventory gives the copy the original's stored findings.
    copy_of: str = ""


#: Special categories (GDPR art. 9/10 and child welfare): must never stay in shares or mail.
SENSITIVE = (
    "helse",
    "barnevern",
    "religion",
    "etnisitet",
    "fagforening",
    "seksualitet",
    "politikk",
    "straff",
)
