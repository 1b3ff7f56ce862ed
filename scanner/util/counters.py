"""Work counters of one process (pages OCR'd, images skipped, …) that travel with
each item's result to the coordinator, which sums them into the scan summary.

Why a process-wide counter and not a return value: the work happens deep inside a
plugin (the OCR of one page of a PDF inside a mail), and threading a tally through
every extractor's generator would change the plugin contract for a statistic. The
engine takes the difference of the counters around each item (:func:`snapshot` /
:func:`since`), so the figures are per item and add up however items are spread over
workers. Names are ``family.what`` (``ocr.pages_read``); only counts, never content.
"""

from __future__ import annotations

from collections import Counter

#: The counters of this process. Plugins call :func:`count`.
COUNTERS: Counter[str] = Counter()


def count(name: str, n: int = 1) -> None:
    COUNTERS[name] += n


def snapshot() -> dict[str, int]:
    return dict(COUNTERS)


def since(before: dict[str, int]) -> dict[str, int]:
    """What was counted after ``before`` was taken (only the names that moved)."""
    return {k: v - before.get(k, 0) for k, v in COUNTERS.items() if v != before.get(k, 0)}
