"""More fast paths of the identifier detector and its helpers, each held to what it
stands in for on randomised input dense in the cases that matter: shaped digit
clusters (6-5 numbers, spaced phones, short clusters across rows) decided without the
candidate pattern, the column lookup with its header split kept, the form pass's
label trigger with its context level kept, and the form pass's end-of-segment birth
date found without building every field of the line. (A file of its own so that work
on the other detectors' fast paths does not touch it.)
"""

from __future__ import annotations

import random

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


def _digits(rnd: random.Random, n: int) -> str:
    return "".join(rnd.choice("0123456789") for _ in range(n))


def test_shaped_clusters_are_what_the_candidate_pattern_finds() -> None:
    """6-5 numbers, 3-2-3 and 2-2-2-2 phones with every separator (valid or not for the
    shape), after every prefix, and short clusters that span two rows."""
    rnd = random.Random(41)
    seps = [" ", "\u00a0", "-", ".", "\n", "\t", "\r", "\r\n", " - ", "  ", "\u2009", "\u2013", ",", "/"]
    shapes = [
        (6, 5),
        (6, 5),
        (3, 2, 3),
        (3, 2, 3),
        (2, 2, 2, 2),
        (4, 2, 5),
        (2, 6),
        (5, 2),
        (3, 3, 3),
        (2, 2, 3),
    ]
    before = [
        "",
        "",
        " ",
        "x",
        "+",
        "+47 ",
        "0047 ",
        "47 ",
        "NO",
        "no",
        "O",
        "/",
        "a/",
        "7",
        "1.",
        "| ",
        ";",
        "\n",
    ]
    after = ["", "", " ", "x", "/", "/3", ".", ".5", "-", "-4", "\u2013" + "2", " |", ";", "\n", "0"]
    shaped = 0
    for _ in range(20000):
        parts = []
        for _ in range(rnd.randint(1, 4)):
            shape = rnd.choice(shapes)
            sep = rnd.choice(seps) if rnd.random() < 0.5 else rnd.choice(seps[:2])
            first = rnd.choice("0123456789") if rnd.random() < 0.3 else rnd.choice("23456789")
            number = sep.join(_digits(rnd, n) for n in shape)
            parts.append(rnd.choice(before) + first + number[1:] + rnd.choice(after))
        text = rnd.choice(["", "Tlf ", "1,60\n"]) + rnd.choice(["", " ", ";"]).join(parts)
        got = ids.iter_candidates(text)
        assert got == _candidates_reference(text), text
        shaped += any(k in ("f65", "tel") for k, _s, _e in got)
    assert shaped > 6000
