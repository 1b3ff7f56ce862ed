"""``python -m tools COMMAND``: the developer commands (bench, bench-detectors,
bench-distributed, bench-web, fuzz, norne, person-search, reliability), from a checkout
with pvscan installed."""

from __future__ import annotations

import click

from tools import (
    bench,
    bench_detectors,
    bench_distributed,
    bench_web,
    fuzz,
    norne,
    person_search,
    reliability,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """pvscan's developer tools (not part of the installed package)."""


for _tool in (bench, bench_detectors, bench_distributed, bench_web, fuzz, norne, person_search, reliability):
    _tool.register(main)

if __name__ == "__main__":
    main()
