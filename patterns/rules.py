"""Organisation-specific rules from a TOML file, without writing Python.

::

    [[rule]]
    id = "ansattnummer"                 # stable id, letters/digits/_/-
    type = "ansattnummer"               # finding type
    regex = 'ANS-\\d{6}'                # or: words = ["prosjekt blå", "kodenavn x"]
    confidence = "medium"               # low | medium | high (default medium)
    description = { nb = "Ansattnummer", en = "Employee number" }

The file is validated when loaded; any problem raises :class:`RuleError` naming the
file, the rule and what is wrong, so a typo stops the scan before it starts.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass

import regex

from pvscan.interfaces import Detector, DocState
from pvscan.model import CONFIDENCES, Finding, Segment

_ID = regex.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_KEYS = {"id", "type", "regex", "words", "confidence", "description", "ignore_case"}


class RuleError(ValueError):
    """A custom rule file is invalid."""

    def __init__(self, path: str, rule: str, problem: str):
        super().__init__(f"{path}: rule {rule}: {problem}")
        self.path, self.rule, self.problem = path, rule, problem


@dataclass
class Rule:
    id: str
    type: str
    pattern: regex.Pattern
    confidence: str
    description: dict[str, str]


def load_rules(path: str) -> list[Rule]:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise RuleError(path, "-", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(path, "-", f"not valid TOML: {exc}") from None
    raw = data.get("rule", [])
    if not isinstance(raw, list):
        raise RuleError(path, "-", "[[rule]] must be an array of tables")
    rules: list[Rule] = []
    seen: set[str] = set()
    for n, r in enumerate(raw, start=1):
        name = str(r.get("id", f"#{n}")) if isinstance(r, dict) else f"#{n}"
        if not isinstance(r, dict):
            raise RuleError(path, name, "must be a table")
        unknown = set(r) - _KEYS
        if unknown:
            raise RuleError(path, name, f"unknown key(s): {', '.join(sorted(unknown))}")
        rid = r.get("id")
        if not isinstance(rid, str) or not _ID.match(rid):
            raise RuleError(path, name, "'id' is required: letters, digits, '_' or '-'")
        if rid in seen:
            raise RuleError(path, name, "duplicate id")
        seen.add(rid)
        typ = r.get("type", rid)
        if not isinstance(typ, str) or not typ:
            raise RuleError(path, name, "'type' must be a non-empty string")
        conf = r.get("confidence", "medium")
        if conf not in CONFIDENCES:
            raise RuleError(path, name, f"'confidence' must be one of {', '.join(CONFIDENCES)}")
        desc = r.get("description", {})
        if isinstance(desc, str):
            desc = {"nb": desc, "nn": desc, "en": desc}
        if not isinstance(desc, dict):
            raise RuleError(path, name, "'description' must be a string or a table of languages")
        flags = regex.IGNORECASE if r.get("ignore_case", "words" in r) else 0
        if ("regex" in r) == ("words" in r):
            raise RuleError(path, name, "give exactly one of 'regex' or 'words'")
        if "regex" in r:
            if not isinstance(r["regex"], str) or not r["regex"]:
                raise RuleError(path, name, "'regex' must be a non-empty string")
            try:
                pat = regex.compile(r["regex"], flags)
            except regex.error as exc:
                raise RuleError(path, name, f"invalid regex: {exc}") from None
            if pat.search(""):
                raise RuleError(path, name, "regex matches the empty string")
        else:
            words = r["words"]
            if (
                not isinstance(words, list)
                or not words
                or not all(isinstance(w, str) and w.strip() for w in words)
            ):
                raise RuleError(path, name, "'words' must be a non-empty list of strings")
            alts = "|".join(regex.escape(w.strip()) for w in sorted(words, key=len, reverse=True))
            pat = regex.compile(rf"(?<!\w)(?:{alts})(?!\w)", flags)
        rules.append(Rule(rid, typ, pat, conf, {k: str(v) for k, v in desc.items()}))
    return rules


class RuleDetector(Detector):
    """Runs an organisation's custom rules."""

    id = "custom_rules"
    version = "1"
    description = {
        "nb": "Egne regler fra regelfil (regex eller ordliste)",
        "nn": "Eigne reglar frå regelfil (regex eller ordliste)",
        "en": "Custom rules from the rules file (regex or word list)",
    }

    def __init__(self, rules: list[Rule]):
        self.rules = rules
        self.types = tuple(sorted({r.type for r in rules}))

    def detect(self, segment: Segment, doc: DocState) -> Iterable[Finding]:
        for rule in self.rules:
            for m in rule.pattern.finditer(segment.text):
                yield Finding(
                    rule.type,
                    m.group(0),
                    confidence=rule.confidence,
                    detector=f"{self.id}:{rule.id}",
                    start=m.start(),
                    end=m.end(),
                )
