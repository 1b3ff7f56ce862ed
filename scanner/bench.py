"""``pvscan bench``: how fast the scan is, and what the core costs, on a real tree.

Not a test: it measures, in one run and on the same files,

(a) a full pvscan scan (worker pool, inventory, everything),
(b) a naive baseline: one process reading each file straight with the design card's
    libraries (pdfminer.six, python-docx, openpyxl, extract-msg, email), a regex plus
    check digits, no caching,
(c) a pvscan re-scan of the unchanged tree (what every night after the first costs),
(d) a bare directory walk with ``stat`` of every file (the floor for (c)),

and prints files/s, MB/s, peak resident memory of the whole process tree, the
speed-up b/a, the overhead c/d and, when a ``truth.jsonl`` from the bench corpus
generator sits next to the corpus, the fødselsnummer recall of (a) and (b).

Each phase runs in its own child process (``python -m pvscan.bench --phase …``) so its
memory is measured alone: the parent samples the child and all its descendants with
psutil and keeps the peak of their summed RSS (shared pages of forked workers are
counted once per process, so this is an upper bound). Times are taken inside the child
after its imports, so interpreter start-up does not count for any phase.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------- corpus


def locate(corpus: str) -> tuple[str, Path | None, Path | None]:
    """(tree to scan, truth.jsonl or None, files.jsonl or None).

    ``corpus`` may be the generator's ``--out`` folder (holding ``corpus/`` and
    ``truth.jsonl``) or the tree itself with ``truth.jsonl`` beside it."""
    p = Path(corpus).resolve()
    if (p / "corpus").is_dir() and (p / "truth.jsonl").is_file():
        files = p / "files.jsonl"
        return str(p / "corpus"), p / "truth.jsonl", files if files.is_file() else None
    truth = p.parent / "truth.jsonl"
    files = p.parent / "files.jsonl"
    return str(p), truth if truth.is_file() else None, files if files.is_file() else None


def load_truth(truth: Path, files: Path | None) -> set[tuple[str, str]]:
    """Distinct (file, value) fødselsnummer in readable files, synthetic left out
    (finding those is optional in the bench scorer, so they count neither way)."""
    ok: set[str] | None = None
    if files is not None:
        ok = set()
        with open(files, encoding="utf-8", errors="surrogateescape") as fh:
            for line in fh:
                rec = json.loads(line)
                if rec.get("status", "ok") == "ok":
                    ok.add(rec["file"])
    out = set()
    with open(truth, encoding="utf-8", errors="surrogateescape") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("type") != "fodselsnummer" or rec.get("variant") == "syntetisk":
                continue
            if ok is not None and rec["file"] not in ok:
                continue
            out.add((rec["file"], rec["value"]))
    return out


def recall(found_file: str, tree: str, truth: set[tuple[str, str]]) -> float | None:
    if not truth:
        return None
    prefix = tree.rstrip("/") + "/"
    found = set()
    with open(found_file, encoding="utf-8", errors="surrogateescape") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("type") != "fodselsnummer":
                continue
            f = rec["file"]
            f = f[len(prefix) :] if f.startswith(prefix) else f
            found.add((f, re.sub(r"\D", "", str(rec.get("value", ""))).zfill(11)))
    return len(found & truth) / len(truth)


# --------------------------------------------------------------------------- phases (child side)


def _phase_scan(args: argparse.Namespace, full: bool) -> dict[str, Any]:
    from .inventory import Inventory
    from .manager import make_plugin_manager
    from .model import Settings
    from .output import dumps, records
    from .scan import scan

    pm = make_plugin_manager()
    settings = Settings(reveal=True)  # raw values only in the bench's private temp dir, for recall
    t0 = time.perf_counter()
    summary = scan([args.tree], args.db, settings=settings, workers=args.workers, full=full, pm=pm)
    elapsed = time.perf_counter() - t0
    if args.findings:
        with (
            Inventory(args.db, readonly=True) as inv,
            open(args.findings, "w", encoding="utf-8", errors="surrogateescape") as out,
        ):
            for rec in records(inv, summary.roots, reveal=True):
                out.write(dumps(rec) + "\n")
    total_bytes = sum(_walk_sizes(args.tree))
    return {
        "elapsed": elapsed,
        "files": summary.files,
        "bytes": total_bytes,
        "read": summary.read,
        "unchanged": summary.unchanged,
    }


def _walk_sizes(root: str) -> Iterator[int]:
    """Sizes of all regular files below ``root`` (no symlinks followed): the bare walk."""
    stack = [root]
    while stack:
        top = stack.pop()
        try:
            with os.scandir(top) as it:
                for e in it:
                    try:
                        if e.is_dir(follow_symlinks=False):
                            stack.append(e.path)
                        elif e.is_file(follow_symlinks=False):
                            yield e.stat(follow_symlinks=False).st_size
                    except OSError:
                        continue
        except OSError:
            continue


def _phase_walk(args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    sizes = list(_walk_sizes(args.tree))
    return {"elapsed": time.perf_counter() - t0, "files": len(sizes), "bytes": sum(sizes)}


# --- the naive baseline: straight library calls, one process, no pvscan code ---------

_FNR = re.compile(r"(?<!\d)(\d{6})[ -]?(\d{5})(?!\d)")
_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _mod11(digits: str, weights: tuple[int, ...]) -> int | None:
    r = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11
    return 0 if r == 11 else None if r == 10 else r


def naive_fnr(text: str) -> set[str]:
    out = set()
    for m in _FNR.finditer(text):
        n = m.group(1) + m.group(2)
        if _mod11(n[:9], _W1) == int(n[9]) and _mod11(n[:10], _W2) == int(n[10]):
            day, month = int(n[:2]) % 40, int(n[2:4]) % 40
            if 1 <= day <= 31 and 1 <= month <= 12:
                out.add(n)
    return out


def _naive_text(name: str, data: bytes) -> str:
    import io

    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext == "pdf":
        from pdfminer.high_level import extract_text

        return extract_text(io.BytesIO(data))
    if ext == "docx":
        import docx

        d = docx.Document(io.BytesIO(data))
        parts = [p.text for p in d.paragraphs]
        for t in d.tables:
            for row in t.rows:
                parts += [c.text for c in row.cells]
        for s in d.sections:
            parts += [p.text for p in s.header.paragraphs] + [p.text for p in s.footer.paragraphs]
        return "\n".join(parts)
    if ext == "xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        parts = [
            str(v)
            for ws in wb.worksheets
            for row in ws.iter_rows(values_only=True)
            for v in row
            if v is not None
        ]
        wb.close()
        return "\n".join(parts)
    if ext == "msg":
        import extract_msg

        m = extract_msg.Message(io.BytesIO(data))
        return "\n".join(str(x or "") for x in (m.subject, m.body))
    if ext in ("eml", "mbox") or b"\nSubject:" in data[:4096] or data[:5] == b"From ":
        import email
        import email.policy
        import mailbox

        msgs = []
        if data[:5] == b"From ":
            with tempfile.NamedTemporaryFile(suffix=".mbox") as tmp:
                tmp.write(data)
                tmp.flush()
                msgs = [
                    email.message_from_bytes(m.as_bytes(), policy=email.policy.default)
                    for m in mailbox.mbox(tmp.name)
                ]
        else:
            msgs = [email.message_from_bytes(data, policy=email.policy.default)]
        parts = []
        for msg in msgs:
            parts.append(str(msg.get("subject", "")))
            for part in msg.walk():
                if part.is_multipart():
                    continue
                payload = part.get_payload(decode=True) or b""
                fname = part.get_filename()
                if fname:
                    try:
                        parts.append(_naive_text(fname, payload))
                    except Exception:  # noqa: BLE001 - the baseline just skips what fails
                        pass
                else:
                    parts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
        return "\n".join(parts)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _phase_naive(args: argparse.Namespace) -> dict[str, Any]:
    # import the libraries before the clock starts, as the scan's workers have them too
    import docx  # noqa: F401
    import extract_msg  # noqa: F401
    import openpyxl  # noqa: F401
    from pdfminer.high_level import extract_text  # noqa: F401

    from .output import dumps

    t0 = time.perf_counter()
    files = total = 0
    out = open(args.findings, "w", encoding="utf-8", errors="surrogateescape") if args.findings else None
    stack = [args.tree]
    while stack:
        top = stack.pop()
        try:
            entries = list(os.scandir(top))
        except OSError:
            continue
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                stack.append(e.path)
                continue
            if not e.is_file(follow_symlinks=False):
                continue
            files += 1
            try:
                with open(e.path, "rb") as fh:
                    data = fh.read()
                total += len(data)
                found = naive_fnr(_naive_text(e.name, data))
            except Exception:  # noqa: BLE001 - unreadable: nothing found
                continue
            if out is not None:
                for v in sorted(found):
                    out.write(dumps({"file": e.path, "type": "fodselsnummer", "value": v}) + "\n")
    if out is not None:
        out.close()
    return {"elapsed": time.perf_counter() - t0, "files": files, "bytes": total}


def _child(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m pvscan.bench")
    ap.add_argument("--phase", required=True, choices=["full", "rescan", "naive", "walk"])
    ap.add_argument("--tree", required=True)
    ap.add_argument("--db")
    ap.add_argument("--findings")
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args(argv)
    if args.phase == "full":
        res = _phase_scan(args, full=True)
    elif args.phase == "rescan":
        res = _phase_scan(args, full=False)
    elif args.phase == "naive":
        res = _phase_naive(args)
    else:
        res = _phase_walk(args)
    print(json.dumps(res))


# --------------------------------------------------------------------------- parent side


def run_phase(
    phase: str, tree: str, workdir: str, workers: int | None, findings: str | None
) -> dict[str, Any]:
    """Run one phase in a child process and sample its process tree's memory."""
    import psutil

    cmd = [sys.executable, "-m", "pvscan.bench", "--phase", phase, "--tree", tree]
    cmd += ["--db", os.path.join(workdir, "bench.sqlite")]
    if findings:
        cmd += ["--findings", findings]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    env = dict(os.environ, PVSCAN_HOME=os.path.join(workdir, "home"))
    proc = psutil.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total = 0
            try:
                procs = [proc, *proc.children(recursive=True)]
            except psutil.Error:
                break
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], total)
            done.wait(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, err = proc.communicate()
    done.set()
    t.join()
    if proc.returncode != 0:
        raise RuntimeError(f"bench phase {phase} failed ({proc.returncode}):\n{err[-3000:]}")
    res = json.loads(out.strip().splitlines()[-1])
    res["peak_rss"] = peak[0]
    res["phase"] = phase
    return res


def bench(
    corpus: str,
    workers: int | None = None,
    repeat: int = 3,
    baseline: bool = True,
    keep: str | None = None,
    echo: Any = print,
) -> dict[str, Any]:
    """Run the four phases and return the figures (also echoed as a table)."""
    tree, truth_path, files_path = locate(corpus)
    truth = load_truth(truth_path, files_path) if truth_path else set()
    workdir = keep or tempfile.mkdtemp(prefix="pvscan-bench-")
    os.makedirs(workdir, exist_ok=True, mode=0o700)
    try:
        fa = os.path.join(workdir, "full.jsonl")
        fb = os.path.join(workdir, "naive.jsonl")
        for stale in ("bench.sqlite", "bench.sqlite-wal", "bench.sqlite-shm"):
            with contextlib.suppress(OSError):
                os.remove(os.path.join(workdir, stale))
        rows: dict[str, dict[str, Any]] = {}
        rows["a"] = run_phase("full", tree, workdir, workers, fa)
        if baseline:
            rows["b"] = run_phase("naive", tree, workdir, workers, fb)
        # c and d are quick and noisy: best of ``repeat`` (the page cache is warm for both)
        rows["c"] = min(
            (run_phase("rescan", tree, workdir, workers, None) for _ in range(repeat)),
            key=lambda r: r["elapsed"],
        )
        rows["d"] = min(
            (run_phase("walk", tree, workdir, workers, None) for _ in range(repeat)),
            key=lambda r: r["elapsed"],
        )
        if truth:
            rows["a"]["recall"] = recall(fa, tree, truth)
            if baseline:
                rows["b"]["recall"] = recall(fb, tree, truth)
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "tree": tree,
        "workers": workers or os.cpu_count(),
        "phases": rows,
        "speedup_b_over_a": rows["b"]["elapsed"] / rows["a"]["elapsed"] if "b" in rows else None,
        "rescan_over_walk": rows["c"]["elapsed"] / max(rows["d"]["elapsed"], 1e-9),
        "truth_fnr": len(truth),
    }
    for line in format_table(result):
        echo(line)
    return result


