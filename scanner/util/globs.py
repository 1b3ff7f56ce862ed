"""``--exclude`` patterns as one test of (path, name), shared by the walkers and the
ETA's count that runs ahead of them (so both leave out the same files)."""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable


def excluded(path: str, name: str, patterns: tuple[str, ...]) -> bool:
    """``path`` (or its last part ``name``) matches one of the ``--exclude`` patterns."""
    return exclusion_matcher(patterns)(path, name)


_WILDCARDS = re.compile(r"[*?\[]")


def patterns_under(patterns: tuple[str, ...], root: str) -> tuple[str, ...]:
    """The patterns that can match something below ``root``: every name pattern, and
    the path patterns whose literal beginning lies on the way to ``root`` or inside it.

    Every scan leaves out pvscan's own inventory and data folder by absolute path; when
    they are elsewhere (the usual case) the walk then tests nothing at all per entry,
    instead of a prefix comparison for each file of the share."""
    below = root.rstrip("/") + "/"
    out = []
    for p in patterns:
        if "/" in p:
            prefix = _WILDCARDS.split(p, 1)[0]
            if not (prefix.startswith(below) or below.startswith(prefix)):
                continue
        out.append(p)
    return tuple(out)


@functools.cache
def exclusion_matcher(patterns: tuple[str, ...]) -> Callable[[str, str], bool]:
    """All ``--exclude`` patterns as a test of (path, name), built once.

    The walk tests every entry, so this is a re-scan's hot path. Patterns without a
    ``/`` may match the name or the path and are one compiled regex (calling
    ``fnmatch`` per pattern was a third of a re-scan). A pattern with a ``/`` (an
    absolute path, such as the inventory's own files every scan leaves out) can only
    match a path: its literal beginning is compared first, so most entries cost a
    ``startswith`` instead of a regex."""
    names = [p for p in patterns if "/" not in p]
    paths = [p for p in patterns if "/" in p]
    name_match = (
        re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in names), re.DOTALL).match if names else None
    )
    prefixes = tuple(_WILDCARDS.split(p, 1)[0] for p in paths)
    path_match = (
        re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in paths), re.DOTALL).match if paths else None
    )

    def test(path: str, name: str) -> bool:
        if name_match is not None and (name_match(name) is not None or name_match(path) is not None):
            return True
        return path_match is not None and path.startswith(prefixes) and path_match(path) is not None

    return test
