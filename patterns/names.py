"""Person names in Norwegian text, so an access request finds the letters and e-mails
that name a citizen without any number ("Hei, gjeld Kari Nordmann …").

No model is loaded: a name is a run of capitalised words whose first word is a known
first name (SSB's most frequent first names, ``data/navn_fornavn.txt``) and whose last
word can be a surname, or any such run where the text says a name follows: a label
(*Navn:*, *Namn:*, *Gjelder:*, *Pasient:*), a salutation (*Hei*, *Kjære*), a title
(*fru*, *dr.*), or a table column headed *Navn*. Norwegian writes common nouns in lower
case, so two capitalised words starting with a first name are rarely anything else.
Also read: "Etternavn, Fornavn" after a label or alone in a cell or line, separate
*Fornavn:* / *Etternavn:* fields, possessives (*Kari Nordmanns søknad*), hyphenated
and double names, names in capitals on forms.

The finding's value is the normalised full name (:func:`pvscan.identity.search.normalise_name`),
which the inventory keeps only as a keyed hash and a masked form (``K*** N*******``);
the search side builds the same normal form from what the caseworker types. What
stands on the name's line (a birth date, an e-mail address, a phone number) goes into
the finding's ``variant`` (see :data:`LINKED`), so an access request can tell a
namesake's register row or mail header from the requester's.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from importlib import resources

import regex

from pvscan.identity.masking import LINKED_PREFIX, merge_links
from pvscan.identity.numbers import FnrInfo, classify_fnr, mod11_ok
from pvscan.identity.search import normalise_name
from pvscan.interfaces import Detector, DocState
from pvscan.model import Finding, Segment

from .language import DocumentLanguage

#: A capitalised word: a name part, possibly hyphenated (Anne-Lise, Berg-Hansen), or
#: an O'Neill. All-capital words are taken too (forms), and judged more strictly. An
#: initial with a full stop is not a word of its own (``_RUN`` steps over it).
_WORD = regex.compile(r"\p{Lu}(?!\.)[\p{L}'’]*(?:-\p{Lu}[\p{L}'’]*)*")

#: Two or more capitalised words in a row on one line, with only spaces or a middle
#: initial ("Inge D. Hanssen") between them (what ``_runs`` looks at): one regex finds
#: them, so the many single capitalised words of a text cost no Python call each.
_RUN = regex.compile(
    r"\p{Lu}(?!\.)[\p{L}'’]*(?:-\p{Lu}[\p{L}'’]*)*"
    r"(?:[ \u00a0]{1,2}(?:\p{Lu}\.[ \u00a0]{1,2})?\p{Lu}(?!\.)[\p{L}'’]*(?:-\p{Lu}[\p{L}'’]*)*)+"
)

#: Labels after which a name follows (bokmål, nynorsk, English; forms and letters).
_LABELS = (
    "navn fullt navn fullstendig navn namn fullt namn heile namnet gjelder gjeld vedr vedrørende vedkommande "
    "pasient pasientens navn elev elevens navn elevens namn eleven barn barnets navn barnet sitt namn "
    "søker søkjar søkers navn bruker brukar brukers navn tjenestemottaker tenestemottakar klient "
    "arbeidstaker arbeidstakar ansatt tilsett medarbeider medarbeidar den registrerte registrert "
    "foresatt føresett foreldre mor far verge kontaktperson pårørende pårørande saksbehandler "
    "sakshandsamar mottaker mottakar avsender avsendar innsender fra frå til kopi cc from to "
    "fastlege lege behandler behandlar leder leiar name patient employee applicant signatur underskrift"
)
_LABEL_WORDS = sorted({w for w in _LABELS.split()}, key=len, reverse=True)
#: A label ends with a colon (or a dash) just before the name.
_LABEL_BEFORE = regex.compile(
    r"(?i)(?:^|[^\p{L}])(?:" + "|".join(regex.escape(w) for w in _LABEL_WORDS) + r")\s*[:\-–]\s*$"
)
#: What a label's text ends with (``_LABEL_BEFORE``'s ``[:\-–]``, before the spaces).
_LABEL_ENDS = frozenset(":-–")
#: A salutation or title right before the name (no colon). Each ends in a letter, ``.``
#: or ``/`` (``_cue_before`` tests that first).
_SALUTE_BEFORE = regex.compile(
    r"(?i)(?:^|[^\p{L}])(?:hei|hallo|heisann|kjære|dear|hi|hello|god morgen|god dag|"
    r"fru|frue|herr|frk|frøken|dr\.?|doktor|advokat|lege|fastlege|sjukepleiar|sykepleier|"
    r"mrs?\.?|ms\.?|att\.?|attn\.?|v/|c/o)\s*,?\s*$"
)
#: Salutations and titles written with a capital inside a run of capitalised words.
_SALUTE_WORDS = frozenset(
    "hei hallo heisann kjære dear hi hello fru frue herr frk frøken dr doktor advokat".split()
)
#: Column headers that say a cell is a person's full name.
_NAME_HEADER = regex.compile(
    r"(?i)^\s*(?:(?:fullt|fullstendig)\s+)?(?:navn|namn|name|pasient|elev|søker|søkjar|"
    r"ansatt|tilsett|arbeidstaker|arbeidstakar|bruker|brukar|klient|mottaker|mottakar)\s*$"
)
_FIRST_HEADER = regex.compile(r"(?i)^\s*(?:fornavn|førenamn|fornamn|first\s*name)\s*$")
_LAST_HEADER = regex.compile(r"(?i)^\s*(?:etternavn|etternamn|slektsnavn|slektsnamn|surname|last\s*name)\s*$")
_FIELD = regex.compile(
    r"(?i)(?<![\p{L}])(fornavn|førenamn|fornamn|etternavn|etternamn|slektsnavn)\s*:\s*"
    r"(\p{Lu}[\p{L}'’\-]*(?:[ \u00a0]\p{Lu}[\p{L}'’\-]*){0,2})"
)
#: "Nordmann, Kari" at the start of a line or cell, or after a label, and alone there.
_COMMA_FORM = regex.compile(
    r"(?:^|(?<=[\n\t|;:]\s{0,3}))(\p{Lu}[\p{L}'’]*(?:-\p{Lu}[\p{L}'’]*)?(?:[ \u00a0]\p{Lu}[\p{L}'’]*)?),[ \u00a0]"
    r"(\p{Lu}[\p{L}'’]*(?:-\p{Lu}[\p{L}'’]*)?(?:[ \u00a0]\p{Lu}[\p{L}'’]*)?)"
    r"(?=[ \u00a0]*(?:$|[\n\t|;(]|\d))",
    regex.M,
)
#: What every ``_COMMA_FORM`` holds: a comma, a space and a capital (an address's
#: ``Storgata 1, 0150 Oslo`` has none, so the costlier pattern need not run).
_COMMA_CUE = regex.compile(r",[ \u00a0]\p{Lu}")
#: Words that end a street name, not a person's possessive ("Olav Kyrres gate").
_STREET = regex.compile(
    r"[ \u00a0](?:gate|gata|gaten|veg|vei|vegen|veien|plass|allé|alle|torg|bakke|terrasse)\b"
)
#: Ends common to Norwegian surnames (patronymics, farm names): a capitalised word with
#: one of them after a first name is very likely a surname.
_SURNAME_END = regex.compile(
    r"(?i)(?:sen|son|ssen|stad|rud|dal|dahl|vik|nes|ness|land|berg|heim|haug|bakken|lie|li|by|seth|set|"
    r"voll|vold|gård|gaard|strand|moen|øy|eng|aas|ås|holm|lund|mann|mo|bø|rød|vold|hagen|sæter|seter|bekk|"
    r"fjell|skog|sund|næs|myr|myhre|tveit|tveit|hus|huus|ø|åsen|aasen|ås|lien|nesse|ova|ić|ic|ov|ova|ez)$"
)
#: Capitalised words that are not surnames although they follow a first name often
#: enough: organisations, places, institutions, months and days (bokmål, nynorsk, English).
_NOT_SURNAME = frozenset(
    """kommune kommunes fylkeskommune fylke skole skule barnehage barnehagen sykehus sjukehus sykehjem
    sjukeheim senter senteret sentrum legekontor helsestasjon as asa sa ans da ba norge noreg oslo bergen
    trondheim stavanger tromsø hotell kirke kyrkje menighet bank sparebank universitet universitetet
    høgskole høgskule street road avenue university hospital inc ltd group prize award cup festival center
    centre gate vei veg allé plass torg brygge stadion arena park parken januar februar mars april mai juni
    juli august september oktober november desember january february march june july october december
    mandag tirsdag onsdag torsdag fredag lørdag søndag måndag tysdag laurdag sundag monday tuesday wednesday
    thursday friday saturday sunday nav hr it ikt pdf og i på av for med til fra frå the and of in
    mayen""".split()
)
#: Words that may start a sentence or heading but are not names (kept out of label-led runs).
_NOT_NAME_START = frozenset(
    """det den de dei dette denne hei kjære vi eg jeg du vedlagt med mvh hilsen""".split()
)


def _load(name: str) -> frozenset[str]:
    text = resources.files("pvscan.patterns").joinpath(f"data/{name}").read_text("utf-8")
    words: set[str] = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        words.update(w.lower() for w in line.split())
    return frozenset(words)


@lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames), lower-case; read once per process from the package data."""
    return _load("navn_fornavn.txt"), _load("navn_etternavn.txt")


