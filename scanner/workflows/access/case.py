"""The case folder: collect, optionally make redacted copies and check them, write the
overview."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

from pvscan.engine.process import Engine
from pvscan.identity import masking
from pvscan.identity.search import SearchKey
from pvscan.model import ItemRef, Settings
from pvscan.util.i18n import t
from pvscan.util.paths import open_private
from pvscan.workflows.access.overview import render_html, write_xlsx
from pvscan.workflows.access.query import AccessResult, collect, split_namesakes
from pvscan.workflows.access.redact import (
    COPY_EXT,
    REDACT_TYPES,
    TEXT_EXT,
    redact_docx,
    redact_pdf,
    redact_text,
    redact_xlsx,
    redaction_regex,
)
from pvscan.workflows.find import as_key
from pvscan.workflows.reportdata import private_dir


def make_copy(ref: ItemRef, dst_dir: str, index: int, mine: set[str], engine: Any) -> tuple[str, str, int]:
    """Write a redacted copy; returns (copy path or '', note, residual count)."""
    ext = ref.name.rsplit(".", 1)[-1].lower() if "." in ref.name else ""
    if ref.source != "local":
        return "", f"{ref.source}", 0
    if ext not in COPY_EXT:
        return "", ext or "?", 0
    if not os.path.exists(ref.url):
        return "", "vanished", 0
    result = engine.process(ref)
    rx = redaction_regex(result.findings, mine)
    name = f"{index:03d}_{ref.name}"
    dst = os.path.join(dst_dir, name)
    if ext in TEXT_EXT:
        fn = redact_text
    elif ext in ("docx", "docm"):
        fn = redact_docx
    elif ext in ("xlsx", "xlsm"):
        fn = redact_xlsx
    else:
        fn = redact_pdf
    fn(ref.url, dst, rx or re.compile(r"(?!x)x"))
    # Check the copy: scan it again; no other person's identifier may be left.
    st = os.stat(dst)
    check = engine.process(ItemRef("local", dst, dst, st.st_size, st.st_mtime_ns))
    residual = {
        masking.keyed_hash(f.value)
        for f in check.findings
        if f.type in REDACT_TYPES and masking.keyed_hash(f.value) not in mine
    }
    return dst, name, len(residual)


def access_request(
    db_path: str,
    identifiers: Sequence[str | SearchKey],
    out: str,
    copies: bool = False,
    lang: str = "nb",
    settings: Settings | None = None,
    engine: Any = None,
    allow_inside: bool = False,
) -> AccessResult:
    """Build the case folder for an access request and return what was written."""
    if not identifiers:
        raise ValueError("give at least one identifier")
    found, mine = collect(db_path, identifiers)
    items, namesakes = split_namesakes(found)
    out = private_dir(out, db_path, allow_inside)
    if copies and items:
        engine = engine or Engine(settings or Settings())
        copy_dir = private_dir(os.path.join(out, "kopier"), None)
        for n, it in enumerate(items, start=1):
            inner_only = all(loc[0] for loc in it.locations)
            url = os.fsdecode(it.path)
            if inner_only and it.kind in ("mbox", "pst", "zip", "7z", "tar", "gzip"):
                it.copy_note = t("wf.access.copy_manual", lang, reason=it.kind)
                continue
            try:
                st = os.stat(url) if it.source == "local" else None
                ref = ItemRef(
                    it.source, url, it.display, st.st_size if st else 0, st.st_mtime_ns if st else 0
                )
                path, note, residual = make_copy(ref, copy_dir, n, mine, engine)
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the case
                path, note, residual = "", f"{type(exc).__name__}", 0
            if path:
                it.copy, it.residual = path, residual
                it.copy_note = (
                    t("wf.access.copy_check", lang, name=note, n=residual)
                    if residual
                    else t("wf.access.copy_ok", lang, name=note)
                )
            else:
                it.copy_note = t("wf.access.copy_manual", lang, reason=note)
    masked = [as_key(x).shown for x in identifiers]
    result = AccessResult(out, items, [], masked, namesakes)

    html_path = os.path.join(out, "oversikt.html")
    with open_private(html_path, "w", encoding="utf-8") as fh:
        fh.write(render_html(result, lang, copies))
    xlsx_path = os.path.join(out, "oversikt.xlsx")
    write_xlsx(result, xlsx_path, lang, copies)
    result.files = [html_path, xlsx_path] + [i.copy for i in items if i.copy]
    return result
