"""The built-in detector plugin: registers every detector in :mod:`pvscan.patterns`
and the ``pvscan patterns`` / ``pvscan bench-detectors`` commands."""

from __future__ import annotations

import click

from pvscan import hookimpl
from pvscan.interfaces import Detector
from pvscan.model import Settings

from .identifiers import ContactDetector, IdentifierDetector
from .lexicon import CategoryDetector
from .names import NameDetector
from .rules import RuleDetector, load_rules


def build_detectors(settings: Settings) -> list[Detector]:
    """Every built-in detector, plus the custom rules of ``settings.rules_file``
    (loaded and validated here, so a bad rule file fails before the scan starts)."""
    dets: list[Detector] = [
        IdentifierDetector(settings),
        ContactDetector(),
        CategoryDetector(settings),
        NameDetector(),
    ]
    if settings.rules_file:
        dets.append(RuleDetector(load_rules(settings.rules_file)))
    return dets


@hookimpl
def pvscan_detectors(settings: Settings) -> list[Detector]:
    return build_detectors(settings)


def describe_all(rules_file: str | None = None) -> list[tuple[str, str, str, str]]:
    """(id, types, Norwegian line, English line) for every detector and custom rule."""
    out = []
    for d in build_detectors(Settings(rules_file=rules_file)):
        rules = getattr(d, "rules", None)
        if rules is not None:
            for r in rules:
                nb = r.description.get("nb", r.type)
                out.append((f"{d.id}:{r.id}", r.type, nb, r.description.get("en", nb)))
            continue
        out.append((d.id, ", ".join(d.types), d.description.get("nb", ""), d.description.get("en", "")))
    return out


@hookimpl
def pvscan_register_commands(cli: click.Group) -> None:
    @cli.command("patterns")
    @click.option(
        "--rules",
        "rules_file",
        type=click.Path(exists=True, dir_okay=False),
        help="Custom rules file (TOML).",
    )
    def patterns_cmd(rules_file: str | None) -> None:
        """List every detector and custom rule, in Norwegian and English."""
        for ident, types, nb, en in describe_all(rules_file):
            click.echo(f"{ident}  [{types}]")
            click.echo(f"    nb: {nb}")
            click.echo(f"    en: {en}")
