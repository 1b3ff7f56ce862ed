"""A mutation fuzzer for every extractor, run through the real worker pool.

pvscan reads hostile files; the promise is that no input makes it raise, hang past the
per-item time limit or grow past the memory limit. This module checks that promise by
feeding mutated files (bit flips, truncation, inserted/deleted/duplicated bytes, and
zip-aware mutation that damages one XML part and zips the package again, so the
structure-aware parsers get past the container) through :class:`~pvscan.engine.pool.WorkerPool`
exactly as a scan would: one worker process per core, the pool's time and memory limit
per item. Every problem reason must start with a known category; ``error:`` (a plugin
bug), ``timeout:``, ``memory:`` and a crashed worker are findings.

Runs are deterministic: case ``i`` of run seed ``s`` is always the same bytes, so a
finding can be reproduced and is saved as a regression file. The CI runs a bounded
smoke (``tests/plugins/test_fuzz.py``); ``pvscan fuzz --seconds 600`` runs longer by
hand and prints the figures.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import re
import shutil
import tempfile
import time
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import click

from pvscan.engine.pool import WorkerPool
from pvscan.engine.process import get_engine
from pvscan.model import ItemRef, ItemResult, Settings
from pvscan.plugins.sources.local import LocalSource
from pvscan.testing import make_fnr, make_kontonummer

#: Categories a problem reason may start with when everything works as designed.
KNOWN_CATEGORIES = ("encrypted", "corrupt", "limit", "unsupported", "unavailable", "io")
#: Categories that are findings: a plugin bug, a hang, a memory blow-up.
FAILURE_CATEGORIES = ("error", "timeout", "memory")

#: Largest seed file taken from a folder (mutation of big files is slow and rarely better).
MAX_SEED_BYTES = 200_000


@dataclass(frozen=True)
class Seed:
    name: str  # keeps the extension, which extractors use as a fallback
    data: bytes
    origin: str = "generated"


@dataclass
class Failure:
    case: int
    seed: str
    mutation: str
    reason: str
    saved: str = ""


@dataclass
class FuzzStats:
    seeds: int = 0
    seed_formats: dict[str, int] = field(default_factory=dict)
    executions: int = 0
    seconds: float = 0.0
    outcomes: dict[str, int] = field(default_factory=dict)
    mutations: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    slowest: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- seeds
def ext_of(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def load_seeds(
    dirs: Iterable[str | os.PathLike[str]], per_format: int = 4, max_bytes: int = MAX_SEED_BYTES
) -> list[Seed]:
    """Up to ``per_format`` of the smallest files per extension under ``dirs``
    (sorted, so the same folder always gives the same seeds)."""
    by_ext: dict[str, list[tuple[int, str]]] = {}
    for d in dirs:
        for root, subdirs, files in os.walk(d):
            subdirs.sort()
            for f in sorted(files):
                p = os.path.join(root, f)
                try:
                    size = os.path.getsize(p)
                except OSError:
                    continue
                if 0 < size <= max_bytes:
                    by_ext.setdefault(ext_of(f), []).append((size, p))
    seeds = []
    for ext in sorted(by_ext):
        for _size, p in sorted(by_ext[ext])[:per_format]:
            try:
                seeds.append(Seed(os.path.basename(p), Path(p).read_bytes(), origin=p))
            except OSError:
                continue
    return seeds


def generated_seeds(rng: random.Random | None = None) -> list[Seed]:
    """Small valid files of every format pvscan reads, made with the real libraries,
    each holding a generated (valid, not real) fødselsnummer so detectors run too."""
    rng = rng or random.Random(7)
    fnr, konto = make_fnr(rng=rng), make_kontonummer(rng=rng)
    text = f"Pasient Kari Nordmann, fødselsnummer {fnr}, konto {konto}. Diagnose: diabetes."
    seeds: list[Seed] = [
        Seed("notat.txt", text.encode("utf-8")),
        Seed("data.csv", f"navn;fnr\nKari;{fnr}\nOla;{konto}\n".encode()),
        Seed(
            "side.html",
            f"<html><body><p>{text}</p><table><tr><td>{fnr}</td></tr></table></body></html>".encode(),
        ),
        Seed(
            "brev.rtf",
            ("{\\rtf1\\ansi{\\fonttbl\\f0 Arial;}\\f0 " + text.replace("ø", "\\'f8") + "\\par}").encode(),
        ),
    ]
    seeds.append(Seed("brev.eml", _eml(text, fnr)))
    seeds.append(Seed("inn.mbox", b"From a@b Mon Jan  1 00:00:00 2024\n" + _eml(text, fnr) + b"\n"))
    for name, maker in (("brev.docx", _docx), ("ark.xlsx", _xlsx), ("brev.pdf", _pdf), ("lys.pptx", _pptx)):
        try:
            seeds.append(Seed(name, _fixed_zip(maker(text, fnr))))
        except ImportError:  # an optional library is missing: fewer seeds, not a failure
            continue
    seeds.append(Seed("brev.odt", _odt(text)))
    seeds.append(Seed("pakke.zip", _zip({"a.txt": text.encode(), "b/brev.eml": _eml(text, fnr)})))
    seeds.append(Seed("pakke.tar.gz", _targz({"a.txt": text.encode()})))
    return seeds


def _fixed_zip(data: bytes) -> bytes:
    """The same package with fixed member dates, so a run seed always gives the same
    bytes (the libraries stamp members with the current time)."""
    if data[:2] != b"PK":
        return data
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = info.compress_type
            body = src.read(info)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", body)
            out.writestr(fixed, body)
    return buf.getvalue()


def _eml(text: str, fnr: str) -> bytes:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "saksbehandler@example.no"
    msg["To"] = "kari@example.no"
    msg["Subject"] = f"Sak {fnr}"
    msg.set_content(text)
    msg.add_attachment(text.encode("utf-8"), maintype="text", subtype="plain", filename="vedlegg.txt")
    msg.set_boundary("==pvscan-fuzz==")
    return msg.as_bytes()


def _docx(text: str, fnr: str) -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph(text)
    t = d.add_table(rows=1, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "Fnr", fnr
    d.sections[0].header.paragraphs[0].text = fnr
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _xlsx(text: str, fnr: str) -> bytes:
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    wb.properties.created = wb.properties.modified = dt.datetime(2024, 1, 1)
    ws = wb.active
    ws.append(["Navn", "Fnr", "Merknad"])
    ws.append(["Kari", fnr, text])
    ws.append(["Tall", int(fnr), 3.5])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _pdf(text: str, fnr: str) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.drawString(72, 720, text[:80])
    c.drawString(72, 700, fnr)
    c.showPage()
    c.drawString(72, 720, "side to")
    c.save()
    return buf.getvalue()


def _pptx(text: str, fnr: str) -> bytes:
    import pptx

    p = pptx.Presentation()
    s = p.slides.add_slide(p.slide_layouts[1])
    s.shapes.title.text = "Sak"
    s.placeholders[1].text = text
    buf = io.BytesIO()
    p.save(buf)
    return buf.getvalue()


def _odt(text: str) -> bytes:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:text><text:p>{text}</text:p></office:text></office:body>"
        "</office:document-content>"
    )
    return _zip(
        {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": content.encode()},
        stored_first=True,
    )


def _zip(members: dict[str, bytes], stored_first: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (n, b) in enumerate(members.items()):
            info = zipfile.ZipInfo(n, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED
            zf.writestr(info, b)
    return buf.getvalue()


def _targz(members: dict[str, bytes]) -> bytes:
    import gzip
    import tarfile

    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tf:
        for n, b in members.items():
            info = tarfile.TarInfo(n)
            info.size = len(b)
            info.mtime = 0
            tf.addfile(info, io.BytesIO(b))
    return buf.getvalue()


# --------------------------------------------------------------------------- mutations
_INTERESTING = [
    b"\x00",
    b"\xff",
    b"\x7f",
    b"\x80",
    b"\xff\xff\xff\xff",
    b"\x00\x00\x00\x80",
    b"%",
    b"<",
    b"&",
]
_INTERESTING += [b"\xff\xff\xff\x7f", b"\x00\x00\x00\x00\x00\x00\x00\x00", b"9999999999", b"-1", b"\r\n"]


def _bitflip(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def _insert(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data) + 1)
    chunk = rng.choice(_INTERESTING) if rng.random() < 0.6 else rng.randbytes(rng.randint(1, 64))
    return data[:i] + chunk + data[i:]


def _delete(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + data[i + rng.randint(1, max(1, min(256, len(data) - i))) :]


def _duplicate(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data))
    j = min(len(data), i + rng.randint(1, 512))
    k = rng.randrange(len(data) + 1)
    return data[:k] + data[i:j] * rng.randint(1, 8) + data[k:]


def _overwrite(data: bytes, rng: random.Random) -> bytes:
    """Replace a few bytes with an interesting value (sizes, offsets, counts)."""
    b = bytearray(data)
    v = rng.choice(_INTERESTING)
    i = rng.randrange(len(b))
    b[i : i + len(v)] = v
    return bytes(b[: len(data)]) if rng.random() < 0.5 else bytes(b)


_BYTE_MUTATORS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "bitflip": _bitflip,
    "truncate": _truncate,
    "insert": _insert,
    "delete": _delete,
    "duplicate": _duplicate,
    "overwrite": _overwrite,
}

_XML_TRICKS = [
    b"<",
    b"</w:p>",
    b"&amp",
    b"<x>" * 50,
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>',
    b' r="ZZZ99999999"',
    b' t="s"',
    b"<v>999999999</v>",
    b'<c r="A1" t="s"><v>-1</v></c>',
    b"\x00",
    b"\xc3(",
]


def _zip_member(data: bytes, rng: random.Random) -> bytes | None:
    """Mutate one member of a zip package and zip it again (names and order kept)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            members = [(i, zf.read(i)) for i in infos]
    except Exception:  # noqa: BLE001 - not a (readable) zip: the caller picks another mutation
        return None
    if not members:
        return None
    xmlish = [
        k
        for k, (i, b) in enumerate(members)
        if b.lstrip()[:1] == b"<" or i.filename.endswith((".xml", ".rels"))
    ]
    k = rng.choice(xmlish or range(len(members)))
    info, content = members[k]
    if content and rng.random() < 0.5:
        pos = rng.randrange(len(content) + 1)
        content = content[:pos] + rng.choice(_XML_TRICKS) + content[pos:]
    elif content:
        content = rng.choice(list(_BYTE_MUTATORS.values()))(content, rng)
    members[k] = (info, content)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for i, b in members:
            out.writestr(i, b)
    return buf.getvalue()


