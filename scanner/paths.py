"""Where pvscan keeps its own files (inventory, key, logs) for the current user.

Follows XDG: ``$PVSCAN_HOME`` if set, else ``$XDG_DATA_HOME/pvscan``, else
``~/.local/share/pvscan``. The folder is created owner-only (0700): the inventory is
itself a register of where personal data lives.
"""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    env = os.environ.get("PVSCAN_HOME")
    if env:
        base = Path(env)
    else:
        xdg = os.environ.get("XDG_DATA_HOME")
        base = Path(xdg) / "pvscan" if xdg else Path.home() / ".local" / "share" / "pvscan"
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    return base


def default_db() -> Path:
    return data_dir() / "inventory.sqlite"


def create_private(path: str | os.PathLike[str]) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist (reports, logs, DBs)."""
    fd = os.open(os.fspath(path), os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def open_private(path: str | os.PathLike[str], mode: str = "w", **kw):  # type: ignore[no-untyped-def]
    """``open`` that creates the file owner-only before writing."""
    create_private(path)
    return open(path, mode, **kw)
