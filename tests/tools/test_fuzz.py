"""The bounded CI fuzz smoke run, the saved crashers, and proof the runner can fail.

The smoke run mutates seed files of every format (a few small files per extension from
``/work/shared/realdocs`` when present, plus files generated here with the real
libraries) and pushes every case through the real worker pool with a per-case time
limit and memory limit. Deterministic: run seed 0, a fixed number of cases. Longer runs
by hand: ``pvscan fuzz --seconds 600 --seeds /work/shared/realdocs``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pvscan import hookimpl
from pvscan.engine.manager import make_plugin_manager
from pvscan.engine.process import _ENGINES, Engine
from pvscan.interfaces import Extractor
from pvscan.model import Extracted, ItemData, Segment, Settings
from pvscan.plugins.sources.local import LocalSource
from tools.fuzz import (
    KNOWN_CATEGORIES,
    Seed,
    classify,
    fuzz_settings,
    generated_seeds,
    load_seeds,
    run_fuzz,
    write_stats,
)

REALDOCS = Path(
    os.environ.get("PVSCAN_REALDOCS", Path(__file__).resolve().parents[3] / "shared" / "realdocs")
)
CRASHERS = Path(__file__).parent / "crashers"
#: Cases in the CI smoke run (about 40-60 s on 2 cores).
SMOKE_CASES = int(os.environ.get("PVSCAN_FUZZ_CASES", "8000"))


def smoke_seeds() -> list[Seed]:
    seeds = load_seeds([REALDOCS], per_format=2) if REALDOCS.is_dir() else []
    return seeds + generated_seeds()


def test_fuzz_smoke(tmp_path: Path) -> None:
    """No plugin error, no hang past the time limit, no memory blow-up, no dead worker."""
    seeds = smoke_seeds()
    stats = run_fuzz(
        seeds,
        executions=SMOKE_CASES,
        seed=0,
        workers=2,
        settings=fuzz_settings(time_limit=10.0, memory_limit_mib=768),
        crash_dir=tmp_path / "crashers",
    )
    write_stats("fuzz", stats.as_dict())
    assert stats.executions == SMOKE_CASES
    # Mutation must reach past the container: most cases read something or fail cleanly
    # as damaged, and some still read fine (a run that only produced "corrupt" would be
    # testing nothing beyond the magic bytes).
    assert stats.outcomes.get("ok", 0) > SMOKE_CASES // 10, stats.outcomes
    assert stats.outcomes.get("handled:corrupt", 0) > SMOKE_CASES // 10, stats.outcomes
    report = "\n".join(
        f"case {f.case} {f.seed} ({f.mutation}): {f.reason} -> {f.saved}" for f in stats.failures
    )
    assert not stats.failures, (
        "fuzzing found failures (inputs saved; add them to tests/plugins/crashers):\n" + report
    )


def crasher_files() -> list[Path]:
    return sorted(p for p in CRASHERS.iterdir() if p.is_file() and p.suffix != ".json")


@pytest.mark.parametrize("path", crasher_files(), ids=lambda p: p.name)
def test_crasher_regression(path: Path) -> None:
    """Each input the fuzzer once broke a plugin with now gives a known-category reason."""
    engine = Engine(Settings(ocr=False, time_limit=6.0))
    started = time.monotonic()
    res = engine.process(LocalSource()._ref(str(path.resolve()), os.stat(path)))
    elapsed = time.monotonic() - started
    assert elapsed < 8.0
    for p in res.problems:
        assert p.reason.split(":", 1)[0] in (*KNOWN_CATEGORIES, "timeout"), p.reason
    outcome, bad = classify(res)
    assert not bad
    CRASHER_RESULTS.append(
        {"file": path.name, "outcome": outcome, "reason": res.problems[0].reason[:80] if res.problems else ""}
    )


CRASHER_RESULTS: list[dict[str, str]] = []


@pytest.fixture(scope="module", autouse=True)
def _crasher_stats() -> Iterator[None]:
    yield
    if CRASHER_RESULTS:
        write_stats("crashers", {"cases": CRASHER_RESULTS})


# --------------------------------------------------------------------------- can it fail?
class BrokenExtractor(Extractor):
    """A deliberately broken extractor for ``.brk`` files: it raises a library-style
    exception on some inputs and loops for ever on others, as a real parser bug would."""

    name = "broken"
    version = "0"
    extensions = ("brk",)
    kinds = ("text", "binary", "unknown")
    priority = 100

    def claims(self, item: ItemData) -> bool:
        return item.extension == "brk"

    def extract(self, item: ItemData, settings: Settings) -> Iterator[Extracted]:
        data = item.read()
        if len(data) < 40:
            raise ValueError("short header")  # -> "error: broken: ValueError"
        if b"\xff" in data:
            while True:  # a hang: only the pool's time limit ends it
                pass
        yield Segment(data.decode("latin-1"), location="linje 1")


class _BrokenPlugin:
    @hookimpl
    def pvscan_extractors(self) -> list[Extractor]:
        return [BrokenExtractor()]


def test_fuzzer_rejects_a_broken_extractor(tmp_path: Path) -> None:
    """The runner must report plugin errors and hangs, and save each input."""
    settings = Settings(ocr=False, time_limit=1.5, memory_limit=768 * 2**20, extra=(("broken", True),))
    pm = make_plugin_manager()
    pm.register(_BrokenPlugin(), name="broken-test")
    _ENGINES[settings] = Engine(settings, pm)  # inherited by the forked workers
    try:
        stats = run_fuzz(
            [Seed("a.brk", b"x" * 60)],
            executions=40,
            seed=3,
            workers=2,
            settings=settings,
            crash_dir=tmp_path,
        )
    finally:
        _ENGINES.pop(settings, None)
    cats = {f.reason.split(":", 1)[0] for f in stats.failures}
    assert "error" in cats and "timeout" in cats, stats.outcomes
    assert stats.outcomes["error"] + stats.outcomes["timeout"] == len(stats.failures)
    saved = [Path(f.saved) for f in stats.failures]
    assert all(p.is_file() and p.with_name(p.name + ".json").is_file() for p in saved)
    write_stats("fuzz-broken", {"executions": stats.executions, "outcomes": stats.outcomes})


def test_mutations_are_deterministic() -> None:
    import random

    from tools.fuzz import mutate

    seeds = generated_seeds()
    a = [mutate(s, random.Random(f"0:{i}")) for i, s in enumerate(seeds)]
    b = [mutate(s, random.Random(f"0:{i}")) for i, s in enumerate(seeds)]
    assert a == b
    assert all(m != s.data for (m, _), s in zip(a, seeds, strict=True))