def mutate(seed: Seed, rng: random.Random) -> tuple[bytes, str]:
    """One mutated copy of ``seed`` and the name of the mutation(s) applied."""
    data = seed.data or b"\x00"
    if data[:2] == b"PK" and rng.random() < 0.5:
        out = _zip_member(data, rng)
        if out is not None:
            return out, "zip-member"
    names = []
    for _ in range(1 if rng.random() < 0.7 else rng.randint(2, 4)):
        name = rng.choice(list(_BYTE_MUTATORS))
        data = _BYTE_MUTATORS[name](data, rng) or b"\x00"
        names.append(name)
    return data, "+".join(names)


# --------------------------------------------------------------------------- running
#: A plugin that bounds an external tool (catdoc looping on a damaged .doc) reports
#: ``timeout: <tool> took more than N s``: contained, so handled. The pool's own
#: ``timeout: not done after`` means the item ran past the per-item limit: a hang.
POOL_TIMEOUT = "timeout: not done after"


def classify(result: ItemResult) -> tuple[str, list[str]]:
    """(outcome, failing reasons). The outcome is ``ok`` (read, no problem),
    ``handled:<category>`` for the first problem of a known category, or the failure
    category (``error``, ``timeout``, ``memory``, ``unknown-category``)."""
    bad = []
    first = ""
    for p in result.problems:
        cat = p.reason.split(":", 1)[0].strip()
        if cat == "timeout" and not p.reason.startswith(POOL_TIMEOUT):
            first = first or cat
            continue
        if cat not in KNOWN_CATEGORIES:
            bad.append(p.reason)
        elif not first:
            first = cat
    if bad:
        cat = bad[0].split(":", 1)[0].strip()
        return (cat if cat in FAILURE_CATEGORIES else "unknown-category"), bad
    return (f"handled:{first}" if first else "ok"), []


