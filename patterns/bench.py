"""Detector throughput benchmark: the whole detector set against a bare ``\\d{11}`` scan.

The ratio is what matters (machines differ): detection must not be the bottleneck next
to extraction. The text is generated Norwegian-like prose with tables, numbers of every
shape and a few valid identifiers, deterministic for a seed.
"""

from __future__ import annotations

import random
import time

import regex
from pvscan.interfaces import DocState
from pvscan.model import Segment, Settings

from .numbers import complete_fnr, complete_kontonummer

_WORDS = (
    "kommunen skal sikre at opplysningene behandles forsvarlig og i samsvar med regelverket "
    "brukaren fekk vedtak om tenester frå heimetenesta etter søknad sendt i fjor saka gjeld "
    "eleven har hatt mykje fråvær og foreldra er kalla inn til møte med skulen om vidare plan "
    "fakturaen forfaller om fjorten dagar beløpet gjeld leige av lokale til arrangement i juni "
    "møtet vart halde på rådhuset og referatet blir lagt ut på nettsida etter godkjenning "
    "Storevik Kari Nordmann Ola Hansen onsdag mars planen budsjettet tilsette avdelinga"
).split()
#: Sensitive words are rarer than that in real files (about 1 word in 200 here).
_RARE = "sykmeldt diabetes fastlegen barnevernet bekymringsmelding medisin angst pasienten ADHD".split()


def generate_text(size: int, seed: int = 1) -> str:
    rnd = random.Random(seed)
    parts: list[str] = []
    total = 0
    while total < size:
        r = rnd.random()
        if r < 0.03:
            f = None
            while f is None:
                f = complete_fnr(
                    f"{rnd.randint(1, 28):02d}{rnd.randint(1, 12):02d}{rnd.randint(0, 99):02d}{rnd.randint(0, 499):03d}"
                )
            piece = f"fnr {f}"
        elif r < 0.05:
            k = None
            while k is None:
                k = complete_kontonummer(f"{rnd.randint(1000, 9999)}{rnd.randint(0, 999999):06d}")
            piece = f"kontonr {k[:4]}.{k[4:6]}.{k[6:]}"
        elif r < 0.15:
            piece = str(rnd.randint(10 ** (rnd.randint(3, 12)), 10**13))
        elif r < 0.17:
            piece = f"tlf {rnd.randint(40000000, 99999999)}"
        else:
            piece = (
                " ".join(
                    rnd.choice(_RARE) if rnd.random() < 0.005 else rnd.choice(_WORDS)
                    for _ in range(rnd.randint(5, 15))
                )
                + "."
            )
        parts.append(piece)
        total += len(piece) + 1
        if rnd.random() < 0.1:
            parts.append("\n")
    return " ".join(parts)[:size]


def run(size_mb: float = 20.0, seed: int = 1, repeat: int = 3) -> dict[str, float]:
    from .plugin import build_detectors

    text = generate_text(int(size_mb * 1_000_000), seed)
    nbytes = len(text.encode("utf-8"))
    lines = text.split("\n")
    segments = []
    block: list[str] = []
    for i, line in enumerate(lines, 1):  # 40-line blocks, like the text extractor
        block.append(line)
        if len(block) == 40:
            segments.append(Segment("\n".join(block), f"linje {i}"))
            block = []
    if block:
        segments.append(Segment("\n".join(block), "slutt"))
    dets = build_detectors(Settings())
    bare = regex.compile(r"(?<!\d)\d{11}(?!\d)")

    def t_bare() -> float:
        t = time.perf_counter()
        for s in segments:
            for _ in bare.finditer(s.text):
                pass
        return time.perf_counter() - t

    def t_all() -> float:
        t = time.perf_counter()
        doc = DocState("bench")
        for s in segments:
            for d in dets:
                doc.findings.extend(d.detect(s, doc))
        for d in dets:
            list(d.finish(doc))
        return time.perf_counter() - t

    # Interleaved, best of each: load from other processes hits both alike.
    tb = ta = float("inf")
    for _ in range(repeat):
        tb = min(tb, t_bare())
        ta = min(ta, t_all())
    mb = nbytes / 1e6
    return {"mb": mb, "bare_mb_s": mb / tb, "detectors_mb_s": mb / ta, "ratio": tb / ta}
