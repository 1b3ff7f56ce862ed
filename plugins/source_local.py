"""Local folders and mounted shares.

Walks with ``os.scandir`` (one stat per entry, cheap on network mounts), never follows
symbolic links unless asked (and then remembers visited directories, so a link to a
parent cannot loop), keeps going past permission errors and files that vanish, and
handles names that are not valid UTF-8 (they stay as surrogate escapes end to end).
"""

from __future__ import annotations

import fnmatch
import functools
import os
import pwd
import re
from collections.abc import Callable, Iterator
from operator import attrgetter
from typing import IO

from pvscan import hookimpl
from pvscan.interfaces import Source
from pvscan.model import ItemRef, Settings, WalkError

_OWNERS: dict[int, str] = {}


def owner_name(uid: int) -> str:
    name = _OWNERS.get(uid)
    if name is None:
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:
            name = str(uid)
        _OWNERS[uid] = name
    return name


def display_name(path: str) -> str:
    """A printable, storable form of a path whose bytes may not be UTF-8 (the exact
    bytes stay in ``url``, which the inventory stores as a blob)."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def excluded(path: str, name: str, patterns: tuple[str, ...]) -> bool:
    """``path`` (or its last part ``name``) matches one of the ``--exclude`` patterns."""
    return _exclusion_matcher(patterns)(path, name)


_WILDCARDS = re.compile(r"[*?\[]")


@functools.cache
def _exclusion_matcher(patterns: tuple[str, ...]) -> Callable[[str, str], bool]:
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


_BY_NAME = attrgetter("name")


class LocalSource(Source):
    name = "local"
    version = "1"
    schemes = ("file",)

    def handles(self, root: str) -> bool:
        return "://" not in root or root.startswith("file://")

    def walk(self, root: str, settings: Settings) -> Iterator[ItemRef | WalkError]:
        if root.startswith("file://"):
            root = root[len("file://") :]
        root = os.path.abspath(root)
        try:
            st = os.stat(root) if settings.follow_symlinks else os.lstat(root)
        except OSError as exc:
            yield WalkError(root, f"io: {exc.strerror or exc}")
            return
        import stat as stat_mod

        if stat_mod.S_ISREG(st.st_mode):
            yield self._ref(root, st)
            return
        seen: set[tuple[int, int]] = set()
        stack = [root]
        # locals: this loop runs once per file of the share, and a re-scan is mostly it
        follow = settings.follow_symlinks
        skip = _exclusion_matcher(settings.exclude) if settings.exclude else None
        make_ref = self._ref
        while stack:
            top = stack.pop()
            try:
                dst = os.stat(top)
            except OSError as exc:
                yield WalkError(top, f"io: {exc.strerror or exc}")
                continue
            key = (dst.st_dev, dst.st_ino)
            if key in seen:
                continue
            seen.add(key)
            try:
                with os.scandir(top) as it:
                    entries = sorted(it, key=_BY_NAME)
            except OSError as exc:
                yield WalkError(top, f"io: {exc.strerror or exc}")
                continue
            subdirs = []
            for entry in entries:
                path = entry.path
                if skip is not None and skip(path, entry.name):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=follow):
                        subdirs.append(path)
                        continue
                    if not entry.is_file(follow_symlinks=follow):
                        continue  # symlinks (not followed), sockets, fifos, devices
                    st = entry.stat(follow_symlinks=follow)
                except OSError as exc:
                    yield WalkError(path, f"io: {exc.strerror or exc}")
                    continue
                yield make_ref(path, st)
            stack.extend(reversed(subdirs))

    def _ref(self, path: str, st: os.stat_result) -> ItemRef:
        uid = st.st_uid
        return ItemRef.fast(
            self.name,
            path,
            path if path.isascii() else display_name(path),
            st.st_size,
            st.st_mtime_ns,
            f"{st.st_dev}:{st.st_ino}",
            _OWNERS.get(uid) or owner_name(uid),
            (("uid", uid), ("gid", st.st_gid), ("mode", st.st_mode), ("ctime_ns", st.st_ctime_ns)),
        )

    def open(self, ref: ItemRef, settings: Settings) -> IO[bytes]:
        return open(ref.url, "rb")

    def local_path(self, ref: ItemRef) -> str | None:
        return ref.url


@hookimpl
def pvscan_sources() -> list[Source]:
    return [LocalSource()]
