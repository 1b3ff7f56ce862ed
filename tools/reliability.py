"""The reliability table in the README, regenerated from the test runs by one command.

The hardening suites (fuzz smoke, crashers, XML/archive attacks, fault injection,
privacy) write their figures as JSON into ``$PVSCAN_RELIABILITY_DIR``;
``pvscan reliability --run`` runs them with that set and prints a Markdown table:
class | inputs or cases | executions | outcome. Without ``--run`` it reads a folder a
previous run left (``--from``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import click

SUITES = (
    "tests/tools/test_fuzz.py",
    "tests/plugins/test_attacks.py",
    "tests/scanner/scan/test_faults.py",
    "tests/scanner/test_privacy.py",
)

_CLASS_NAMES = {
    "xml-bomb": "XML entity bombs (docx/xlsx/pptx/odt)",
    "xml-xxe": "XML external entities (file://, http://)",
    "archive-slip": "Zip-slip / absolute / symlink members",
    "archive-bomb": "High-ratio archives",
    "archive-nesting": "Deeply nested archives",
    "fault-disk-full": "Inventory disk full",
    "fault-read-only": "Inventory read-only",
    "fault-permission": "Permission denied (folder, file)",
    "fault-vanish": "Files deleted/rewritten mid-scan",
    "fault-sigterm": "SIGTERM during writes",
    "fault-server": "Samba server stopped mid-scan",
}


def load(folder: str | os.PathLike[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in sorted(Path(folder).glob("*.json")):
        out[p.stem] = json.loads(p.read_text(encoding="utf-8"))
    return out


def table(stats: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str, str]] = []
    fz = stats.get("fuzz")
    if fz:
        handled = ", ".join(f"{k.split(':', 1)[-1]} {v}" for k, v in fz["outcomes"].items() if k != "ok")
        fails = len(fz["failures"])
        rows.append(
            (
                "Fuzzing, CI smoke (all extractors, worker pool, 10 s / 768 MiB per case)",
                f"{fz['seeds']} seed files, {len(fz['seed_formats'])} formats",
                f"{fz['executions']} in {fz['seconds']:.0f} s",
                f"{fails} failures (uncaught error, hang, memory); read fine {fz['outcomes'].get('ok', 0)}; "
                f"handled: {handled}; slowest {fz['slowest']:.1f} s",
            )
        )
    man = stats.get("fuzz-manual")
    if man:
        rows.append(
            (
                "Fuzzing, long run by hand (`pvscan fuzz`)",
                f"{man['seeds']} seed files, {len(man['seed_formats'])} formats",
                f"{man['executions']} in {man['seconds']:.0f} s",
                f"{len(man['failures'])} failures",
            )
        )
    cr = stats.get("crashers")
    if cr:
        outs = defaultdict(int)
        for c in cr["cases"]:
            outs[c["outcome"]] += 1
        rows.append(
            (
                "Fuzz crashers kept as regression inputs",
                f"{len(cr['cases'])} files",
                str(len(cr["cases"])),
                "all handled: " + ", ".join(f"{k.split(':', 1)[-1]} {v}" for k, v in sorted(outs.items())),
            )
        )
    br = stats.get("fuzz-broken")
    if br:
        rows.append(
            (
                "Deliberately broken extractor (the fuzzer must reject it)",
                "1 plugin",
                str(br["executions"]),
                "rejected: " + ", ".join(f"{k} {v}" for k, v in br["outcomes"].items()),
            )
        )
    for name in ("attacks", "faults"):
        groups: dict[str, list[dict[str, str]]] = defaultdict(list)
        for c in stats.get(name, {}).get("cases", []):
            groups[c["class"]].append(c)
        for cls, cases in groups.items():
            outcomes = sorted({c["outcome"] for c in cases})
            rows.append(
                (
                    _CLASS_NAMES.get(cls, cls),
                    f"{len(cases)} case{'s' if len(cases) != 1 else ''}",
                    str(len(cases)),
                    "; ".join(outcomes) if len(outcomes) <= 2 else f"{outcomes[0]} … {outcomes[-1]}",
                )
            )
    pv = stats.get("privacy")
    if pv:
        rows.append(
            (
                "Privacy: raw numbers in everything pvscan wrote",
                f"{pv['numbers']} numbers × {pv['forms_per_number']} forms",
                f"{pv['files_written']} files, {pv['bytes_grepped']} bytes grepped",
                f"{pv['leaks']} leaks, {pv['loose_modes']} files/folders not owner-only, "
                f"scanned files unchanged ({pv['scanned_files']})",
            )
        )
    at = stats.get("atime")
    if at:
        rows.append(
            (
                "Access time of scanned files older than a day",
                f"{at['files']} files",
                str(at["files"]),
                f"atime kept on {at['atime_kept']} (restored after reading; content and mtime always kept)",
            )
        )
    lines = ["| Class | Inputs / cases | Executions | Outcome |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines) + "\n"


def run_suites(folder: str, repo: str = ".") -> int:
    env = {**os.environ, "PVSCAN_RELIABILITY_DIR": folder}
    args = [sys.executable, "-m", "pytest", "-q", *[os.path.join(repo, s) for s in SUITES]]
    return subprocess.run(args, env=env, cwd=repo).returncode


def register(main: Any) -> None:
    @main.command("reliability")
    @click.option(
        "--run", "do_run", is_flag=True, help="Run the hardening test suites first (needs the source tree)."
    )
    @click.option(
        "--from",
        "folder",
        type=click.Path(file_okay=False),
        default=None,
        help="Folder of JSON figures (default: $PVSCAN_RELIABILITY_DIR, or a new one with --run).",
    )
    @click.option("--repo", default=".", show_default=True, help="Source tree with tests/ (for --run).")
    def reliability_cmd(do_run: bool, folder: str | None, repo: str) -> None:
        """Print the reliability table (Markdown) from the hardening test suites:
        fuzzing, crashers, XML/archive attacks, fault injection, privacy."""
        folder = folder or os.environ.get("PVSCAN_RELIABILITY_DIR")
        if do_run:
            folder = folder or tempfile.mkdtemp(prefix="pvscan-reliability-")
            code = run_suites(folder, repo)
            if code:
                click.echo(
                    f"pvscan: the hardening suites failed (exit {code}); figures may be partial", err=True
                )
        if not folder or not Path(folder).is_dir():
            raise click.UsageError("give --run, or --from a folder of figures")
        click.echo(table(load(folder)), nl=False)
