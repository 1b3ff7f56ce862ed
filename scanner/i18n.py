"""Messages meant for people, in Norwegian bokmål (default), nynorsk and English.

One dictionary per language with the same keys; ``t(key, lang, **values)`` formats.
A test checks that every key exists in every language. The language comes from
``--lang`` or ``$PVSCAN_LANG`` (``nb``, ``nn``, ``en``).
"""

from __future__ import annotations

import os

LANGS = ("nb", "nn", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "nb": {
        "summary.scanned": "Skannet {files} filer ({items} elementer medregnet vedlegg og innhold i arkiver) på {elapsed:.1f} s.",
        "summary.changes": "  Lest nå: {read}, uendret siden sist: {unchanged}, nye: {new}, endret: {changed}, borte: {gone}",
        "summary.findings": "  Funn:",
        "summary.none": "  Ingen funn.",
        "summary.problems": "  Kunne ikke leses: {problems} (filer eller deler av filer; se rapporten)",
        "summary.db": "  Inventar: {db}",
        "scan.locked": "pvscan: {error}. Vent til den er ferdig, eller stopp den.",
        "scan.interrupted": "pvscan: avbrutt – {error}",
        "scan.dberror": "pvscan: kan ikke skrive til inventaret {db}: {error}",
        "find.none": "Fant ingen filer eller e-poster med dette nummeret i inventaret.",
        "find.some": "Fant nummeret i {n} filer:",
        "type.fodselsnummer": "fødselsnummer",
        "type.kontonummer": "kontonummer",
        "type.helse": "helseopplysninger",
        "type.barnevern": "barnevern",
        "type.religion": "religion",
        "type.etnisitet": "etnisitet",
        "type.fagforening": "fagforeningsmedlemskap",
        "type.seksualitet": "seksuell legning",
        "type.politikk": "politisk oppfatning",
        "type.straff": "straffbare forhold",
        "type.epost": "e-postadresser",
        "type.telefon": "telefonnummer",
    },
    "nn": {
        "summary.scanned": "Skanna {files} filer ({items} element medrekna vedlegg og innhald i arkiv) på {elapsed:.1f} s.",
        "summary.changes": "  Lese no: {read}, uendra sidan sist: {unchanged}, nye: {new}, endra: {changed}, borte: {gone}",
        "summary.findings": "  Funn:",
        "summary.none": "  Ingen funn.",
        "summary.problems": "  Kunne ikkje lesast: {problems} (filer eller delar av filer; sjå rapporten)",
        "summary.db": "  Inventar: {db}",
        "scan.locked": "pvscan: {error}. Vent til han er ferdig, eller stopp han.",
        "scan.interrupted": "pvscan: avbroten – {error}",
        "scan.dberror": "pvscan: kan ikkje skrive til inventaret {db}: {error}",
        "find.none": "Fann ingen filer eller e-postar med dette nummeret i inventaret.",
        "find.some": "Fann nummeret i {n} filer:",
        "type.fodselsnummer": "fødselsnummer",
        "type.kontonummer": "kontonummer",
        "type.helse": "helseopplysningar",
        "type.barnevern": "barnevern",
        "type.religion": "religion",
        "type.etnisitet": "etnisitet",
        "type.fagforening": "fagforeiningsmedlemskap",
        "type.seksualitet": "seksuell legning",
        "type.politikk": "politisk oppfatning",
        "type.straff": "straffbare forhold",
        "type.epost": "e-postadresser",
        "type.telefon": "telefonnummer",
    },
    "en": {
        "summary.scanned": "Scanned {files} files ({items} items including attachments and archive members) in {elapsed:.1f} s.",
        "summary.changes": "  Read now: {read}, unchanged since last scan: {unchanged}, new: {new}, changed: {changed}, gone: {gone}",
        "summary.findings": "  Findings:",
        "summary.none": "  No findings.",
        "summary.problems": "  Could not be read: {problems} (files or parts of files; see the report)",
        "summary.db": "  Inventory: {db}",
        "scan.locked": "pvscan: {error}. Wait for it to finish, or stop it.",
        "scan.interrupted": "pvscan: interrupted – {error}",
        "scan.dberror": "pvscan: cannot write to the inventory {db}: {error}",
        "find.none": "No files or mail items with this number in the inventory.",
        "find.some": "Found the number in {n} files:",
        "type.fodselsnummer": "national identity numbers",
        "type.kontonummer": "bank account numbers",
        "type.helse": "health data",
        "type.barnevern": "child welfare",
        "type.religion": "religion",
        "type.etnisitet": "ethnic origin",
        "type.fagforening": "trade union membership",
        "type.seksualitet": "sexual orientation",
        "type.politikk": "political opinions",
        "type.straff": "criminal offences",
        "type.epost": "e-mail addresses",
        "type.telefon": "phone numbers",
    },
}


def default_lang() -> str:
    lang = os.environ.get("PVSCAN_LANG", "nb").lower()
    return lang if lang in LANGS else "nb"


def t(key: str, lang: str | None = None, **values: object) -> str:
    table = MESSAGES.get(lang or default_lang(), MESSAGES["nb"])
    text = table.get(key) or MESSAGES["nb"].get(key) or key
    return text.format(**values) if values else text


def type_name(type_: str, lang: str | None = None) -> str:
    key = f"type.{type_}"
    text = t(key, lang)
    return type_ if text == key else text
