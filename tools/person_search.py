"""How complete an access request is: ``python -m tools person-search --corpus DIR``.

For people of a generated bench corpus (``gen_corpus.py --out DIR``), run the access
request's query (:func:`pvscan.workflows.access.collect`) with the keys a caseworker
has and compare the listed files with the truth: ``files.jsonl``'s ``person_ids`` are
the people named, addressed or identified in each file. Reported per set of keys:

* recall: files listed ÷ files where the person appears (micro, over all people);
* precision: listed files where the person appears ÷ files listed;
* how many listed files were found by name alone (the overview marks them). Files
  set apart as probable namesakes (the name only beside another birth date) are not
  listed, as in the case overview.

Files the scanner cannot read by design (encrypted, corrupt, zip bombs) are left out of
the truth and counted apart. The corpus is scanned into a temporary inventory unless
``--db`` names one made from it.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from collections.abc import Callable

import click

from pvscan.identity.search import SearchKey
from pvscan.model import Settings
from pvscan.scan import scan
from pvscan.workflows.access import collect
from pvscan.workflows.access.query import split_namesakes
from pvscan.workflows.find import parse_keys

#: Statuses of files that cannot be read at all: not counted as missed.
UNREADABLE = ("encrypted", "corrupt", "bomb")

#: The key sets compared: what an access request could use before person search, and
#: with every key the caseworker has.
KEY_SETS: dict[str, Callable[[dict], list[SearchKey]]] = {
    "numbers (fnr, kontonummer)": lambda p: parse_keys([p["fnr"]], [p["konto"]] if p.get("konto") else []),
    "all (fnr, kontonummer, name, e-mail, phone)": lambda p: parse_keys(
        [p["fnr"]],
        [p["konto"]] if p.get("konto") else [],
        [p["name"]],
        [p["email"]] if p.get("email") else [],
        [p["phone"]] if p.get("phone") else [],
    ),
}


def load_truth(corpus_dir: str) -> tuple[list[dict], dict[int, set[str]], int]:
    """(people, pid -> files where they appear, unreadable files left out)."""
    people = [json.loads(x) for x in open(os.path.join(corpus_dir, "persons.jsonl"), encoding="utf-8")]
    where: dict[int, set[str]] = {}
    skipped = 0
    for line in open(os.path.join(corpus_dir, "files.jsonl"), encoding="utf-8"):
        rec = json.loads(line)
        if rec.get("status") in UNREADABLE:
            skipped += 1
            continue
        for pid in rec.get("person_ids", ()):
            where.setdefault(pid, set()).add(rec["file"])
    return people, where, skipped


def measure(db: str, corpus_dir: str, people_n: int, seed: int) -> dict[str, dict[str, float]]:
    """Recall and precision of each key set over ``people_n`` people who appear
    somewhere (a deterministic sample)."""
    people, where, _ = load_truth(corpus_dir)
    root = os.path.join(os.path.abspath(corpus_dir), "corpus") + os.sep
    present = [p for p in people if where.get(p["pid"])]
    sample = random.Random(seed).sample(present, min(people_n, len(present)))
    out: dict[str, dict[str, float]] = {}
    for label, make in KEY_SETS.items():
        truth_n = listed_n = right_n = weak_n = weak_wrong = 0
        for p in sample:
            items, _ = split_namesakes(collect(db, make(p))[0])
            # The path on disk, not the display form: a file name that is not UTF-8 is
            # written in the truth with surrogate escapes, as os.fsdecode gives it.
            listed = {os.fsdecode(it.path).removeprefix(root): it for it in items}
            truth = where[p["pid"]]
            truth_n += len(truth)
            listed_n += len(listed)
            right_n += len(truth & set(listed))
            for f, it in listed.items():
                if it.weak:
                    weak_n += 1
                    weak_wrong += f not in truth
        out[label] = {
            "people": len(sample),
            "files_truth": truth_n,
            "files_listed": listed_n,
            "recall": right_n / truth_n if truth_n else 1.0,
            "precision": right_n / listed_n if listed_n else 1.0,
            "name_only": weak_n,
            "name_only_wrong": weak_wrong,
        }
    return out


def register(cli: click.Group) -> None:
    """Add ``person-search`` to the tools' command group."""

    @cli.command("person-search")
    @click.option(
        "--corpus",
        "corpus_dir",
        required=True,
        type=click.Path(exists=True, file_okay=False),
        help="Output folder of gen_corpus.py (with corpus/, persons.jsonl, files.jsonl).",
    )
    @click.option(
        "--db", type=click.Path(dir_okay=False), help="Inventory of that corpus (default: scan it now)."
    )
    @click.option("--people", default=200, show_default=True, help="People to search for (a sample).")
    @click.option("--seed", default=1, show_default=True, help="Seed of the sample.")
    @click.option("--workers", type=int, default=None, help="Scan workers (default: all cores).")
    def person_search_cmd(
        corpus_dir: str, db: str | None, people: int, seed: int, workers: int | None
    ) -> None:
        """Completeness of access requests over many people of a generated corpus."""
        with tempfile.TemporaryDirectory() as tmp:
            if db is None:
                db = os.path.join(tmp, "inventory.sqlite")
                scan([os.path.join(corpus_dir, "corpus")], db, settings=Settings(), workers=workers)
            _, _, skipped = load_truth(corpus_dir)
            res = measure(db, corpus_dir, people, seed)
        click.echo(f"unreadable files left out of the truth: {skipped}")
        for label, r in res.items():
            click.echo(
                f"{label}: {r['people']} people, {r['files_truth']} files where they appear, "
                f"{r['files_listed']} listed; recall {r['recall']:.3f}, precision {r['precision']:.3f}; "
                f"found by name alone {r['name_only']} ({r['name_only_wrong']} wrong)"
            )
