"""Showing long work: a live line on a terminal, JSON log records otherwise.

On a terminal: ``1 234/5 000 filer · 56 filer/s · 12,3 MB/s · ferdig om 1 min 07 s``.
While the walk is still going the total is an estimate (the last scan of the same roots,
or a count running ahead of the readers): the line then shows ``/~5 000`` and
``ferdig om ca. 1 min 07 s (grovt anslag)``, so nobody takes it for a promise.
Not on a terminal (cron, systemd) one JSON object per line every ``interval`` seconds,
which log collectors can parse; ``--quiet`` shows nothing.
"""

from __future__ import annotations

import json
import sys
import time
from typing import IO, Any


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "ukjent"
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} t {s % 3600 // 60:02d} min"


def progress_text(rec: dict[str, Any]) -> str:
    """The terminal line for one progress record (without the carriage return)."""
    rough = bool(rec.get("eta_rough")) and not rec.get("walk_done")
    known = rec.get("files_total")
    if rec.get("walk_done"):
        known = rec["files_seen"]
    total = "" if known is None else f"/{'~' if rough else ''}{known}"
    eta = fmt_duration(rec.get("eta_s"))
    if rec.get("eta_s") is not None and rough:
        eta = f"ca. {eta} (grovt anslag)"
    return (
        f"{rec['files_done']}{total} filer · {rec['files_per_s']:.0f} filer/s · "
        f"{rec['mb_per_s']:.1f} MB/s · ferdig om {eta}"
    )


class Progress:
    def __init__(
        self,
        stream: IO[str] | None = None,
        quiet: bool = False,
        interval: float = 10.0,
        tty: bool | None = None,
    ):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty() if tty is None else tty
        self.interval = interval
        self._last = 0.0
        self._shown = False

    def __call__(self, rec: dict[str, Any]) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if self.tty:
            line = f"\r{progress_text(rec)}   "
            self.stream.write(line)
            self.stream.flush()
            self._shown = True
        elif now - self._last >= self.interval or rec.get("final"):
            self._last = now
            self.stream.write(json.dumps(rec) + "\n")
            self.stream.flush()

    def done(self) -> None:
        if self._shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()
