"""Local folders and mounted shares.

Walks with ``os.scandir`` (one stat per entry, cheap on network mounts), never follows
symbolic links unless asked (and then remembers visited directories, so a link to a
parent cannot loop), keeps going past permission errors and files that vanish, and
handles names that are not valid UTF-8 (they stay as surrogate escapes end to end).
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Iterator
from operator import attrgetter
from stat import S_ISREG
from typing import IO

from pvscan import hookimpl
from pvscan.interfaces import Source
from pvscan.model import Entry, ItemRef, Settings, WalkError
from pvscan.util.globs import exclusion_matcher, patterns_under

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


_BY_NAME = attrgetter("name")


def _listing(folder: str) -> Iterator[os.DirEntry[str]] | WalkError:
    """A folder's entries sorted by name (read at once: the handle is not kept open
    while the subtree below is walked), or why it could not be listed."""
    try:
        with os.scandir(folder) as it:
            return iter(sorted(it, key=_BY_NAME))
    except OSError as exc:
        return WalkError(folder, f"io: {exc.strerror or exc}")


class LocalSource(Source):
    name = "local"
    version = "1"
    schemes = ("file",)

    def handles(self, root: str) -> bool:
        return "://" not in root or root.startswith("file://")

    def walk(self, root: str, settings: Settings) -> Iterator[ItemRef | WalkError]:
        ref_for = self.ref_for
        for entry in self.entries(root, settings):
            yield entry if isinstance(entry, WalkError) else ref_for(entry)

    def entries(self, root: str, settings: Settings) -> Iterator[Entry | WalkError]:
        """Every regular file below ``root`` as ``(path, size, mtime_ns, file_id, stat)``,
        depth first and in path order: a folder's entries sorted by name, each
        subfolder walked where its name sorts. That is the order of the inventory's
        path index, so a re-scan finds a run of entries with one range scan that holds
        nothing else (listing a folder's files before its subfolders would put whole
        subtrees inside the range of the files around them).

        Directories are not stat'ed: without following links the tree cannot loop.
        With ``follow_symlinks`` each directory's (device, inode) is remembered, so a
        link to a parent is entered once."""
        if root.startswith("file://"):
            root = root[len("file://") :]
        root = os.path.abspath(root)
        follow = settings.follow_symlinks
        try:
            st = os.stat(root) if follow else os.lstat(root)
        except OSError as exc:
            yield WalkError(root, f"io: {exc.strerror or exc}")
            return
        if S_ISREG(st.st_mode):
            yield (root, st.st_size, st.st_mtime_ns, f"{st.st_dev}:{st.st_ino}", st)
            return
        visited = {(st.st_dev, st.st_ino)}
        exclude = patterns_under(settings.exclude, root) if settings.exclude else ()
        skip = exclusion_matcher(exclude) if exclude else None
        # one iterator per open folder; descending pushes one, exhausting pops it
        stack: list[Iterator[os.DirEntry[str]]] = []
        listing = _listing(root)
        if isinstance(listing, WalkError):
            yield listing
            return
        stack.append(listing)
        # locals: this loop runs once per file of the share, and a re-scan is mostly it
        while stack:
            for entry in stack[-1]:
                path = entry.path
                if skip is not None and skip(path, entry.name):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=follow):
                        if follow:
                            dst = entry.stat()
                            key = (dst.st_dev, dst.st_ino)
                            if key in visited:
                                continue
                            visited.add(key)
                        listing = _listing(path)
                        if isinstance(listing, WalkError):
                            yield listing
                            continue
                        stack.append(listing)
                        break
                    if not entry.is_file(follow_symlinks=follow):
                        continue  # symlinks (not followed), sockets, fifos, devices
                    st = entry.stat(follow_symlinks=follow)
                except OSError as exc:
                    yield WalkError(path, f"io: {exc.strerror or exc}")
                    continue
                yield (path, st.st_size, st.st_mtime_ns, f"{st.st_dev}:{st.st_ino}", st)
            else:
                stack.pop()

    def ref_for(self, entry: Entry) -> ItemRef:
        return self._ref(entry[0], entry[4])

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
