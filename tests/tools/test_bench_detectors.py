"""Smoke test of ``python -m tools bench-detectors`` (no speed assertions)."""

from __future__ import annotations

from click.testing import CliRunner

from tools.__main__ import main


def test_bench_detectors_prints_throughput():
    res = CliRunner().invoke(main, ["bench-detectors", "--mb", "0.2", "--repeat", "1"])
    assert res.exit_code == 0, res.output
    assert "MB/s" in res.output and "ratio" in res.output
