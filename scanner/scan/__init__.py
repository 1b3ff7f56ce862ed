"""The coordinator: walk the sources, skip what is unchanged, hand the rest to the
engine's workers and store their results in the inventory in batches."""

from pvscan.inventory import ScanLocked
from pvscan.scan.coordinator import (
    RootUnreachable,
    ScanInterrupted,
    ScanLock,
    ScanSummary,
    check_roots,
    normalise_root,
    scan,
)

__all__ = [
    "RootUnreachable",
    "check_roots",
    "ScanInterrupted",
    "ScanLock",
    "ScanLocked",
    "ScanSummary",
    "normalise_root",
    "scan",
]
