"""Who an item belongs to: the person who must handle its findings."""

from __future__ import annotations


def owner_of(display: str, root: str, file_owner: str | None) -> str:
    """Who a finding belongs to: the user whose home folder or mailbox holds it, else
    the file owner. ``/home/kari/…`` and ``imaps://kari@host/…`` belong to kari."""
    if "://" in display:
        rest = display.split("://", 1)[1]
        if "@" in rest.split("/", 1)[0]:
            return rest.split("@", 1)[0]
        return file_owner or ""
    parts = display.split("/")
    for base in ("home", "Users"):
        if len(parts) > 2 and parts[1] == base and parts[2]:
            return parts[2]
    return file_owner or ""
