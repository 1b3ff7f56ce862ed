"""The JSON Lines stream (../shared/bench contract) written from the inventory.

Written from the inventory rather than from the workers' results, so an incremental or
resumed scan still emits every finding of every current item, exactly once.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from typing import IO, Any

from pvscan.inventory import Inventory
from pvscan.util.paths import open_private


def records(
    inv: Inventory, roots: list[str], reveal: bool, scan_id: int | None = None
) -> Iterator[dict[str, Any] | str]:
    """The stream's records in order: an item's findings as their finished JSON lines
    (one string, see :func:`finding_lines`), a problem or walk error as a dict."""
    for item in inv.items_in(roots):
        file = os.fsdecode(item["path"]) if item["source"] == "local" else item["display"]
        head = '{"file": ' + _enc(file)
        rows = inv.export_rows(item["id"])
        if rows:
            yield finding_lines(head, rows, reveal)
        for p in inv.problems_for(item["id"]):
            rec: dict[str, Any] = {"file": file}
            if p["inner"]:
                rec["item"] = p["inner"]
            rec.update({"type": "unscannable", "reason": p["reason"]})
            yield rec
    if scan_id is not None:
        for w in inv.walk_errors(scan_id):
            yield {"file": w["display"], "type": "unscannable", "reason": w["reason"]}


def finding_lines(head: str, rows: list[tuple[Any, ...]], reveal: bool) -> str:
    """The JSON lines of one item's findings (:meth:`~pvscan.inventory.Inventory.export_rows`
    rows; ``head`` is ``{"file": <encoded path>``), joined by newlines: one string to
    write and one UTF-8 check per item instead of per line."""
    lines = [_finding_json(head, row, reveal) for row in rows]
    block = "\n".join(lines)
    try:
        block.encode("utf-8")
    except UnicodeEncodeError:
        return "\n".join(map(_utf8_safe, lines))
    return block


def _finding_json(head: str, row: tuple[Any, ...], reveal: bool) -> str:
    """One finding's JSON line, before the UTF-8 check of :func:`_utf8_safe`.

    Byte for byte what :func:`dumps` writes for the record ``{file, item?, type, value,
    hash, location, confidence, variant?, alt_type?, count?}``, put together from the
    row directly: building a dict per finding and walking it again was most of the
    writer's time (320,000 findings on the dev corpus)."""
    inner, type_, value, masked, hash_, location, confidence, variant, alt_type, count = row
    shown = value if reveal and value is not None else masked
    # Each field is a str nearly always: encoded straight, the rest through _val, and
    # the line made by one f-string (a Python call per field and a new string per
    # piece were most of the writer's time).
    enc = _enc
    item = ', "item": ' + (enc(inner) if inner.__class__ is str else _val(inner)) if inner else ""
    var = ', "variant": ' + (enc(variant) if variant.__class__ is str else _val(variant)) if variant else ""
    alt = (
        ', "alt_type": ' + (enc(alt_type) if alt_type.__class__ is str else _val(alt_type))
        if alt_type
        else ""
    )
    many = ', "count": ' + _val(count) if count and count > 1 else ""
    return (
        f'{head}{item}, "type": {enc(type_) if type_.__class__ is str else _val(type_)}'
        f', "value": {enc(shown) if shown.__class__ is str else _val(shown)}'
        f', "hash": {enc(hash_) if hash_.__class__ is str else _val(hash_)}'
        f', "location": {enc(location or "")}'
        f', "confidence": {enc(confidence) if confidence.__class__ is str else _val(confidence)}'
        f"{var}{alt}{many}}}"
    )


def _plain(v: Any) -> str | None:
    """A string, None or int as ``json.dumps`` writes it (all a finding holds), else None."""
    cls = v.__class__
    if cls is str:
        return _enc(v)
    if v is None:
        return "null"
    if cls is int:
        return int.__repr__(v)
    return None


def _val(v: Any) -> str:
    """A JSON value as ``json.dumps`` writes it."""
    plain = _plain(v)
    return plain if plain is not None else json.dumps(v, ensure_ascii=False)


def _utf8_safe(line: str) -> str:
    """``line``, or the same record with ``\\udcXX`` escapes where a name that is not
    valid UTF-8 would break the file's encoding (the bench contract)."""
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(json.loads(line), ensure_ascii=True)
    return line


#: The string encoder ``json.dumps(..., ensure_ascii=False)`` uses (C when available).
_enc = json.encoder.encode_basestring  # type: ignore[attr-defined]
#: Encoded keys: a record has the same few keys over and over.
_KEYS: dict[str, str] = {}


def dumps(rec: dict[str, Any]) -> str:
    """One JSON line; names that are not valid UTF-8 are written as ``\\udcXX``
    escapes (as the bench contract says) instead of breaking the file's encoding.

    Byte for byte what ``json.dumps(rec, ensure_ascii=False)`` writes, but a record of
    plain strings, ints and None (every finding) is put together directly with the
    same string encoder: ``json.dumps`` with an option builds a new encoder for each
    call, which made writing ``--jsonl`` a fifth of a scan (320,000 findings on the
    dev corpus). Anything else goes through ``json.dumps``."""
    parts: list[str] | None = []
    for k, v in rec.items():
        val = _plain(v)
        if val is None:
            parts = None
            break
        key = _KEYS.get(k)
        if key is None:
            key = _KEYS[k] = _enc(k) + ": " if k.__class__ is str else json.dumps(k) + ": "
        parts.append(key + val)  # type: ignore[union-attr]
    return _utf8_safe(
        "{" + ", ".join(parts) + "}" if parts is not None else json.dumps(rec, ensure_ascii=False)
    )


def write_jsonl(
    out: IO[str], inv: Inventory, roots: list[str], reveal: bool, summary: dict[str, Any], scan_id: int | None
) -> int:
    n = 0
    for rec in records(inv, roots, reveal, scan_id):
        if rec.__class__ is str:
            out.write(rec + "\n")  # type: ignore[operator]
            n += rec.count("\n") + 1  # type: ignore[union-attr] # (a JSON line holds no raw newline)
        else:
            out.write(dumps(rec) + "\n")  # type: ignore[arg-type]
            n += 1
    out.write(
        dumps(
            {
                "type": "summary",
                "files": summary["files"],
                "items": summary["items"],
                "unscannable": summary["problems"],
                "findings": summary["findings"],
                "scan_id": scan_id,
                "new": summary.get("new", 0),
                "changed": summary.get("changed", 0),
                "gone": summary.get("gone", 0),
            }
        )
        + "\n"
    )
    return n


def open_output(target: str) -> IO[str]:
    """``-`` is stdout; a file is created owner-only (it may hold revealed values)."""
    if target == "-":
        return sys.stdout

    return open_private(target, "w", encoding="utf-8")
