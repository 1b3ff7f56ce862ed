"""Developer tooling, run from a checkout and never installed: the scan benchmark, the
detector benchmark, the fuzzer and the reliability table (``python -m tools --help``)."""
