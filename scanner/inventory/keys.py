"""Keys and stamps shared by every part of the inventory: path keys (file names as
bytes, so names that are not UTF-8 round-trip), the key of a set of roots, the time
stamp format, and the SQL condition "under these roots"."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def path_key(url: str) -> bytes:
    return os.fsencode(url)


_FS_ENCODING = sys.getfilesystemencoding()


def path_keys(urls: list[str]) -> list[bytes]:
    """``[path_key(u) for u in urls]`` without a Python-level call per path (what
    ``os.fsencode`` does for a ``str`` on POSIX)."""
    return [u.encode(_FS_ENCODING, "surrogateescape") for u in urls]


def roots_key(roots: Iterable[str]) -> str:
    return json.dumps(sorted(roots), ensure_ascii=False)


def under_roots(roots: Iterable[str]) -> tuple[str, list[Any]]:
    """SQL (and arguments) for "path is one of ``roots`` or below one", index-friendly."""
    conds, args = [], []
    for r in roots:
        p = path_key(r.rstrip("/") or "/")
        if p == b"/":
            conds.append("1=1")
            continue
        conds.append("(path=? OR (path>=? AND path<?))")
        args += [p, p + b"/", p + b"0"]
    return " OR ".join(conds) or "1=0", args


class ScanLocked(RuntimeError):
    """Another scan is writing to the same inventory."""


def is_postgres(target: str) -> bool:
    """Whether an inventory target names a PostgreSQL database rather than a file."""
    return target.startswith(("postgresql://", "postgres://"))


def display_target(target: str) -> str:
    """The inventory target as it may be shown or logged: a URL without its password."""
    if not is_postgres(target):
        return target
    scheme, _, rest = target.partition("://")
    auth, at, host = rest.rpartition("@")
    if not at:
        return target
    user = auth.split(":", 1)[0]
    return f"{scheme}://{user}@{host}" if user else f"{scheme}://{host}"
