"""Where pvscan keeps its own files (inventory, key, logs) for the current user.

Follows XDG: ``$PVSCAN_HOME`` if set, else ``$XDG_DATA_HOME/pvscan``, else
``~/.local/share/pvscan``. The folder is created owner-only (0700): the inventory is
itself a register of where personal data lives.
"""

from __future__ import annotations

import os
from pathlib import Path

#: (PVSCAN_HOME, XDG_DATA_HOME, HOME) -> the folder they name. ``data_dir`` is on the hot
#: path (the installation key is looked up for every finding stored), so it must not
#: build a Path and ``mkdir`` each time; the environment is the cache key so a test or a
#: caller that changes ``PVSCAN_HOME`` still gets the new folder.
_DIRS: dict[tuple[str | None, str | None, str | None], Path] = {}


def data_dir() -> Path:
    env = os.environ.get("PVSCAN_HOME")
    xdg = os.environ.get("XDG_DATA_HOME")
    key = (env, xdg, os.environ.get("HOME"))
    base = _DIRS.get(key)
    if base is not None and os.path.isdir(base):  # one stat: recreated if it was removed
        return base
    if env:
        base = Path(env)
    else:
        base = Path(xdg) / "pvscan" if xdg else Path.home() / ".local" / "share" / "pvscan"
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    _DIRS[key] = base
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
