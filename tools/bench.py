"""``pvscan bench``: how fast the scan is, and what the core costs, on a real tree.

Not a test: it measures, in one run and on the same files,

(a) a full pvscan scan without OCR (worker pool, inventory, everything but OCR),
(a+) the same full scan with OCR of image-only PDF pages and images (the default),
(b) a naive baseline: one process reading each file straight with the design card's
    libraries (pdfminer.six, python-docx, openpyxl, extract-msg, email), a regex plus
    check digits, no caching and no OCR,
(c) a pvscan re-scan of the unchanged tree (what every night after the first costs),
(d) a bare directory walk with ``stat`` of every file (the floor for (c)),

and prints files/s, MB/s, peak memory of the whole process tree, the speed-up b/a, the
overhead c/d and, when a ``truth.jsonl`` from the bench corpus generator sits next to
the corpus, the fødselsnummer recall of each scan.

The speed-up b/a compares like with like: the baseline does no OCR (pdfminer finds no
text in an image-only PDF), so it is set against pvscan without OCR. What OCR costs, and
what it finds in the image-only files the baseline cannot read, is the separate (a+)
line; b/(a+) is printed too. Recall is over readable (``ok``) files for every phase, as
the bench scorer keeps ``needs_ocr`` files apart; the "OCR files" column is the
fødselsnummer recall inside those image-only files.

Each phase runs in its own child process (``python -m tools.bench --phase …``) so its
memory is measured alone: the parent samples the child and all its descendants with
psutil every 100 ms and keeps the peak of their summed RSS and of their summed PSS. RSS
counts a page shared by forked workers (the interpreter, the loaded plugins) once in
every process, so the sum is an upper bound; PSS divides each shared page among the
processes sharing it, so the PSS sum is what the scan really occupies. Times are taken
inside the child after its imports, so interpreter start-up does not count for any phase.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
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

import click

from pvscan.engine.manager import make_plugin_manager
from pvscan.inventory import Inventory
from pvscan.model import Settings
from pvscan.scan import scan
from pvscan.workflows.export import dumps, write_jsonl

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


def load_truth(truth: Path, files: Path | None, status: str = "ok") -> set[tuple[str, str]]:
    """Distinct (file, value) fødselsnummer in files of ``status`` (``ok``: readable;
    ``needs_ocr``: image-only), synthetic left out (finding those is optional in the
    bench scorer, so they count neither way)."""
    ok: set[str] | None = None
    if files is not None:
        ok = set()
        with open(files, encoding="utf-8", errors="surrogateescape") as fh:
            for line in fh:
                rec = json.loads(line)
                if rec.get("status", "ok") == status:
                    ok.add(rec["file"])
    elif status != "ok":
        return set()
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
    pm = make_plugin_manager()
    # the detectors' modules are imported lazily when the engine is built: import them
    # here, before the clock, like every other module (their construction still counts)
    for mod in ("identifiers", "lexicon", "rules", "context"):
        with contextlib.suppress(ImportError):
            importlib.import_module(f"pvscan.patterns.{mod}")
    # raw values only in the bench's private temp dir, for recall
    settings = Settings(reveal=True, ocr=not args.no_ocr)
    t0 = time.perf_counter()
    summary = scan([args.tree], args.db, settings=settings, workers=args.workers, full=full, pm=pm)
    elapsed = time.perf_counter() - t0
    jsonl_s = None
    if args.findings:
        # What ``--jsonl FILE --reveal`` adds to the scan: the CLI's own writer, timed.
        t1 = time.perf_counter()
        with (
            Inventory(args.db, readonly=True) as inv,
            open(args.findings, "w", encoding="utf-8", errors="surrogateescape") as out,
        ):
            write_jsonl(out, inv, summary.roots, True, summary.as_dict(), summary.scan_id)
        jsonl_s = time.perf_counter() - t1
    total_bytes = sum(_walk_sizes(args.tree))
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "elapsed": elapsed,
        # CPU seconds of the coordinating process (walk, inventory) and of the finished
        # workers and their tesseract children: where the time went
        "cpu_main": round(own.ru_utime + own.ru_stime, 2),
        "cpu_workers": round(kids.ru_utime + kids.ru_stime, 2),
        "files": summary.files,
        "bytes": total_bytes,
        "read": summary.read,
        "unchanged": summary.unchanged,
        "jsonl_s": jsonl_s,
        "counters": summary.counters,
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
    ap = argparse.ArgumentParser(prog="python -m tools.bench")
    ap.add_argument("--phase", required=True, choices=["full", "rescan", "naive", "walk"])
    ap.add_argument("--tree", required=True)
    ap.add_argument("--db")
    ap.add_argument("--findings")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--no-ocr", action="store_true")
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


# --------------------------------------------------------------------------- duplicate-heavy tree


def make_dup_trees(tree: str, workdir: str, every: int = 5) -> tuple[str, str, int]:
    """Two trees for the duplicate phases: ``dup0``, every ``every``-th file of ``tree``
    (regular files, in path order), and ``dup1``, the same files plus a copy of every
    second one, so that a third of ``dup1`` are exact copies. Half the copies sit next
    to their original ("Kopi av …"), half in a ``backup/`` folder walked much later (a
    saved attachment, a backup of a folder). Returns (dup0, dup1, copies)."""
    files: list[str] = []
    for top, dirs, names in os.walk(tree):
        dirs.sort()
        files += [os.path.join(top, n) for n in sorted(names) if os.path.isfile(os.path.join(top, n))]
    picked = [f for i, f in enumerate(files) if i % every == 0 and not os.path.islink(f)]
    d0, d1 = os.path.join(workdir, "dup0"), os.path.join(workdir, "dup1")
    copies = 0
    for n, src in enumerate(picked):
        rel = os.path.relpath(src, tree)
        targets = [os.path.join(d0, rel), os.path.join(d1, rel)]
        if n % 2 == 0:
            head, name = os.path.split(rel)
            copy = os.path.join(head, f"Kopi av {name}") if n % 4 == 0 else os.path.join("backup", rel)
            targets.append(os.path.join(d1, copy))
            copies += 1
        for dst in targets:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(src, dst)
    return d0, d1, copies


# --------------------------------------------------------------------------- parent side


def run_phase(
    phase: str,
    tree: str,
    workdir: str,
    workers: int | None,
    findings: str | None,
    ocr: bool = True,
    db: str = "bench.sqlite",
) -> dict[str, Any]:
    """Run one phase in a child process and sample its process tree's memory."""
    import psutil

    cmd = [sys.executable, "-m", "tools.bench", "--phase", phase, "--tree", tree]
    cmd += ["--db", os.path.join(workdir, db)]
    if findings:
        cmd += ["--findings", findings]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    if not ocr:
        cmd.append("--no-ocr")
    # The child imports ``tools`` from this checkout, wherever it is started from.
    checkout = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join(x for x in (checkout, os.environ.get("PYTHONPATH", "")) if x)
    env = dict(os.environ, PVSCAN_HOME=os.path.join(workdir, "home"), PYTHONPATH=path)
    proc = psutil.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    peak = [0, 0]  # summed RSS, summed PSS
    done = threading.Event()
    sampler_cpu = [0.0]

    def sample() -> None:
        # The sampler shares the cores with the phase it measures: every 0.1 s (a
        # tesseract page takes about a second), and its own CPU time is reported.
        t0 = time.thread_time()
        while not done.is_set():
            try:
                procs = [proc, *proc.children(recursive=True)]
            except psutil.Error:
                break
            rss = pss = 0
            for p in procs:
                try:
                    info = p.memory_full_info()  # /proc/PID/smaps_rollup: rss and pss
                    rss += info.rss
                    pss += info.pss
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], rss)
            peak[1] = max(peak[1], pss)
            done.wait(0.1)
        sampler_cpu[0] = time.thread_time() - t0

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, err = proc.communicate()
    done.set()
    t.join()
    if proc.returncode != 0:
        raise RuntimeError(f"bench phase {phase} failed ({proc.returncode}):\n{err[-3000:]}")
    res = json.loads(out.strip().splitlines()[-1])
    res["peak_rss"] = peak[0]
    res["peak_pss"] = peak[1]
    res["sampler_cpu"] = round(sampler_cpu[0], 2)
    res["phase"] = phase
    return res