def fuzz_settings(time_limit: float = 10.0, memory_limit_mib: int = 768) -> Settings:
    """Settings for fuzzing: OCR off (Tesseract on noise is slow and not our parser)."""
    return Settings(ocr=False, time_limit=time_limit, memory_limit=memory_limit_mib * 2**20)


def run_fuzz(
    seeds: list[Seed],
    *,
    executions: int | None = None,
    seconds: float | None = None,
    seed: int = 0,
    workers: int = 2,
    settings: Settings | None = None,
    crash_dir: str | os.PathLike[str] | None = None,
    progress: Callable[[FuzzStats], None] | None = None,
) -> FuzzStats:
    """Run mutated copies of ``seeds`` through the worker pool.

    Stops after ``executions`` cases or ``seconds`` (whichever comes first; at least one
    must be given). Failing inputs are written to ``crash_dir`` (named by content hash,
    extension kept) with a ``.json`` sidecar giving the reason.
    """
    if not seeds:
        raise ValueError("no seeds")
    if executions is None and seconds is None:
        raise ValueError("give executions or seconds")
    settings = settings or fuzz_settings()
    get_engine(settings)  # built before the fork: workers inherit loaded plugins
    stats = FuzzStats(seeds=len(seeds), seed_formats=dict(Counter(ext_of(s.name) or "-" for s in seeds)))
    outcomes: Counter[str] = Counter()
    mutations: Counter[str] = Counter()
    work = Path(tempfile.mkdtemp(prefix="pvscan-fuzz-"))
    os.chmod(work, 0o700)
    cases: dict[str, tuple[int, Seed, str, bytes]] = {}
    source = LocalSource()
    started = time.monotonic()
    deadline = started + seconds if seconds is not None else None

    def gen() -> Iterator[ItemRef]:
        i = 0
        while executions is None or i < executions:
            if deadline is not None and time.monotonic() > deadline:
                return
            s = seeds[i % len(seeds)]
            rng = random.Random(f"{seed}:{i}")
            data, how = mutate(s, rng)
            path = work / f"case{i:07d}-{s.name}"
            path.write_bytes(data)
            cases[str(path)] = (i, s, how, data)
            yield source._ref(str(path), os.stat(path))
            i += 1

    pool = WorkerPool(settings, workers=workers, prefetch=1)
    quiet = warnings.catch_warnings()
    quiet.__enter__()
    # Forked workers inherit this: damaged images make Pillow warn on every case.
    warnings.simplefilter("ignore")
    try:
        for res in pool.run(gen()):
            i, s, how, data = cases.pop(res.ref.url)
            with _suppress_oserror():
                os.unlink(res.ref.url)
            stats.executions += 1
            stats.slowest = max(stats.slowest, res.elapsed)
            mutations[how.split("+", 1)[0]] += 1
            outcome, bad = classify(res)
            outcomes[outcome] += 1
            if bad:
                saved = _save_crasher(crash_dir, s, data, bad[0]) if crash_dir else ""
                stats.failures.append(Failure(i, s.name, how, bad[0][:300], saved))
            if progress is not None and stats.executions % 100 == 0:
                progress(stats)
    finally:
        quiet.__exit__(None, None, None)
        shutil.rmtree(work, ignore_errors=True)
    stats.seconds = round(time.monotonic() - started, 2)
    stats.outcomes = dict(sorted(outcomes.items()))
    stats.mutations = dict(sorted(mutations.items()))
    stats.slowest = round(stats.slowest, 3)
    return stats