LABELS = {
    "a": "(a) pvscan full scan",
    "b": "(b) naive baseline, 1 process",
    "c": "(c) pvscan re-scan, unchanged",
    "d": "(d) bare walk + stat",
}


def format_table(result: dict[str, Any]) -> list[str]:
    lines = [
        f"tree: {result['tree']}  workers: {result['workers']}",
        "| phase | files | MB | seconds | files/s | MB/s | peak RSS (MB, all processes) | fnr recall |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, row in result["phases"].items():
        el = max(row["elapsed"], 1e-9)
        rec = row.get("recall")
        lines.append(
            f"| {LABELS[key]} | {row['files']} | {row['bytes'] / 1e6:.1f} | {row['elapsed']:.3f} | "
            f"{row['files'] / el:,.0f} | {row['bytes'] / 1e6 / el:,.1f} | {row['peak_rss'] / 2**20:.0f} | "
            f"{'' if rec is None else f'{rec:.4f}'} |"
        )
    if result["speedup_b_over_a"] is not None:
        lines.append(
            f"speed-up of the full scan over the naive baseline (b/a): {result['speedup_b_over_a']:.1f}×"
        )
    lines.append(f"re-scan over bare walk (c/d): {result['rescan_over_walk']:.2f}×")
    if result["truth_fnr"]:
        lines.append(f"fødselsnummer in truth (non-synthetic, readable files): {result['truth_fnr']}")
    return lines


def register(cli: Any) -> None:
    """Add ``pvscan bench`` to the CLI group."""
    import click

    @cli.command("bench")
    @click.option(
        "--corpus",
        required=True,
        type=click.Path(file_okay=False),
        help="Tree to measure, or a bench generator --out folder (corpus/ + truth.jsonl).",
    )
    @click.option(
        "--generator",
        type=click.Path(exists=True, dir_okay=False),
        help="gen_corpus.py to create --corpus first if it is missing.",
    )
    @click.option(
        "--files",
        "n_files",
        type=int,
        default=5000,
        show_default=True,
        help="Files to generate (with --generator).",
    )
    @click.option("--seed", type=int, default=1, show_default=True, help="Seed for the generator.")
    @click.option("--workers", type=int, default=None, help="Worker processes for pvscan (default: cores).")
    @click.option(
        "--repeat", type=int, default=3, show_default=True, help="Runs of (c) and (d); the best counts."
    )
    @click.option("--no-baseline", is_flag=True, help="Skip the naive baseline (b).")
    @click.option(
        "--json", "json_out", type=click.Path(dir_okay=False), help="Also write the figures as JSON."
    )
    @click.option(
        "--keep", type=click.Path(file_okay=False), help="Keep the bench inventory and findings here."
    )
    def bench_cmd(
        corpus: str,
        generator: str | None,
        n_files: int,
        seed: int,
        workers: int | None,
        repeat: int,
        no_baseline: bool,
        json_out: str | None,
        keep: str | None,
    ) -> None:
        """Measure pvscan on a tree: full scan vs a naive baseline, re-scan vs a bare walk.

        Not a test; prints files/s, MB/s, peak RSS of all processes, the ratios and,
        with the bench generator's truth.jsonl next to the tree, recall.
        """
        if not os.path.isdir(corpus):
            if not generator:
                raise click.UsageError(f"{corpus} does not exist; give --generator PATH to create it")
            click.echo(f"generating {n_files} files into {corpus} …", err=True)
            subprocess.run(
                [
                    sys.executable,
                    generator,
                    "--out",
                    corpus,
                    "--seed",
                    str(seed),
                    "--files",
                    str(n_files),
                    "--quiet",
                ],
                check=True,
            )
        result = bench(
            corpus, workers=workers, repeat=repeat, baseline=not no_baseline, keep=keep, echo=click.echo
        )
        if json_out:
            with open(json_out, "w", encoding="utf-8") as fh:
                json.dump(result, fh, indent=2)


if __name__ == "__main__":
    _child(sys.argv[1:])
