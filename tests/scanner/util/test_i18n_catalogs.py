"""The gettext catalogs (CLI and web): every message in every language, the same
placeholders, and the compiled ``.mo`` files in step with the ``.po`` sources."""

from __future__ import annotations

import io
import re
import string
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from pvscan.util.i18n import LANGS, t

ROOT = Path(__file__).resolve().parents[3] / "scanner"
CATALOGS = [
    ROOT / "util" / "locale" / "{lang}" / "LC_MESSAGES" / "pvscan",
    ROOT / "web" / "locale" / "{lang}" / "LC_MESSAGES" / "django",
]


def _po(base: Path, lang: str):
    with open(str(base).format(lang=lang) + ".po", "rb") as fh:
        return read_po(fh, locale=lang)


def _h(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f} | set(re.findall(r"%\((\w+)\)s", text))


def test_every_cli_message_in_every_language_with_the_same_placeholders():
    nb = {m.id: m.string for m in _po(CATALOGS[0], "nb") if m.id}
    for lang in LANGS:
        other = {m.id: m.string for m in _po(CATALOGS[0], lang) if m.id}
        assert set(other) == set(nb), lang
        for key, text in other.items():
            assert text, f"{lang}: {key} untranslated"
            assert _fields(text) == _fields(nb[key]), f"{lang}: {key}"


@pytest.mark.parametrize("base", CATALOGS, ids=["cli", "web"])
@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalogs_match_their_sources(base, lang):
    buf = io.BytesIO()
    write_mo(buf, _po(base, lang))
    buf.seek(0)
    expected = {_h(m.id): _h(m.string) for m in read_mo(buf) if m.id}
    with open(str(base).format(lang=lang) + ".mo", "rb") as fh:
        actual = {_h(m.id): _h(m.string) for m in read_mo(fh) if m.id}
    assert actual == expected, "run: python tools/catalogs.py"


def test_t_falls_back_to_bokmal_then_to_the_key():
    assert t("type.helse", "nn") == "helseopplysningar"
    assert t("no.such.key", "en") == "no.such.key"
    assert t("find.some", "en", n=3) == "Found the number in 3 files:"
