"""Name detection measured on text annotated by others: ``python -m tools names-norne --norne DIR``.

NorNE (Jørgensen et al., LREC 2020; https://github.com/ltgoslo/norne) annotates person
names (``PER``) in the Norwegian Dependency Treebank, bokmål and nynorsk: news, blogs,
parliament, reports. ``DIR`` is a checkout of that repository; its UD CoNLL-U files
(``ud/nob/no_bokmaal-ud-{split}.conllu``, ``ud/nno/no_nynorsk-ud-{split}.conllu``) are
read, one sentence per segment. Only the train and dev splits may be used: the test
split is kept for nobody to tune on.

What is counted, per variety:

* **full names**: PER entities of two or more words (first name and surname, what a
  person search looks for). Recall = such entities found with exactly their span;
  precision = predicted names that are exactly a PER entity.
* **overlap precision**: predicted names that overlap any PER entity (a predicted
  "Kari Nordmann" inside "Kari Nordmann Hansen" is still a person).
* **all PER recall**: over every PER entity, also single names ("Stoltenberg"), which
  the detector does not try to find on their own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import click

from pvscan.interfaces import DocState
from pvscan.model import Segment
from pvscan.patterns.names import NameDetector

FILES = {"bokmål": "ud/nob/no_bokmaal-ud-{split}.conllu", "nynorsk": "ud/nno/no_nynorsk-ud-{split}.conllu"}

Span = tuple[int, int]


def sentences(path: str) -> Iterator[tuple[str, list[Span]]]:
    """(text, PER entity character spans) per sentence of a NorNE CoNLL-U file."""
    toks: list[tuple[str, str, bool]] = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line:
            if toks:
                yield _sentence(toks)
                toks = []
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if "-" in cols[0] or "." in cols[0]:
            continue
        misc = dict(kv.split("=", 1) for kv in cols[9].split("|") if "=" in kv)
        toks.append((cols[1], misc.get("name", "O"), misc.get("SpaceAfter") != "No"))
    if toks:
        yield _sentence(toks)


def _sentence(toks: list[tuple[str, str, bool]]) -> tuple[str, list[Span]]:
    text, spans = "", []
    cur: list[int] | None = None
    for form, tag, space in toks:
        start = len(text)
        text += form + (" " if space else "")
        end = start + len(form)
        if tag.startswith("B-PER") or (tag.startswith("I-PER") and cur is None):
            if cur:
                spans.append((cur[0], cur[1]))
            cur = [start, end]
        elif tag.startswith("I-PER") and cur is not None:
            cur[1] = end
        else:
            if cur:
                spans.append((cur[0], cur[1]))
            cur = None
    if cur:
        spans.append((cur[0], cur[1]))
    return text.rstrip(), spans


def evaluate(path: str) -> dict[str, float]:
    det = NameDetector()
    gold_full = gold_all = found_full = found_all = pred_n = exact = overlap = 0
    for text, gold in sentences(path):
        pred = {(f.start, f.end) for f in det.detect(Segment(text), DocState())}
        full = [g for g in gold if " " in text[g[0] : g[1]]]
        gold_full += len(full)
        gold_all += len(gold)
        found_full += sum(1 for g in full if g in pred)
        found_all += sum(1 for g in gold if any(p[0] < g[1] and g[0] < p[1] for p in pred))
        pred_n += len(pred)
        exact += sum(1 for p in pred if p in gold)
        overlap += sum(1 for p in pred if any(p[0] < g[1] and g[0] < p[1] for g in gold))
    return {
        "full_names": gold_full,
        "predicted": pred_n,
        "precision": exact / pred_n if pred_n else 1.0,
        "recall": found_full / gold_full if gold_full else 1.0,
        "overlap_precision": overlap / pred_n if pred_n else 1.0,
        "per_entities": gold_all,
        "all_per_recall": found_all / gold_all if gold_all else 1.0,
    }


def register(cli: click.Group) -> None:
    """Add ``names-norne`` to the tools' command group."""

    @cli.command("names-norne")
    @click.option(
        "--norne",
        "norne_dir",
        required=True,
        type=click.Path(exists=True, file_okay=False),
        help="A checkout of github.com/ltgoslo/norne.",
    )
    @click.option("--split", type=click.Choice(["dev", "train"]), default="dev", show_default=True)
    def names_norne_cmd(norne_dir: str, split: str) -> None:
        """Precision and recall of the name detector on NorNE (bokmål and nynorsk)."""
        for variety, rel in FILES.items():
            r = evaluate(os.path.join(norne_dir, rel.format(split=split)))
            click.echo(
                f"{variety} {split}: full names {r['full_names']}, predicted {r['predicted']}; "
                f"precision {r['precision']:.3f} (overlapping a person {r['overlap_precision']:.3f}), "
                f"recall {r['recall']:.3f}; all {r['per_entities']} PER entities: recall {r['all_per_recall']:.3f}"
            )