def bench(
    corpus: str,
    workers: int | None = None,
    repeat: int = 3,
    baseline: bool = True,
    keep: str | None = None,
    echo: Any = print,
    ocr: bool = True,
    duplicates: bool = True,
    dup_every: int = 5,
    dup_repeat: int = 2,
) -> dict[str, Any]:
    """Run the phases and return the figures (also echoed as a table).

    ``ocr=False`` skips the (a+) scan with OCR; the re-scan then uses the inventory of
    (a), with its settings."""
    tree, truth_path, files_path = locate(corpus)
    truth = load_truth(truth_path, files_path) if truth_path else set()
    truth_ocr = load_truth(truth_path, files_path, "needs_ocr") if truth_path else set()
    workdir = keep or tempfile.mkdtemp(prefix="pvscan-bench-")
    os.makedirs(workdir, exist_ok=True, mode=0o700)
    try:
        found = {k: os.path.join(workdir, f"{k}.jsonl") for k in ("a", "a+", "b")}
        for db in ("a.sqlite", "bench.sqlite"):
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(workdir, db + suffix))
        rows: dict[str, dict[str, Any]] = {}
        rows["a"] = run_phase("full", tree, workdir, workers, found["a"], ocr=False, db="a.sqlite")
        if ocr:
            rows["a+"] = run_phase("full", tree, workdir, workers, found["a+"], ocr=True)
        if baseline:
            rows["b"] = run_phase("naive", tree, workdir, workers, found["b"])
        # c and d are quick and noisy: best of ``repeat`` (the page cache is warm for both);
        # c re-scans the inventory of the last full scan with that scan's settings
        db = "bench.sqlite" if ocr else "a.sqlite"
        rows["c"] = min(
            (run_phase("rescan", tree, workdir, workers, None, ocr=ocr, db=db) for _ in range(repeat)),
            key=lambda r: r["elapsed"],
        )
        rows["d"] = min(
            (run_phase("walk", tree, workdir, workers, None) for _ in range(repeat)),
            key=lambda r: r["elapsed"],
        )
        if duplicates:
            # without OCR, like (a): the copies' cost against the same tree without them
            # (e) and (e2) take turns, best of ``dup_repeat`` each: a ratio of two short
            # full scans is at the mercy of whatever else the machine does meanwhile
            d0, d1, copies = make_dup_trees(tree, workdir, dup_every)
            runs: dict[str, list[dict[str, Any]]] = {"e": [], "e2": []}
            for _ in range(max(1, dup_repeat)):
                for key, sub in (("e", d0), ("e2", d1)):
                    for suffix in ("", "-wal", "-shm"):
                        with contextlib.suppress(OSError):
                            os.remove(os.path.join(workdir, f"{key}.sqlite{suffix}"))
                    runs[key].append(
                        run_phase("full", sub, workdir, workers, None, ocr=False, db=f"{key}.sqlite")
                    )
            rows["e"] = min(runs["e"], key=lambda r: r["elapsed"])
            rows["e2"] = min(runs["e2"], key=lambda r: r["elapsed"])
            rows["e2"]["copies"] = copies
            shutil.rmtree(d0, ignore_errors=True)
            shutil.rmtree(d1, ignore_errors=True)
        for key in ("a", "a+", "b"):
            if key in rows and truth:
                rows[key]["recall"] = recall(found[key], tree, truth)
            if key in rows and truth_ocr:
                rows[key]["recall_ocr"] = recall(found[key], tree, truth_ocr)
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "tree": tree,
        "workers": workers or os.cpu_count(),
        "phases": rows,
        # like for like: both without OCR
        "speedup_b_over_a": rows["b"]["elapsed"] / rows["a"]["elapsed"] if "b" in rows else None,
        "speedup_b_over_a_ocr": (
            rows["b"]["elapsed"] / rows["a+"]["elapsed"] if "b" in rows and "a+" in rows else None
        ),
        "rescan_over_walk": rows["c"]["elapsed"] / max(rows["d"]["elapsed"], 1e-9),
        "ocr_over_no_ocr": rows["a+"]["elapsed"] / rows["a"]["elapsed"] if "a+" in rows else None,
        "copies_over_no_copies": rows["e2"]["elapsed"] / rows["e"]["elapsed"] if "e2" in rows else None,
        "truth_fnr": len(truth),
        "truth_fnr_ocr": len(truth_ocr),
    }
    for line in format_table(result):
        echo(line)
    return result


