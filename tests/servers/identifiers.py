"""Valid test identifiers as fixtures."""

from __future__ import annotations

import pytest


def make_fnr(day: int = 1, month: int = 1, year: int = 1970, start: int = 100) -> str:
    """A fødselsnummer with correct check digits (generated, not a real person's)."""
    weights1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
    weights2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    for ind in range(start, 500):
        digits = [int(c) for c in f"{day:02d}{month:02d}{year % 100:02d}{ind:03d}"]
        k1 = 11 - sum(w * d for w, d in zip(weights1, digits, strict=True)) % 11
        k1 = 0 if k1 == 11 else k1
        if k1 == 10:
            continue
        digits.append(k1)
        k2 = 11 - sum(w * d for w, d in zip(weights2, digits, strict=True)) % 11
        k2 = 0 if k2 == 11 else k2
        if k2 == 10:
            continue
        return "".join(map(str, digits)) + str(k2)
    raise ValueError("no valid number in range")


@pytest.fixture(scope="session")
def fnr() -> str:
    return make_fnr(14, 3, 1978)


@pytest.fixture(scope="session")
def fnr_factory():
    return make_fnr
