"""Detector throughput benchmark: the whole detector set against a bare ``\\d{11}`` scan.

The ratio is what matters (machines differ): detection must not be the bottleneck next
to extraction. Two generated scenarios, deterministic for a seed:

* ``register``: dense register-like text (a number every ~100 characters, a valid
  fødselsnummer every ~1.8 KB, a special-category word every ~1.3 KB, a small
  vocabulary, no table rows): the worst case for the per-candidate work.
* ``document``: ordinary prose and tables (a large bokmål/nynorsk vocabulary, dates,
  amounts and case numbers, delimited table rows, one identifier per ~10-20 KB): what
  most files in a share look like.
"""

from __future__ import annotations

import random
import time

import click
import regex

from pvscan.identity.numbers import complete_fnr, complete_kontonummer
from pvscan.interfaces import DocState
from pvscan.model import Segment, Settings
from pvscan.patterns.plugin import build_detectors

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


#: Stems for the document scenario; with the endings below about 1,500 distinct words.
_STEMS = (
    "kommune skole elev lærar lærer foreldre barn vedtak søknad teneste tjeneste heim hjem plan "
    "møte referat sak avdeling leiar leder tilsett ansatt budsjett økonomi faktura kontrakt avtale "
    "innkjøp anbod leverandør prosjekt rapport oversikt tabell rutine retningslinje veileder rettleiar "
    "opplæring kurs frist dato år månad måned veke uke dag kveld morgon morgen time minutt bygg "
    "lokale rom kontor nettside e-post brev melding svar spørsmål klage høyring høring uttale "
    "politikk styre råd utval utvalg formannskap kommunestyre ordførar ordfører rådmann direktør "
    "vei veg bru trafikk parkering kollektiv buss tog ferje hamn havn båt vatn vann avløp renovasjon "
    "avfall miljø klima energi straum strøm lys varme ventilasjon vedlikehald vedlikehold reparasjon "
    "eigedom eiendom tomt regulering reguleringsplan byggesak dispensasjon gebyr skatt avgift "
    "tilskot tilskudd stønad søkjar søker mottakar mottaker arrangement konsert festival bibliotek "
    "idrett hall bane anlegg park friluftsliv tur sti skog fjell sjø strand hytte gard gård bonde "
    "landbruk jord dyr skogbruk fiske næring bedrift handel butikk marknad marked turisme reiseliv "
    "beredskap brann politi redning øving varsling risiko sikkerheit sikkerhet kontroll tilsyn revisjon "
    "arkiv journal dokument vedlegg mal skjema signatur godkjenning behandling vurdering konklusjon"
).split()
_ENDINGS = ("", "", "", "en", "et", "a", "ar", "er", "ane", "ene", "ing", "ar", "s")
_SMALL = (
    "og i på til for med av om frå fra som er var blir vert har hadde skal kan må vil ikkje ikke "
    "det den dei de ein en eit et at etter før under over mellom utan uten også berre bare no nå "
    "her der når då da så men eller både heile hele alle nokre noen mange fleire flere"
).split()
_MONTHS = "januar februar mars april mai juni juli august september oktober november desember".split()


def _doc_sentence(rnd: random.Random) -> str:
    words = []
    for _ in range(rnd.randint(6, 22)):
        r = rnd.random()
        if r < 0.45:
            words.append(rnd.choice(_SMALL))
        elif r < 0.97:
            words.append(rnd.choice(_STEMS) + rnd.choice(_ENDINGS))
        elif r < 0.985:
            words.append(f"{rnd.randint(1, 28)}. {rnd.choice(_MONTHS)} {rnd.randint(1990, 2025)}")
        elif r < 0.995:
            words.append(f"kr {rnd.randint(100, 999999):,}".replace(",", " "))
        else:
            words.append(f"sak {rnd.randint(2015, 2025)}/{rnd.randint(1, 9999)}")
    s = " ".join(words)
    if rnd.random() < 0.002:  # a special-category word: rare in ordinary documents
        s += " " + rnd.choice(_RARE)
    return s[0].upper() + s[1:] + "."