LABELS = {
    "a": "(a) pvscan full scan, no OCR",
    "a+": "(a+) pvscan full scan with OCR",
    "b": "(b) naive baseline, 1 process, no OCR",
    "c": "(c) pvscan re-scan, unchanged",
    "d": "(d) bare walk + stat",
    "e": "(e) sample of the tree, no OCR",
    "e2": "(e2) the sample + a copy of every 2nd file, no OCR",
}


def ocr_summary(counters: dict[str, int]) -> str:
    """``pages 201 read, 0 skipped (0 blank, 0 photo), 0 remembered; images …``."""
    out = []
    for what in ("pages", "images"):
        read = counters.get(f"ocr.{what}_read", 0)
        blank = counters.get(f"ocr.{what}_skipped_blank", 0)
        photo = counters.get(f"ocr.{what}_skipped_photo", 0)
        memo = counters.get(f"ocr.{what}_remembered", 0)
        out.append(
            f"{what} {read} OCR'd, {blank + photo} skipped ({blank} blank, {photo} photo), {memo} remembered"
        )
    return "; ".join(out)


def format_table(result: dict[str, Any]) -> list[str]:
    lines = [
        f"tree: {result['tree']}  workers: {result['workers']}",
        "| phase | files | MB | seconds | files/s | MB/s | peak RSS sum (MB) | peak PSS sum (MB) "
        "| fnr recall | fnr recall, OCR files |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def pct(v: float | None) -> str:
        return "" if v is None else f"{v:.4f}"

    for key, row in result["phases"].items():
        el = max(row["elapsed"], 1e-9)
        lines.append(
            f"| {LABELS[key]} | {row['files']} | {row['bytes'] / 1e6:.1f} | {row['elapsed']:.3f} | "
            f"{row['files'] / el:,.0f} | {row['bytes'] / 1e6 / el:,.1f} | {row['peak_rss'] / 2**20:.0f} | "
            f"{row.get('peak_pss', 0) / 2**20:.0f} | {pct(row.get('recall'))} | {pct(row.get('recall_ocr'))} |"
        )
    if result["speedup_b_over_a"] is not None:
        lines.append(
            "speed-up over the naive baseline, like for like, both without OCR (b/a): "
            f"{result['speedup_b_over_a']:.1f}×"
        )
    phases = result["phases"]
    if "a+" in phases:
        extra = phases["a+"]["elapsed"] - phases["a"]["elapsed"]
        lines.append(
            f"cost of OCR ((a+) - (a)): {extra:.1f} s; it reads the image-only files the "
            "baseline cannot (last column)"
        )
        if result.get("speedup_b_over_a_ocr") is not None:
            lines.append(
                "pvscan with OCR against the baseline without (b/(a+)): "
                f"{result['speedup_b_over_a_ocr']:.1f}×"
            )
    if "a+" in phases:
        lines.append(f"full scan with OCR over without ((a+)/(a)): {result['ocr_over_no_ocr']:.2f}×")
        lines.append("OCR work in (a+): " + ocr_summary(phases["a+"].get("counters", {})))
    for key in ("a", "a+"):
        row = phases.get(key)
        if row and row.get("jsonl_s") is not None:
            lines.append(
                f"writing --jsonl with --reveal after {key}: {row['jsonl_s']:.2f} s = "
                f"{100 * row['jsonl_s'] / max(row['elapsed'], 1e-9):.1f} % of the scan"
            )
    if "e2" in phases:
        e2 = phases["e2"]
        lines.append(
            f"duplicate-heavy tree: {e2['files']} files of which {e2.get('copies', 0)} copies, "
            f"{e2.get('counters', {}).get('duplicates.copies', 0)} taken from their original; "
            f"(e2)/(e): {result['copies_over_no_copies']:.2f}×"
        )
    lines.append(f"re-scan over bare walk (c/d): {result['rescan_over_walk']:.2f}×")
    lines.append(
        "peak memory: the phase's whole process tree (workers, tesseract) sampled every 100 ms; "
        "RSS counts pages shared by forked workers once per process, PSS shares them out"
    )
    if result["truth_fnr"]:
        lines.append(
            f"fødselsnummer in truth (non-synthetic): {result['truth_fnr']} in readable files, "
            f"{result.get('truth_fnr_ocr', 0)} in image-only (needs_ocr) files"
        )
    return lines


def register(cli: Any) -> None:
    """Add ``pvscan bench`` to the CLI group."""

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
    @click.option("--no-ocr-phase", is_flag=True, help="Skip the full scan with OCR (a+).")
    @click.option("--no-duplicates", is_flag=True, help="Skip the duplicate-heavy tree (e), (e2).")
    @click.option(
        "--dup-every", type=int, default=5, show_default=True, help="(e) samples every N-th file of the tree."
    )
    @click.option(
        "--dup-repeat",
        type=int,
        default=2,
        show_default=True,
        help="Runs of (e) and (e2), taking turns; the best of each counts.",
    )
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
        no_ocr_phase: bool,
        no_duplicates: bool,
        dup_every: int,
        dup_repeat: int,
        json_out: str | None,
        keep: str | None,
    ) -> None:
        """Measure pvscan on a tree: full scan vs a naive baseline, re-scan vs a bare walk.

        The speed-up is like for like (pvscan without OCR vs the baseline, which has
        none); the full scan with OCR is a separate line.

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
            corpus,
            workers=workers,
            repeat=repeat,
            baseline=not no_baseline,
            keep=keep,
            echo=click.echo,
            ocr=not no_ocr_phase,
            duplicates=not no_duplicates,
            dup_every=dup_every,
            dup_repeat=dup_repeat,
        )
        if json_out:
            with open(json_out, "w", encoding="utf-8") as fh:
                json.dump(result, fh, indent=2)


if __name__ == "__main__":
    _child(sys.argv[1:])
