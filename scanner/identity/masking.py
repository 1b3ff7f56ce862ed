"""The one place that turns raw values into what may be stored or shown.

``mask`` gives a display form that lets a person recognise a finding without exposing
the identifier (``010190*****``). ``keyed_hash`` is an HMAC-SHA256 with a secret made
once per installation (file mode 0600), so ``pvscan find --fnr`` can locate every item
holding one person's number although the inventory never stores it. The hash is of the
digits alone, not the type: a number found as a kontonummer is still found by
``--fnr`` (every fødselsnummer is also a valid kontonummer).
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from pvscan.util.paths import data_dir

_KEY_CACHE: dict[str, bytes] = {}


def key_path() -> Path:
    env = os.environ.get("PVSCAN_KEY_FILE")
    return Path(env) if env else data_dir() / "secret.key"


def load_key(path: Path | None = None) -> bytes:
    """Read the installation secret, creating it (0600, atomically) on first use."""
    path = path or key_path()
    cached = _KEY_CACHE.get(str(path))
    if cached is not None:
        return cached
    try:
        key = bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = secrets.token_bytes(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process won the race: use its key
            key = bytes.fromhex(path.read_text().strip())
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(key.hex() + "\n")
    _KEY_CACHE[str(path)] = key
    return key


def normalise(value: str) -> str:
    """Digits of an identifier; lower-cased trimmed text for anything else."""
    if value.isdigit():  # most findings: skip the per-character loop below
        return value
    digits = "".join(ch for ch in value if ch.isdigit())
    if digits and len(digits) >= 0.6 * len(value.replace(" ", "")):
        return digits
    return value.strip().lower()


def keyed_hash(value: str, key: bytes | None = None) -> str:
    key = key if key is not None else load_key()
    # hmac.digest is the one-shot C implementation: the same HMAC-SHA256, without
    # building a Python HMAC object per finding (several times faster)
    return hmac.digest(key, normalise(value).encode("utf-8"), "sha256").hex()[:32]


#: How a name finding's ``variant`` lists what stands on the name's line:
#: ``ved:f=DDMMYY,e=ADDRESS,t=PHONE,k=ACCOUNT`` (see :mod:`pvscan.patterns.names`).
LINKED_PREFIX = "ved:"


def protect_links(variant: str, key: bytes | None = None) -> str:
    """A name's linked facts as stored: e-mail addresses, phone and account numbers become the
    first 12 hex digits of their keyed hash (enough to tell the requester's from
    another's, useless without the key); a birth date stays, as the masked
    fødselsnummer (``010190*****``) already shows it."""
    if not variant.startswith(LINKED_PREFIX):
        return variant
    parts = []
    for part in variant[len(LINKED_PREFIX) :].split(","):
        kind, _, value = part.partition("=")
        parts.append(f"{kind}={keyed_hash(value, key)[:12]}" if kind in ("e", "t", "k") else part)
    return LINKED_PREFIX + ",".join(parts)


def merge_links(a: str | None, b: str | None) -> str | None:
    """The linked facts of two finds of one name, together: where a name recurs in one
    place (a letter's address block, then its *Gjelder:* line with the number), each
    line's facts must reach the access request, not only the first's. Anything that is
    not a list of linked facts is kept as it was (``a``)."""
    if not b or not b.startswith(LINKED_PREFIX) or (a and not a.startswith(LINKED_PREFIX)):
        return a
    if not a:
        return b
    parts = {*a[len(LINKED_PREFIX) :].split(","), *b[len(LINKED_PREFIX) :].split(",")}
    return LINKED_PREFIX + ",".join(sorted(parts))


def linked_facts(variant: str | None) -> dict[str, set[str]]:
    """The stored linked facts of a name finding: kind (``f``, ``e``, ``t``) -> values."""
    out: dict[str, set[str]] = {}
    if variant and variant.startswith(LINKED_PREFIX):
        for part in variant[len(LINKED_PREFIX) :].split(","):
            kind, _, value = part.partition("=")
            if value:
                out.setdefault(kind, set()).add(value)
    return out


def mask(type_: str, value: str) -> str:
    """Display form. Identifiers keep the birth date or bank part; text keeps a hint."""
    v = value
    if type_ == "fodselsnummer" and len(v) == 11:
        return v[:6] + "*****"
    if type_ == "kontonummer" and len(v) == 11:
        return f"{v[:4]}.**.***{v[-2:]}"
    if type_ == "epost" and "@" in v:
        user, _, domain = v.partition("@")
        return (user[:1] + "***@" + domain) if user else "***@" + domain
    if type_ == "telefon":
        digits = "".join(c for c in v if c.isdigit())
        return digits[:2] + "*" * max(0, len(digits) - 4) + digits[-2:] if len(digits) > 4 else "****"
    if type_ == "navn":
        # A name shows only each part's first letter and length (K*** N******): the
        # caseworker can tell two names apart, a reader of the report learns nothing.
        return " ".join(
            "-".join(p[:1].upper() + "*" * (len(p) - 1) for p in part.split("-")) for part in v.split()
        )
    if any(c.isdigit() for c in v) and len(v) > 4:
        # Digits mean an identifier of some kind (a custom rule's employee number, a
        # case number): keep only its ends.
        return v[:2] + "*" * (len(v) - 4) + v[-2:]
    # Lexicon terms (helse, barnevern …) and word-list rules are words, not
    # identifiers: keep them so a reader knows what was found.
    return v