class _suppress_oserror:
    def __enter__(self) -> None:
        return None

    def __exit__(self, et: object, ev: object, tb: object) -> bool:
        return isinstance(ev, OSError)


def _save_crasher(crash_dir: str | os.PathLike[str], seed: Seed, data: bytes, reason: str) -> str:
    d = Path(crash_dir)
    d.mkdir(parents=True, exist_ok=True)
    ext = seed.name.split(".", 1)[1] if "." in seed.name else "bin"
    path = d / f"{hashlib.sha1(data).hexdigest()[:12]}.{ext}"
    path.write_bytes(data)
    path.with_name(path.name + ".json").write_text(
        json.dumps({"seed": seed.name, "reason": reason}, ensure_ascii=False, indent=1) + "\n"
    )
    return str(path)


def write_stats(name: str, stats: dict[str, Any]) -> str | None:
    """Write ``stats`` as ``<name>.json`` into ``$PVSCAN_RELIABILITY_DIR`` (when set),
    where ``pvscan reliability`` collects the figures for its table."""
    d = os.environ.get("PVSCAN_RELIABILITY_DIR")
    if not d:
        return None
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"{name}.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(stats, fh, ensure_ascii=False, indent=1, default=str)
    return path


# --------------------------------------------------------------------------- command
def register(main: Any) -> None:
    @main.command("fuzz")
    @click.option(
        "--seeds",
        "seed_dirs",
        multiple=True,
        type=click.Path(exists=True, file_okay=False),
        help="Folder of seed files (repeatable); generated seeds of every format are always added.",
    )
    @click.option("--seconds", type=float, default=60.0, show_default=True, help="How long to run.")
    @click.option("--executions", type=int, default=None, help="Stop after this many cases.")
    @click.option(
        "--seed", "run_seed", type=int, default=0, show_default=True, help="Run seed (reproducible)."
    )
    @click.option("--workers", type=int, default=os.cpu_count() or 2, help="Worker processes.")
    @click.option("--per-format", type=int, default=4, show_default=True, help="Seed files per extension.")
    @click.option("--time-limit", type=float, default=10.0, show_default=True, help="Seconds per case.")
    @click.option("--memory-limit", type=int, default=768, show_default=True, help="MiB per worker.")
    @click.option(
        "--crashers",
        type=click.Path(file_okay=False),
        default=None,
        help="Save failing inputs here (default: not saved).",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
    def fuzz_cmd(
        seed_dirs: tuple[str, ...],
        seconds: float,
        executions: int | None,
        run_seed: int,
        workers: int,
        per_format: int,
        time_limit: float,
        memory_limit: int,
        crashers: str | None,
        as_json: bool,
    ) -> None:
        """Fuzz every extractor with mutated files, for long runs by hand.

        Runs through the same worker pool as a scan; any plugin error, timeout, memory
        blow-up or crashed worker is a finding (exit code 1).
        """
        import sys

        seeds = load_seeds(seed_dirs, per_format=per_format) + generated_seeds()

        def show(s: FuzzStats) -> None:
            if not as_json:
                click.echo(f"\r{s.executions} cases, {len(s.failures)} failures", nl=False, err=True)

        stats = run_fuzz(
            seeds,
            executions=executions,
            seconds=seconds,
            seed=run_seed,
            workers=workers,
            settings=fuzz_settings(time_limit, memory_limit),
            crash_dir=crashers,
            progress=show,
        )
        d = stats.as_dict()
        write_stats("fuzz-manual", d)
        if as_json:
            click.echo(json.dumps(d, ensure_ascii=False, indent=1))
        else:
            click.echo("", err=True)
            click.echo(
                f"seeds: {stats.seeds} ({len(stats.seed_formats)} formats), executions: {stats.executions} "
                f"in {stats.seconds:.0f} s ({stats.executions / max(stats.seconds, 0.01):.0f}/s), "
                f"slowest case {stats.slowest:.2f} s"
            )
            for k, v in stats.outcomes.items():
                click.echo(f"  {k:<24} {v}")
            for f in stats.failures:
                click.echo(f"FAIL case {f.case} ({f.seed}, {f.mutation}): {f.reason} {f.saved}")
        sys.exit(1 if stats.failures else 0)
