"""Messages meant for people, in Norwegian bokmål (default), nynorsk and English.

The texts live in gettext catalogs, ``scanner/util/locale/<lang>/LC_MESSAGES/pvscan.po``
(compiled to ``.mo`` by ``python tools/catalogs.py``), so translators can use standard
tools; the web app's own catalogs sit beside its templates, same format, same languages.
Message ids are stable keys (``summary.scanned``) whose bokmål text is the source; each
nynorsk and English entry carries the bokmål text as a comment. ``t(key, lang, **values)``
formats; a key missing in a language falls back to bokmål, then to the key itself.
The language comes from ``--lang`` or ``$PVSCAN_LANG`` (``nb``, ``nn``, ``en``).
"""

from __future__ import annotations

import functools
import gettext
import os
from pathlib import Path

LANGS = ("nb", "nn", "en")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "pvscan"


@functools.cache
def catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (read once: package data that never changes)."""
    return gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[lang], fallback=True)


def default_lang() -> str:
    lang = os.environ.get("PVSCAN_LANG", "nb").lower()
    return lang if lang in LANGS else "nb"


def t(key: str, lang: str | None = None, **values: object) -> str:
    lang = lang or default_lang()
    text = catalog(lang if lang in LANGS else "nb").gettext(key)
    if text == key and lang != "nb":
        text = catalog("nb").gettext(key)
    return text.format(**values) if values else text


def type_name(type_: str, lang: str | None = None) -> str:
    key = f"type.{type_}"
    text = t(key, lang)
    return type_ if text == key else text
