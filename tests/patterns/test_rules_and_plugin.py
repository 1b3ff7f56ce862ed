"""Custom rules, plugin registration, the CLI commands, masking and the benchmark."""

from __future__ import annotations

import os
import stat

import click
import pytest
from click.testing import CliRunner

from pvscan.engine.manager import make_plugin_manager
from pvscan.identity import masking
from pvscan.interfaces import DocState
from pvscan.model import Segment, Settings
from pvscan.patterns.plugin import build_detectors, pvscan_register_commands
from pvscan.patterns.rules import RuleDetector, RuleError, load_rules


def write(tmp_path, text: str) -> str:
    p = tmp_path / "rules.toml"
    p.write_text(text, encoding="utf-8")
    return str(p)


def test_regex_and_word_rules(tmp_path):
    path = write(
        tmp_path,
        """
[[rule]]
id = "ansattnr"
type = "ansattnummer"
regex = 'ANS-\\d{6}'
description = { nb = "Ansattnummer", en = "Employee number" }

[[rule]]
id = "kodenavn"
words = ["Prosjekt Blå", "Operasjon Måke"]
confidence = "high"
""",
    )
    det = RuleDetector(load_rules(path))
    hits = list(det.detect(Segment("Sjå ANS-123456 i prosjekt blå."), DocState()))
    assert [(h.type, h.value, h.confidence) for h in hits] == [
        ("ansattnummer", "ANS-123456", "medium"),
        ("kodenavn", "prosjekt blå", "high"),
    ]
    assert any(d.id == "custom_rules" for d in build_detectors(Settings(rules_file=path)))


@pytest.mark.parametrize(
    "body,needle",
    [
        ('[[rule]]\nid = "a"\nregex = "("\n', "invalid regex"),
        ('[[rule]]\nid = "a"\n', "exactly one of"),
        ('[[rule]]\nid = "a"\nregex = "x"\nwords = ["y"]\n', "exactly one of"),
        ('[[rule]]\nid = "a"\nregex = "x*"\n', "empty string"),
        ('[[rule]]\nid = "a"\nregex = "x"\nconfidence = "sure"\n', "confidence"),
        ('[[rule]]\nid = "a"\nregex = "x"\ncolour = 1\n', "unknown key"),
        ('[[rule]]\nid = "a b"\nregex = "x"\n', "'id'"),
        ('[[rule]]\nid = "a"\nregex = "x"\n[[rule]]\nid = "a"\nregex = "y"\n', "duplicate"),
        ("[[rule]\n", "not valid TOML"),
    ],
)
def test_invalid_rules_say_what_is_wrong(tmp_path, body, needle):
    path = write(tmp_path, body)
    with pytest.raises(RuleError) as exc:
        load_rules(path)
    assert needle in str(exc.value)
    assert path in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_plugin_is_registered():
    pm = make_plugin_manager()
    dets = [d for group in pm.hook.pvscan_detectors(settings=Settings()) for d in group]
    ids = {d.id for d in dets}
    assert {"no_identifiers", "no_contact", "no_categories"} <= ids
    for d in dets:
        if d.id.startswith("no_"):
            assert set(d.description) >= {"nb", "nn", "en"}


def _cli() -> click.Group:
    @click.group()
    def cli() -> None:
        pass

    pvscan_register_commands(cli)
    return cli


def test_patterns_command_lists_detectors_and_rules(tmp_path):
    path = write(
        tmp_path,
        '[[rule]]\nid = "x1"\nregex = "X\\\\d"\ndescription = { nb = "Testregel", en = "Test rule" }\n',
    )
    res = CliRunner().invoke(_cli(), ["patterns", "--rules", path])
    assert res.exit_code == 0, res.output
    for needle in (
        "no_identifiers",
        "no_categories",
        "no_contact",
        "custom_rules:x1",
        "nb: Testregel",
        "en: Test rule",
        "Fødselsnummer",
    ):
        assert needle in res.output


def test_masking_and_keyed_hash(tmp_path, monkeypatch):
    key_file = tmp_path / "k" / "secret.key"
    monkeypatch.setenv("PVSCAN_KEY_FILE", str(key_file))
    masking._KEY_CACHE.clear()
    assert masking.mask("fodselsnummer", "01019012345") == "010190*****"
    h1 = masking.keyed_hash("010190 12345")
    assert h1 == masking.keyed_hash("01019012345")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    masking._KEY_CACHE.clear()
    assert masking.keyed_hash("01019012345") == h1


def test_custom_rule_values_with_digits_are_masked():
    from pvscan.identity.masking import mask

    assert mask("ansattnummer", "ANS-123456") == "AN******56"
    assert mask("kodeord", "prosjekt blå") == "prosjekt blå"
    assert mask("helse", "sjukmelding") == "sjukmelding"
