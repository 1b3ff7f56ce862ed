"""What the fast-path tests of both detector families compare against."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pvscan.patterns import identifiers as ids


def _candidates_reference(text: str) -> list[tuple[str, int, int]]:
    """CANDIDATES run over every CLUSTERS match (the definition of the candidates)."""
    out = []
    pos = 0
    for c in ids.CLUSTERS.finditer(text):
        for m in ids.CANDIDATES.finditer(text, max(pos, c.start() - 4), min(len(text), c.end() + 2)):
            out.append(("k425" if m.lastgroup == "ks" else m.lastgroup, *m.span()))
            pos = m.end()
    return out


@pytest.fixture
def candidates_reference() -> Callable[[str], list[tuple[str, int, int]]]:
    """The identifier candidates of a text by their definition, for the fast paths of
    ``iter_candidates`` to be checked against."""
    return _candidates_reference
