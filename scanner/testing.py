"""Helpers for testing pvscan and pvscan plugins (``from pvscan.testing import …``).

Generates *valid* Norwegian test identifiers (check digits computed, never real
people's numbers taken from anywhere), and runs the per-item engine on a file with a
chosen set of plugins, so a plugin author can test an extractor or detector in a few
lines::

    from pvscan.testing import make_fnr, extract_file
    segments = extract_file(tmp_path / "a.docx")
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable
from datetime import date

from pvscan import hookimpl
from pvscan.engine.manager import make_plugin_manager
from pvscan.engine.process import Engine
from pvscan.engine.sniff import sniff
from pvscan.interfaces import Detector, DocState
from pvscan.model import Finding, ItemData, ItemResult, Segment, Settings
from pvscan.plugins.sources.local import LocalSource

_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _check(digits: str, weights: tuple[int, ...]) -> int | None:
    r = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11
    if r == 11:
        return 0
    return None if r == 10 else r


def make_fnr(born: date | None = None, variant: str = "fnr", rng: random.Random | None = None) -> str:
    """A valid fødselsnummer (``fnr``), D-nummer (``dnr``), H-nummer (``hnr``) or
    synthetic Tenor number (``syntetisk``, month + 80) under the 1964 rules."""
    rng = rng or random.Random()
    born = born or date(rng.randint(1940, 2015), rng.randint(1, 12), rng.randint(1, 28))
    day, month = born.day, born.month
    if variant == "dnr":
        day += 40
    elif variant == "hnr":
        month += 40
    elif variant == "syntetisk":
        month += 80
    yy = born.year % 100
    while True:
        if 1900 <= born.year <= 1999:
            ind = (
                rng.randint(0, 499)
                if born.year < 1940
                else rng.choice([rng.randint(0, 499), rng.randint(900, 999)])
            )
        elif 2000 <= born.year <= 2039:
            ind = rng.randint(500, 999)
        else:
            ind = rng.randint(500, 749)
        base = f"{day:02d}{month:02d}{yy:02d}{ind:03d}"
        k1 = _check(base, _W1)
        if k1 is None:
            continue
        k2 = _check(base + str(k1), _W2)
        if k2 is None:
            continue
        return f"{base}{k1}{k2}"


def fnr_from(day: int = 1, month: int = 1, year: int = 90, ind: int = 123) -> str:
    """A valid fødselsnummer for a chosen date (two-digit ``year``), deterministic:
    the first individual number from ``ind`` upwards whose check digits exist. Add 40
    to ``day`` for a D-nummer, to ``month`` for an H-nummer."""
    base = f"{day:02d}{month:02d}{year:02d}{ind:03d}"
    while True:
        k1 = _check(base, _W1)
        k2 = None if k1 is None else _check(base + str(k1), _W2)
        if k1 is not None and k2 is not None:
            return f"{base}{k1}{k2}"
        base = base[:6] + f"{(int(base[6:]) + 1) % 1000:03d}"


def make_kontonummer(rng: random.Random | None = None, bank: str | None = None) -> str:
    """A valid 11-digit kontonummer (mod 11). Banks' registration numbers in
    Norway start with digits that rarely form a date, as here (e.g. 1503 would)."""
    rng = rng or random.Random()
    while True:
        base = (bank or f"{rng.randint(1200, 9999):04d}") + f"{rng.randint(0, 999999):06d}"
        k = _check(base, _W2)
        if k is not None:
            return base + str(k)


def is_valid_fnr_checksum(number: str) -> bool:
    return (
        len(number) == 11
        and number.isdigit()
        and _check(number[:9], _W1) == int(number[9])
        and _check(number[:10], _W2) == int(number[10])
    )


class SubstringDetector(Detector):
    """A detector for tests of extractors: reports every occurrence of given strings
    (``type`` "test"), so a test does not depend on the real detectors."""

    id = "test-substring"
    types = ("test",)

    def __init__(self, needles: Iterable[str]):
        self.needles = list(needles)

    def detect(self, segment: Segment, doc: DocState) -> Iterable[Finding]:
        for n in self.needles:
            start = segment.text.find(n)
            while start >= 0:
                yield Finding("test", n, segment.location, "high", start=start, end=start + len(n))
                start = segment.text.find(n, start + 1)


class _DetectorPlugin:
    def __init__(self, detectors: list[Detector]):
        self.detectors = detectors

    @hookimpl
    def pvscan_detectors(self, settings: Settings) -> list[Detector]:
        return self.detectors


def engine_with(
    *detectors: Detector, settings: Settings | None = None, only_test_detectors: bool = False
) -> Engine:
    """An engine with all installed plugins plus ``detectors``; with
    ``only_test_detectors`` the installed detectors are left out."""
    plugin = _DetectorPlugin(list(detectors))
    pm = make_plugin_manager(extra=[plugin])
    eng = Engine(settings or Settings(), pm)
    if only_test_detectors:
        eng.detectors = list(detectors)
    return eng


def extract_file(path: str | os.PathLike[str], settings: Settings | None = None) -> list[Segment]:
    """All text segments the installed extractors yield for a local file (top level)."""
    eng = Engine(settings or Settings())
    data = ItemData(os.fspath(path).rsplit("/", 1)[-1], path=os.fspath(path))

    data.kind = sniff(data)
    extractor = eng.choose(data)
    if extractor is None:
        return []
    return [s for s in extractor.extract(data, settings or Settings()) if isinstance(s, Segment)]


def process_file(path: str | os.PathLike[str], engine: Engine | None = None) -> ItemResult:
    """Run the whole per-item work on a local file."""
    eng = engine or Engine(Settings())
    refs = list(LocalSource().walk(os.fspath(path), eng.settings))
    assert len(refs) == 1, refs
    return eng.process(refs[0])  # type: ignore[arg-type]