#: Surnames made from a father's name: hardly ever anything but a surname.
_PATRONYMIC = regex.compile(r"(?:sen|son|ssen|sson|dottir|datter)s?$")
#: The text before a word ends in a lower-case word: the word is not a sentence start.
_LOWER_BEFORE = regex.compile(r"\p{Ll}[\p{L}]*[ \u00a0]{1,2}$")


def _after_word(text: str, pos: int) -> bool:
    return _LOWER_BEFORE.search(text, max(0, pos - 40), pos) is not None


#: A name's ``variant`` lists what stands on its line (a table row is one line): the
#: birth date of a person number or a labelled date of birth (``f=DDMMYY``), e-mail
#: addresses (``e=…``), phone numbers (``t=…``) and account numbers (``k=…``). That line is about the person with
#: those details, so an access request can tell the requester's row of a register or
#: address line of an e-mail from a namesake's. The inventory keeps the e-mail, phone
#: and account only as short keyed hashes (:func:`pvscan.identity.masking.protect_links`);
#: the birth date is what a masked fødselsnummer (``010190*****``) already shows.
LINKED = LINKED_PREFIX
_EMAIL = regex.compile(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_PHONE = regex.compile(
    r"(?<![\d+][ \u00a0]?|\d)(?:(?:\+|00)47[ \u00a0]?)?[2-9]\d(?:[ \u00a0]?\d){6}(?![ \u00a0]?\d)"
)
#: ``_PHONE`` for a line whose digits are all ASCII (the usual case), in the standard
#: engine: its look-behind then comes after a one-character test, some six times
#: faster than the variable-width look-behind ``regex`` tries at every character.
_PHONE_ASCII = re.compile(
    r"(?=[+02-9])(?<![0-9+])(?<![0-9+][ \u00a0])(?:(?:\+|00)47[ \u00a0]?)?[2-9][0-9](?:[ \u00a0]?[0-9]){6}"
    r"(?![ \u00a0]?[0-9])"
)
#: A digit other than 0-9 (Arabic-Indic, Devanagari …): such a line takes ``_PHONE``.
_OTHER_DIGIT = regex.compile(r"[^\D0-9]")
_ACCOUNT = regex.compile(r"(?<![\d.])\d{4}(?:([. ])\d{2}\1|\d{2})\d{5}(?![\d.])")
_PERSON_NUMBER = regex.compile(r"(?<!\d)\d{6}[ \u00a0\-–]?\d{5}(?!\d)")
#: A Norwegian IBAN (``NO93 8601 1117 947``): its last 11 digits are the account.
_IBAN = regex.compile(r"(?i)(?<![\p{L}\d])NO\d{2}(?:[ \u00a0]?\d){11}(?!\d)")
_BIRTH_WORD = r"(?:født|fødd|f\.|fødselsdato|fødedato|f\.\s?dato|fdato|født\s+den|fødd\s+den|born|dob|date\s+of\s+birth)"
_DATE = r"([0-3]?\d)[./-]([01]?\d)[./-]((?:19|20)\d\d)"
_LABELLED_DATE = regex.compile(r"(?i)(?<!\p{L})" + _BIRTH_WORD + r"\s*:?\s*" + _DATE + r"(?!\d)")
_DATE_CELL = regex.compile(r"^\s*" + _DATE + r"\s*$")
_BIRTH_HEADER = regex.compile(r"(?i)(?<!\p{L})" + _BIRTH_WORD + r"(?!\p{L})|fødselsdato|fødd|født")
_NON_DIGIT = regex.compile(r"\D")


def linked_on_line(text: str, start: int, end: int, context: str = "") -> str | None:
    """``ved:f=…,e=…,t=…`` for what stands on the name's line, or None."""
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    hi = hi if hi >= 0 else len(text)
    line = text[lo:hi]
    parts: set[str] = set()
    if "@" in line:
        parts.update(f"e={m.group().lower()}" for m in _EMAIL.finditer(text, lo, hi))
    if _only_ascii_digits(line):
        # Digits 0-9 only (the usual case): numbers read off the line's digit runs.
        runs = [m.span() for m in _ASCII_DIGITS.finditer(text, lo, hi)]
        if not runs:
            # Person numbers, dates, accounts, IBANs and phones all hold a digit: a
            # line without one (most of a letter's) can link only an e-mail address.
            return LINKED + ",".join(sorted(parts)) if parts else None
        fnrs, accounts, phone = _numbers_in_runs(text, runs)
        phones = [
            m.group().replace(" ", "").replace("\u00a0", "").lstrip("+")
            for m in (_PHONE_ASCII.finditer(text, lo, hi) if phone else ())
        ]
    else:
        fnrs = [(m.start(), m.group()) for m in _PERSON_NUMBER.finditer(text, lo, hi)]
        accounts = [m.group() for m in _ACCOUNT.finditer(text, lo, hi)]
        phones = ["".join(c for c in m.group() if c.isdigit()) for m in _PHONE.finditer(text, lo, hi)]
    low = line.lower()
    # The person numbers read for the birth date, by their 11 digits: an account's
    # 11 bare digits are the same run, so each is classified once, not twice.
    numbers: dict[str, FnrInfo | None] = {}
    born = birth_beside(text, end, context, lo, hi, low, fnrs, numbers)
    if born:
        parts.add(f"f={born}")
    for account in accounts:
        if len(account) > 11:  # grouped 4.2.5: an account
            digits = account.replace(".", "").replace(" ", "")
            if mod11_ok(digits):
                parts.add(f"k={digits}")
        else:
            # 11 bare digits that make a person number are taken as one (above): its
            # test is known, and comes first as it settles most of them.
            info = numbers[account] if account in numbers else classify_fnr(account)
            if info is None and mod11_ok(account):
                parts.add(f"k={account}")
    # (An IBAN starts with NO in either case; ``(?i)`` reads only N, n, O and o so.)
    for m in _IBAN.finditer(text, lo, hi) if "no" in low else ():
        digits = _NON_DIGIT.sub("", m.group())[-11:]
        if mod11_ok(digits):
            parts.add(f"k={digits}")
    for digits in phones:
        if len(digits) > 8:
            digits = digits[-8:]
        parts.add(f"t={digits}")
    return LINKED + ",".join(sorted(parts)) if parts else None


def _only_ascii_digits(line: str) -> bool:
    """No digit of ``line`` is other than 0-9. Latin-1 has no other digits, so a line
    of Norwegian text (æ, ø, å) passes without a scan for them."""
    if line.isascii():
        return True
    try:
        line.encode("latin-1")
    except UnicodeEncodeError:
        return _OTHER_DIGIT.search(line) is None
    return True


#: A run of the digits 0-9. On a line with no other digits, ``\d`` is 0-9 and the
#: look-arounds of ``_PERSON_NUMBER`` and ``_ACCOUNT`` make each of their matches whole
#: runs: one scan for runs and a few comparisons per run find what their two scans
#: find (a register's row has a dozen runs and a person number that both match).
_ASCII_DIGITS = re.compile(r"[0-9]+")
#: What may stand between the two parts of a person number (``_PERSON_NUMBER``), the
#: groups of an account (``_ACCOUNT``), and the digits of a phone number.
_NUMBER_GAP = frozenset(" \u00a0-–")
_ACCOUNT_GAP = frozenset(". ")
_PHONE_GAP = frozenset(" \u00a0")


def _numbers_in_runs(text: str, runs: list[tuple[int, int]]) -> tuple[list[tuple[int, str]], list[str], bool]:
    """From the digit ``runs`` of a line, in one pass: the ``_PERSON_NUMBER`` matches
    (start, text), the ``_ACCOUNT`` matches (text), and whether a phone number may
    stand there.

    A person number is a run of 11 digits, or one of 6, one separator and one of 5. An
    account is a run of 11 digits, or runs of 4, 2 and 5 with the same ``.`` or space
    between them, neither with a ``.`` right before or after. Every ``_PHONE_ASCII``
    match is a whole cluster of runs joined by single spaces (its look-arounds keep
    digits joined so from either side), with ``+47``, ``0047`` or neither before its 8
    digits: where no cluster holds 8, 10 or 12 digits (a register's row), no phone
    number stands."""
    fnrs, accounts = [], []
    phone = False
    cluster = 0  # digits in the cluster of runs so far
    last = len(runs) - 1
    for k, (s, e) in enumerate(runs):
        size = e - s
        # The one character between this run and the next, when only one is.
        gap = text[e] if k < last and runs[k + 1][0] == e + 1 else ""
        cluster += size
        if gap not in _PHONE_GAP:
            phone = phone or cluster in (8, 10, 12)
            cluster = 0
        if size == 11:
            fnrs.append((s, text[s:e]))
            if text[s - 1 : s] != "." and text[e : e + 1] != ".":
                accounts.append(text[s:e])
        elif size == 6 and gap in _NUMBER_GAP:
            s2, e2 = runs[k + 1]
            if e2 - s2 == 5:
                fnrs.append((s, text[s:e2]))
        elif size == 4 and gap in _ACCOUNT_GAP and k + 1 < last and text[s - 1 : s] != ".":
            (s2, e2), (s3, e3) = runs[k + 1], runs[k + 2]
            if (
                e2 - s2 == 2
                and s3 == e2 + 1
                and text[e2] == gap
                and e3 - s3 == 5
                and text[e3 : e3 + 1] != "."
            ):
                accounts.append(text[s:e3])
    return fnrs, accounts, phone


#: An address written right after a name: ``Kari Nordmann <kari@example.no>``.
_OWN_ADDRESS = regex.compile(r"[ \u00a0]*[<(\[]\s*(?:mailto:)?([\w.%+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,})")


def _shared_contacts_dropped(text: str, found: list[Finding], settled: set[int]) -> list[Finding]:
    """On a line with several names (a class list's child and parent, a mail header
    with many recipients) an e-mail address or phone number belongs to one of them,
    not to each: keep the birth date (the one nearest after each name) and an address
    written right after the name (``Kari Nordmann <kari@example.no>``). Names whose
    table cells were already shared out (``settled``, see :func:`_row_owners`) keep
    what they were given."""
    if len(found) < 2:
        return found  # one name cannot share its line
    lines: dict[int, int] = {}
    for f in found:
        lo = text.rfind("\n", 0, f.start) + 1
        lines[lo] = lines.get(lo, 0) + 1
    for f in found:
        if id(f) in settled:
            continue
        if f.variant and lines[text.rfind("\n", 0, f.start) + 1] > 1:
            kept = [p for p in f.variant[len(LINKED) :].split(",") if p.startswith("f=")]
            own = _OWN_ADDRESS.match(text, f.end)
            if own:
                kept.append(f"e={own.group(1).lower()}")
            f.variant = LINKED + ",".join(kept) if kept else None
    return found


def birth_beside(
    text: str,
    end: int,
    context: str,
    lo: int,
    hi: int,
    low: str,
    fnrs: list[tuple[int, str]],
    numbers: dict[str, FnrInfo | None],
) -> str | None:
    """DDMMYY of the person number or labelled date of birth on the name's line
    ``text[lo:hi]`` (a line with a digit; ``low`` is it lower-cased; a date under a
    *Fødd*/*Fødselsdato* column counts), the one nearest after the name (ending at
    ``end``) first; None when the line has neither. ``fnrs`` are the line's
    ``_PERSON_NUMBER`` matches (start, text); each goes into ``numbers`` (its 11
    digits: what they classify as)."""
    found: list[tuple[int, str]] = []
    for at, number in fnrs:
        digits = number if len(number) == 11 else number[:6] + number[7:]
        info = numbers[digits] = classify_fnr(digits)
        if info is not None and (born := info.birth) is not None:
            found.append((at, f"{born.day:02d}{born.month:02d}{born.year % 100:02d}"))
    # Every ``_LABELLED_DATE`` holds one of these (lower-cased; ``(?i)`` matches each of
    # their letters only in its two cases, so ``str.lower`` shows them where it does).
    if "fød" in low or "f." in low or "fdato" in low or "born" in low or "dob" in low or "date" in low:
        for m in _LABELLED_DATE.finditer(text, lo, hi):
            found.append((m.start(), f"{int(m.group(1)):02d}{int(m.group(2)):02d}{m.group(3)[2:]}"))
    if not found:
        _, heads, cells = row_cells(context, text[lo:hi])
        if heads:
            for head, cell in zip(heads, cells, strict=True):
                d = _DATE_CELL.match(cell)
                if d and _BIRTH_HEADER.search(head):
                    found.append((lo, f"{int(d.group(1)):02d}{int(d.group(2)):02d}{d.group(3)[2:]}"))
    if not found:
        return None
    after = [f for f in found if f[0] >= end]
    return min(after)[1] if after else max(found)[1]


_NAME_COLUMN, _FIRST_COLUMN, _LAST_COLUMN = 1, 2, 4


@lru_cache(maxsize=256)
def _column_kinds(heads: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """(column, which of *Navn*, *Fornavn*, *Etternavn* it is as bits) for each column
    header that is one of them, in order: read once per table, not once per row."""
    kinds = [
        (_NAME_COLUMN if _NAME_HEADER.match(h) else 0)
        | (_FIRST_COLUMN if _FIRST_HEADER.match(h) else 0)
        | (_LAST_COLUMN if _LAST_HEADER.match(h) else 0)
        for h in heads
    ]
    return tuple((i, kind) for i, kind in enumerate(kinds) if kind)


def _cue_before(text: str, at: int) -> bool:
    """A label (``_LABEL_BEFORE``) or a salutation or title (``_SALUTE_BEFORE``) ends
    right before ``at``. The character they end with is tested first: a colon or dash
    for a label; a letter, ``.`` or ``/`` (after an optional comma) for a salutation.
    Most runs have neither before them (a table cell, a sentence's start)."""
    window = text[max(0, at - 60) : at].rstrip()
    end = window[-1:]
    if end in _LABEL_ENDS and _LABEL_BEFORE.search(text, max(0, at - 60), at):
        return True
    if end == ",":
        end = window[:-1].rstrip()[-1:]
    return (
        bool(end)
        and (end.isalpha() or end in "./")
        and _SALUTE_BEFORE.search(text, max(0, at - 30), at) is not None
    )


#: A form's field line that holds only a person number, a phone number or an e-mail
#: address under its label (``Fnr. 010190 12345``, ``Tlf. 912 34 567``,
#: ``E-post: kari@example.no``): in the lines right under a name (a form, a letter's
#: sender block) it is that person's. Account numbers are left out: an invoice's
#: "pay to" account stands under the customer's name and is not the customer's.
_FIELD_LINE = regex.compile(
    r"(?i)^\s*(?:"
    r"(?:fnr|f\.\s?nr|fødselsnr|fødselsnummer|personnr|personnummer|d-nummer|d-nr)\.?\s*:?\s*"
    r"\d{6}[ \u00a0\-–]?\d{5}"
    r"|(?:tlf|telefon|mobil|mob|mobiltelefon|phone)\.?\s*:?\s*(?:(?:\+|00)47[ \u00a0]?)?[2-9]\d(?:[ \u00a0]?\d){6}"
    r"|(?:e-?post|e-?mail)\s*:?\s*<?[\w.%+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}>?"
    r")\s*$"
)
#: A line short enough to belong to a name's block (an address, a job title, a
#: staff number); a longer one is running text and ends the block.
_BLOCK_LINE = 48
#: The longest line a name may stand on and start a block (a label and the name:
#: *Arbeidstakar Kari Nordmann*); a name inside a sentence starts none.
_NAME_LINE = 60
#: How many lines under a name its block may reach.
_BLOCK_LINES = 4


def _complete_blocks(text: str, found: list[Finding], doc: DocState) -> None:
    """Give a name that stands on a short line of its own (a form's *Arbeidstakar Kari
    Nordmann*, the sender block of a letter) what its field lines right below say: a
    person number, phone or e-mail address each alone under its label (see
    :data:`_FIELD_LINE`). The block ends at a blank or long line, at another name, or
    after :data:`_BLOCK_LINES` lines, and may run on into the next segments (a
    document's paragraphs): the name's finding is completed in place, as the item is
    stored only when all its segments are read."""
    block: list = doc.get("names_block") or [None, 0]
    if not found and block[0] is None:
        doc["names_block"] = block
        return  # nothing to start or continue: most segments
    if block[0] is None and len(found) == 1 and len(_line_at(text, found[0].start).strip()) > _NAME_LINE:
        doc["names_block"] = [None, 0]
        return  # one name inside running text or a table row starts no block, and none is open
    names_at: dict[int, list[Finding]] = {}
    for f in found:
        names_at.setdefault(text.rfind("\n", 0, f.start) + 1, []).append(f)
    starts = sorted(names_at, reverse=True)  # name lines still ahead, next one last
    lo = 0
    while lo <= len(text):
        if block[0] is None:
            # No open block: lines up to the next name's change nothing.
            while starts and starts[-1] < lo:
                starts.pop()
            if not starts:
                break
            lo = starts[-1]
        hi = text.find("\n", lo)
        hi = hi if hi >= 0 else len(text)
        line = text[lo:hi]
        here = names_at.get(lo)
        if here:
            block = [here[0], 0] if len(here) == 1 and len(line.strip()) <= _NAME_LINE else [None, 0]
        elif block[0] is not None:
            block[1] += 1
            if not line.strip() or len(line.strip()) > _BLOCK_LINE or block[1] > _BLOCK_LINES:
                block = [None, 0]
            elif _FIELD_LINE.match(line):
                facts = linked_on_line(line, 0, 0)
                if facts:
                    block[0].variant = merge_links(block[0].variant, facts)
        lo = hi + 1
    doc["names_block"] = block


def _line_at(text: str, at: int) -> str:
    """The line of ``text`` that holds position ``at``."""
    lo = text.rfind("\n", 0, at) + 1
    hi = text.find("\n", lo)
    return text[lo : hi if hi >= 0 else len(text)]


#: How a table row's cells are joined (the extractors' separator; the header row's
#: cells, joined the same way, are the row's context).
CELL = " | "
#: Header words that say only "a name", not whose: no hint of which name a column
#: belongs to (see :func:`_row_owners`).
_GENERIC_HEAD = frozenset("navn namn name fullt fullstendig heile full".split())


def row_cells(context: str, line: str) -> tuple[str, tuple[str, ...], list[str]]:
    """(separator, column headers, cells) of a table row under its header row (the
    segment's context), or ``("", (), [])`` when the line is not such a row.

    A row of a document's or spreadsheet's table (cells joined by :data:`CELL`) may be
    shorter than its header: the extractors leave empty cells out, and the empty ones
    of a register are most often its last, optional columns (a remark, an allergy), so
    its cells stand under the first headers. A line of a delimited file (``;``, tab,
    or ``,`` with three columns or more) keeps its empty cells and must be exactly as
    wide as its header."""
    if not context:
        return "", (), []
    sep, heads = _header_row(context)
    if not sep:
        return "", (), []
    cells = line.split(sep)
    if sep == CELL:
        return (CELL, heads[: len(cells)], cells) if len(cells) <= len(heads) else ("", (), [])
    return (sep, heads, cells) if len(cells) == len(heads) else ("", (), [])


@lru_cache(maxsize=256)
def _header_row(context: str) -> tuple[str, tuple[str, ...]]:
    """(separator, column headers) of a header row, ``("", ())`` when it is none (see
    :func:`row_cells`): read once per table, not once per row."""
    if CELL in context:
        return CELL, tuple(context.split(CELL))
    for sep, least in (("\t", 1), (";", 1), (",", 2)):
        if context.count(sep) >= least:
            return sep, tuple(context.split(sep))
    return "", ()


_HEAD_WORD = regex.compile(r"\p{L}{3,}")


@lru_cache(maxsize=1024)
def _head_words(head: str) -> frozenset[str]:
    """The words of a column header that can say whose it is (read once per header, not
    once per row of a register)."""
    return frozenset(w for w in _HEAD_WORD.findall(head.lower()) if w not in _GENERIC_HEAD)


def _row_owners(text: str, found: list[Finding], context: str) -> set[int]:
    """Share out a table row's cells among the names on it, and link to each name only
    what stands in its own cells. A class list's row names a child and a parent
    (``Elev | Fødd | Føresett | Telefon føresett``): the birth date is the child's, the
    phone the parent's. A cell belongs to the name column its header names (*Telefon
    føresett* to *Føresett*), else to the nearest name to its left (details follow whom
    they describe), else (cells before any name) to the row's first name. Returns the
    ids of the findings settled so."""
    if len(found) < 2 and _header_row(context)[0] in ("", CELL):
        return set()  # one name, and not on a delimited file's line (see below): most segments
    by_line: dict[int, list[Finding]] = {}
    for f in found:
        by_line.setdefault(text.rfind("\n", 0, f.start) + 1, []).append(f)
    settled: set[int] = set()
    for lo, names_ in by_line.items():
        hi = text.find("\n", lo)
        hi = hi if hi >= 0 else len(text)
        sep, heads, cells = row_cells(context, text[lo:hi])
        # One name on a document's table row has the whole row, as on any line; a
        # delimited file's line goes through here for its columns' birth dates.
        if not heads or (len(names_) < 2 and sep == CELL):
            continue
        spans, pos = [], lo
        for c in cells:
            spans.append((pos, pos + len(c)))
            pos += len(c) + len(sep)
        name_cell = {}
        for f in names_:
            idx = next((i for i, (s, e) in enumerate(spans) if s <= f.start and f.end <= e), None)
            if idx is None or idx in name_cell.values():
                break  # a name across cells, or two in one cell: not a row to share out
            name_cell[id(f)] = idx
        else:
            shares = _shares(heads, tuple(sorted(name_cell.values())))
            for f in names_:
                own = name_cell[id(f)]
                mine, mine_heads = shares[own]
                if len(mine) == len(cells):
                    # The row's only name has all its cells (a register's row): each
                    # separator before the name's cell becomes a CELL.
                    sub = CELL.join(cells)
                    start = f.start - lo + own * (len(CELL) - len(sep))
                else:
                    sub = CELL.join(cells[j] for j in mine)
                    offset = sum(len(cells[j]) + len(CELL) for j in mine if j < own)
                    start = offset + (f.start - spans[own][0])
                f.variant = linked_on_line(sub, start, start + f.end - f.start, mine_heads)
                settled.add(id(f))
    return settled


@lru_cache(maxsize=256)
def _shares(heads: tuple[str, ...], owners: tuple[int, ...]) -> dict[int, tuple[tuple[int, ...], str]]:
    """Per name column (``owners``, in order) of a row under ``heads``: the columns it
    owns (see :func:`_row_owners`) and their headers joined by :data:`CELL`. The same
    for every row of a table with its names in the same columns, so worked out once."""
    words = {i: _head_words(heads[i]) for i in owners}
    owner_of = {}
    for j in range(len(heads)):
        if j in owners:
            owner_of[j] = j
            continue
        named = [i for i in owners if words[i] & _head_words(heads[j])]
        left = [i for i in owners if i < j]
        owner_of[j] = named[0] if len(named) == 1 else (left[-1] if left else owners[0])
    shares = {}
    for i in owners:
        mine = tuple(j for j in range(len(heads)) if owner_of[j] == i)
        shares[i] = (mine, CELL.join(heads[j] for j in mine))
    return shares


def _is_first(word: str, first: frozenset[str]) -> bool:
    w = word.lower().replace("’", "'")
    return w in first or ("-" in w and all(p in first for p in w.split("-")))


def _strip_possessive(word: str, surnames: frozenset[str], text_after: str) -> str | None:
    """The surname without a genitive -s (*Nordmanns søknad*), the word itself, or
    None when the run is a street name (*Olav Kyrres gate*)."""
    w = word.lower()
    if not w.endswith("s") or w in surnames or len(w) < 4:
        return word
    if _STREET.match(text_after):
        return None
    stem = word[:-1]
    if stem.lower() in surnames or _SURNAME_END.search(stem):
        return stem
    return word


def _foreign(text: str, doc: DocState) -> bool:
    """The segment reads as another language than Norwegian; a segment too short to
    tell takes its document's language so far (what the lexicons do)."""
    lang: DocumentLanguage | None = doc.get("names_language")
    if lang is None:
        lang = doc["names_language"] = DocumentLanguage()
    own = lang.feed_and_test(text)
    return (own if own is not None else lang.norwegian()) is False


class _Taken:
    """The spans of the names a segment has given so far. ``emit`` takes no span that
    overlaps one taken, and every name is at least one character long, so they are
    disjoint and non-empty: kept in order of their starts (their ends are then in
    order too), one bisection answers what a scan of them all would (a register's
    segment of many rows takes many names)."""

    __slots__ = ("starts", "ends")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        """Some span taken overlaps ``start``-``end``: the first to end after
        ``start`` (the one with the least start of those) begins before ``end``."""
        i = bisect_right(self.ends, start)
        return i < len(self.starts) and self.starts[i] < end

    def covers(self, start: int, end: int) -> bool:
        """``start``-``end`` lies inside a span taken: the last to begin at or before
        ``start`` (no other can reach further without overlapping it) ends at or
        after ``end``."""
        i = bisect_right(self.starts, start) - 1
        return i >= 0 and self.ends[i] >= end

    def add(self, start: int, end: int) -> None:
        i = bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


class NameDetector(Detector):
    """Full person names (first name and surname) in running text, forms and tables."""

    id = "no_names"
    version = "3"
    types = ("navn",)
    description = {
        "nb": "Personnavn (fornavn og etternavn) ut fra SSBs navnelister, stor forbokstav og ledetekster som Navn:, Gjelder:, Hei",
        "nn": "Personnamn (førenamn og etternamn) ut frå SSB sine namnelister, stor forbokstav og leietekstar som Namn:, Gjeld:, Hei",
        "en": "Person names (first name and surname) from Statistics Norway's name lists, capitalisation and cues such as Navn:, Gjelder:, Hei",
    }

    def detect(self, segment: Segment, doc: DocState) -> Iterable[Finding]:
        text = segment.text
        first, surnames = name_lists()
        out: list[Finding] = []
        taken = _Taken()

        def emit(parts: list[str], start: int, end: int, conf: str) -> None:
            if taken.overlaps(start, end):
                return
            taken.add(start, end)
            out.append(
                Finding(
                    "navn",
                    normalise_name(parts),
                    location=segment.location_at(start),
                    confidence=conf,
                    start=start,
                    end=end,
                )
            )

        header_cells = self._header_cells(segment)
        if header_cells:
            self._table_names(text, header_cells, emit)
        for m in _COMMA_FORM.finditer(text) if _COMMA_CUE.search(text) else ():
            last, given = m.group(1), m.group(2)
            gparts = given.split()
            if not _is_first(gparts[0], first) or last.lower() in _NOT_SURNAME:
                continue
            if _is_first(last, first) and last.lower() not in surnames:
                continue
            emit([*gparts, *last.split()], m.start(), m.end(), "high")
        self._runs(text, first, surnames, emit, taken)
        for m in _FIELD.finditer(text) if ":" in text else ():
            key = "names_first" if m.group(1).lower().startswith(("for", "før")) else "names_last"
            doc.setdefault(key, []).append((m.group(2), segment.location_at(m.start(2))))
        if out and _foreign(text, doc):
            # A name in English or German text (a changelog's maintainer, a quoted
            # author) is kept only below the default threshold: the lists hold names
            # used the world over, and Norwegian cues are what make a name a hit here.
            out = [replace(f, confidence="low") for f in out]
        settled = _row_owners(text, out, segment.context)
        for f in out:
            # What stands on the name's line, for the names whose table row was not
            # shared out among them (a register's row is read once, in _row_owners).
            if id(f) not in settled:
                f.variant = linked_on_line(text, f.start, f.end, segment.context)
        out = _shared_contacts_dropped(text, out, settled)
        _complete_blocks(text, out, doc)
        return out

    @staticmethod
    def _header_cells(segment: Segment) -> tuple[str, ...]:
        """The column headers of a table row, when the row has as many cells."""
        if not segment.context or CELL not in segment.context:
            return ()
        heads = _header_row(segment.context)[1]
        # (As many cells as headers: the row holds one separator fewer than headers.)
        return heads if len(heads) == segment.text.count(CELL) + 1 else ()

    @staticmethod
    def _table_names(text: str, heads: tuple[str, ...], emit) -> None:  # type: ignore[no-untyped-def]
        """A cell under a *Navn* header is a name; cells under *Fornavn* and
        *Etternavn* are joined."""
        columns = _column_kinds(heads)
        if not columns:
            return
        cells = text.split(CELL)
        given = last = None
        # Only the name columns' cells are placed, not every cell of a register's row.
        pos = done = 0  # cell ``done`` starts at ``pos``
        for i, kind in columns:
            while done < i:
                pos += len(cells[done]) + len(CELL)
                done += 1
            s, e = pos, pos + len(cells[i])
            words = cells[i].strip().split()
            if kind & _NAME_COLUMN and 2 <= len(words) <= 4 and all(_WORD.fullmatch(w) for w in words):
                emit(words, s, e, "high")
            elif kind & _FIRST_COLUMN and words:
                given = (words, s, e)
            elif kind & _LAST_COLUMN and words:
                last = (words, s, e)
        if given and last and all(_WORD.fullmatch(w) for w in given[0] + last[0]):
            emit(given[0] + last[0], min(given[1], last[1]), max(given[2], last[2]), "high")

    @staticmethod
    def _runs(text: str, first: frozenset[str], surnames: frozenset[str], emit, taken: _Taken) -> None:  # type: ignore[no-untyped-def]
        """Runs of capitalised words on one line; a name is taken from each (unless
        it overlaps one ``taken`` already)."""
        for whole in _RUN.finditer(text):
            if taken.starts and taken.covers(whole.start(), whole.end()):
                continue  # inside a name already taken (a table's Navn cell): emit would refuse it
            run = list(_WORD.finditer(text, whole.start(), whole.end()))
            if len(run) < 2:
                continue
            cue = _cue_before(text, run[0].start())
            if run[0].group().lower().rstrip(".") in _SALUTE_WORDS:
                run = run[1:]  # "Hei Olena Kovalenko", "Fru Hansen": the cue is in the run
                cue = cue or True
                if len(run) < 2:
                    continue
            start = 0
            if cue and run[0].group().lower() not in _NOT_NAME_START:
                start = 0
            else:
                cue = None
                while start < len(run) and not _is_first(run[start].group(), first):
                    start += 1
            first_unknown = False
            if start >= len(run) - 1 and len(run) == 2 and _after_word(text, run[0].start()):
                # "… sa Dagfinn Høybråten": an unknown first name inside a sentence
                # counts when a listed or patronymic surname follows (checked below).
                start, first_unknown = 0, True
            parts = run[start : start + 4]
            # A lone first name before the next capitalised word of another name
            # ("Kari Per Hansen") is rare; cut where a run stops looking like a name.
            while len(parts) >= 2 and parts[-1].group().lower() in _NOT_SURNAME:
                parts = parts[:-1]
            if len(parts) < 2:
                continue
            words_ = [p.group() for p in parts]
            caps = all(w.isupper() for w in words_)
            last = words_[-1]
            last_l = last.lower()
            if _is_first(last, first) and last_l not in surnames and not cue:
                # Two first names ("Kari Anne") and no surname: not a full name.
                continue
            after = text[parts[-1].end() : parts[-1].end() + 12]
            if after.startswith(("-", "‐")):
                continue  # a compound ("Jan Mayen-loven", "Kiwanuka-låt") names a thing
            if not cue and first_unknown and not (last_l in surnames or _PATRONYMIC.search(last_l)):
                continue
            stripped = _strip_possessive(last, surnames, after)
            if stripped is None:
                continue
            words_[-1] = stripped
            known_last = stripped.lower() in surnames or bool(_SURNAME_END.search(stripped))
            if caps and not (known_last or cue):
                continue  # PER MÅNED, KARI HUSET: capitals alone prove little
            conf = "high" if (cue or known_last) else "medium"
            emit(words_, parts[0].start(), parts[-1].end(), conf)

    def finish(self, doc: DocState) -> Iterable[Finding]:
        """A form with one *Fornavn:* and one *Etternavn:* field names one person."""
        given, last = doc.get("names_first", []), doc.get("names_last", [])
        if len(given) == 1 and len(last) == 1:
            g, loc = given[0]
            return [
                Finding(
                    "navn", normalise_name(g.split() + last[0][0].split()), location=loc, confidence="high"
                )
            ]
        return ()