def _doc_table(rnd: random.Random, with_id: bool) -> str:
    rows = ["Dato;Tiltak;Ansvarleg;Beløp;Merknad"]
    for _ in range(rnd.randint(3, 12)):
        rows.append(
            f"{rnd.randint(1, 28):02d}.{rnd.randint(1, 12):02d}.{rnd.randint(2015, 2025)};"
            f"{rnd.choice(_STEMS)}{rnd.choice(_ENDINGS)};{rnd.choice(_WORDS[-9:-5])};"
            f"{rnd.randint(1000, 99999)};{rnd.choice(_STEMS)}"
        )
    if with_id:
        rows.append(f"{rnd.randint(1, 28):02d}.{rnd.randint(1, 12):02d}.2024;refusjon;{_valid_fnr(rnd)};0;")
    return "\n".join(rows)


def _valid_fnr(rnd: random.Random) -> str:
    f = None
    while f is None:
        f = complete_fnr(
            f"{rnd.randint(1, 28):02d}{rnd.randint(1, 12):02d}{rnd.randint(0, 99):02d}{rnd.randint(0, 499):03d}"
        )
    return f


def generate_document(size: int, seed: int = 1) -> str:
    """Prose paragraphs and delimited tables with about one identifier per ~15 KB."""
    rnd = random.Random(seed)
    parts: list[str] = []
    total = 0
    since_id = 0
    while total < size:
        want_id = since_id > rnd.randint(10_000, 20_000)
        if rnd.random() < 0.08:
            piece = _doc_table(rnd, want_id)
        else:
            piece = " ".join(_doc_sentence(rnd) for _ in range(rnd.randint(2, 7)))
            if want_id:
                if rnd.random() < 0.5:
                    piece += f" Fødselsnummer {_valid_fnr(rnd)}."
                else:
                    k = None
                    while k is None:
                        k = complete_kontonummer(f"{rnd.randint(1000, 9999)}{rnd.randint(0, 999999):06d}")
                    piece += f" Beløpet blir utbetalt til konto {k[:4]}.{k[4:6]}.{k[6:]}."
        if want_id:
            since_id = 0
        parts.append(piece)
        total += len(piece) + 2
        since_id += len(piece) + 2
    return "\n\n".join(parts)[:size]


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


def run(
    size_mb: float = 20.0,
    seed: int = 1,
    repeat: int = 3,
    scenario: str = "register",
    only: list | None = None,
) -> dict[str, float]:
    gen = generate_document if scenario == "document" else generate_text
    text = gen(int(size_mb * 1_000_000), seed)
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
    dets = build_detectors(Settings()) if only is None else only
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
    return {
        "mb": mb,
        "bytes": nbytes,
        "bare_mb_s": mb / tb,
        "detectors_mb_s": mb / ta,
        "ratio": tb / ta,
    }


def register(cli: click.Group) -> None:
    """Add ``bench-detectors`` to the tools' command group."""

    @cli.command("bench-detectors")
    @click.option("--mb", default=20.0, show_default=True, help="Size of each generated text in MB.")
    @click.option("--seed", default=1, show_default=True)
    @click.option(
        "--scenario",
        type=click.Choice(["both", "register", "document"]),
        default="both",
        show_default=True,
        help="register: dense register-like text; document: prose and tables with few identifiers.",
    )
    @click.option(
        "--repeat",
        default=5,
        show_default=True,
        help="Interleaved runs of each; the best of each is kept (other load hits both alike).",
    )
    def bench_cmd(mb: float, seed: int, scenario: str, repeat: int) -> None:
        """Detector throughput (MB/s) next to a bare 11-digit regex scan, same run."""
        for name in ("register", "document") if scenario == "both" else (scenario,):
            r = run(mb, seed, repeat=repeat, scenario=name)
            click.echo(f"[{name}] text: {r['bytes']:,} bytes ({r['mb']:.1f} MB)")
            click.echo(f"[{name}] bare regex \\d{{11}}: {r['bare_mb_s']:.1f} MB/s")
            click.echo(f"[{name}] all detectors:     {r['detectors_mb_s']:.1f} MB/s")
            click.echo(f"[{name}] ratio:             {r['ratio'] * 100:.0f} % of bare-regex throughput")
