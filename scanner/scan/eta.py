"""An estimate of the scan's total from its first second, for the progress line's ETA.

The walk runs lazily, at the pace of the readers (a share of millions of files is never
listed into memory), so the true total is known only at the end; until then the line
used to say "ferdig om ukjent", which on a large share was most of the night. Two
cheaper sources give a total early, both marked *rough*:

- the inventory: how many files the same roots held at the last scan (a re-scan knows
  its size at once);
- a fast count running ahead of the readers: a background thread lists the local roots
  with ``os.scandir`` (names and types only, no ``stat``; ``--exclude`` honoured), which goes
  through a tree far faster than the readers. It is used on a first scan, and also on a
  re-scan, where it replaces the inventory's figure once it has finished.

Remote roots (SMB, IMAP) are not counted ahead: listing a share twice over the network
costs what the walk costs. For them the inventory's figure is all there is.
"""

from __future__ import annotations

import os
import threading

from pvscan.util.globs import exclusion_matcher


class TotalEstimate:
    """The expected number of files of a scan while its walk is still going.

    ``total(files_seen)`` returns ``(total, rough)``: the best estimate so far (never
    below what the walk has already seen) and whether it is an estimate."""

    def __init__(
        self, roots: list[str], previous: int | None, count_ahead: bool = True, exclude: tuple[str, ...] = ()
    ):
        self._skip = exclusion_matcher(exclude) if exclude else None
        self.previous = previous
        self._counted = 0
        self._count_done = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        local = [r for r in roots if "://" not in r and os.path.isdir(r)]
        if count_ahead and local and len(local) == len(roots):
            self._thread = threading.Thread(
                target=self._count, args=(local,), name="pvscan-count", daemon=True
            )
            self._thread.start()

    def _count(self, roots: list[str]) -> None:
        """Count regular files below ``roots`` (links not followed), depth first."""
        n = 0
        stack = list(roots)
        while stack and not self._stop.is_set():
            top = stack.pop()
            try:
                with os.scandir(top) as it:
                    for e in it:
                        try:
                            if self._skip is not None and self._skip(e.path, e.name):
                                continue
                            if e.is_dir(follow_symlinks=False):
                                stack.append(e.path)
                            elif e.is_file(follow_symlinks=False):
                                n += 1
                        except OSError:
                            continue
            except OSError:
                continue
            self._counted = n
        self._counted = n
        self._count_done = not self._stop.is_set()

    def total(self, files_seen: int, walk_done: bool) -> tuple[int | None, bool]:
        """(estimated total, rough). Exact once the walk is done."""
        if walk_done:
            return files_seen, False
        if self._count_done:
            return max(self._counted, files_seen), True
        if self.previous:
            return max(self.previous, files_seen), True
        return None, True

    def close(self) -> None:
        """Stop the count (the scan is over or stopped); the thread is a daemon anyway."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
