"""The inventory: the only code that speaks SQL.

Schema and numbered migrations, storing one item's result in one transaction, the
review marks (statuses, exceptions, keep marks) and the read queries the workflows
need, returned as named rows. Nothing outside this package writes SQL or reads a row by
column position; that is what lets another database sit behind the same interface.
"""

from pvscan.inventory.keys import (
    ScanLocked,
    display_target,
    is_postgres,
    now_iso,
    path_key,
    path_keys,
    roots_key,
    under_roots,
)
from pvscan.inventory.store import Inventory, ItemRow, database_errors, scan_lock

__all__ = [
    "Inventory",
    "ItemRow",
    "ScanLocked",
    "database_errors",
    "display_target",
    "is_postgres",
    "now_iso",
    "path_key",
    "path_keys",
    "roots_key",
    "scan_lock",
    "under_roots",
]
