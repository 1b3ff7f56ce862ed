"""Review status, ownership and false-positive exceptions.

Findings rows are rewritten on every re-scan of an item, so a review decision cannot
live on a findings row. It is keyed by what stays stable: the item's path (the same
``path`` key the inventory uses) and the keyed hash of the value (``''`` for a
decision about the whole item). Statuses:

``open``            not handled yet (the default; no row needed)
``false_positive``  not personal data; also becomes an *exception* later scans honour
``deleted``         deleted or moved to quarantine by ``pvscan delete``
``archived``        moved to the case archive (a structured system)
``kept``            kept on purpose, with a reason (legal hold, arkivlova)
``edited``          the personal data was removed from the file (the file stays)
``obsolete``        no longer relevant (e.g. the case is closed elsewhere)

An exception is a (hash, path) pair, or (hash, NULL) for "this value everywhere";
:meth:`Inventory.apply_exceptions` drops matching rows before they are stored.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable

from pvscan.identity import masking
from pvscan.inventory import Inventory, now_iso, path_key
from pvscan.workflows.find import normalise_identifier

STATUSES = ("open", "false_positive", "deleted", "archived", "kept", "edited", "obsolete")
HANDLED = ("false_positive", "deleted", "archived", "kept", "edited", "obsolete")


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in a container
        return str(os.getuid())


# --------------------------------------------------------------------------- marks
def set_status(
    inv: Inventory,
    path: str,
    status: str,
    reason: str = "",
    value_hash: str = "",
    everywhere: bool = False,
    user: str | None = None,
) -> None:
    """Record a review decision for an item (``value_hash=''``) or one value in it.

    A ``false_positive`` for a value also adds an exception (for this file, or for
    every file with ``everywhere``) and removes the finding from the inventory now,
    so reports agree before the next scan.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
    if status == "kept" and not reason:
        raise ValueError("a keep mark needs a reason (e.g. 'arkivlova', 'rettstvist')")
    user = user or current_user()
    inv.set_review(
        path_key(path),
        value_hash,
        status,
        reason,
        user,
        now_iso(),
        exception=status == "false_positive" and bool(value_hash),
        everywhere=everywhere,
    )


def status_for(
    marks: dict[tuple[bytes, str], tuple[str, str]], path: bytes, value_hash: str = ""
) -> tuple[str, str]:
    """The status of a value in an item: its own mark, else the item's, else open."""
    return marks.get((path, value_hash)) or marks.get((path, "")) or ("open", "")


def hashes_for(values: Iterable[str]) -> list[str]:
    return [masking.keyed_hash(normalise_identifier(v)) for v in values]
