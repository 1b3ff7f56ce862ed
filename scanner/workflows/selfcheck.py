"""``pvscan self-check``: one command for an employee.

Scans the user's home folder (and a given mailbox), writes the personal report and the
pre-filled checklist into pvscan's own owner-only folder, and says what to do next.
pvscan's own folder (inventory, key, reports) is excluded from the scan, so the
reports never find themselves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pvscan.model import Settings
from pvscan.scan import scan
from pvscan.util.paths import data_dir
from pvscan.workflows.checklist import write_checklist
from pvscan.workflows.reportdata import build, private_dir, report_writers


@dataclass
class SelfCheckResult:
    roots: list[str]
    report: str
    checklist: list[str]
    totals: dict[str, int]
    problems: int


def self_check(
    db: str,
    home: str | None = None,
    mailboxes: tuple[str, ...] = (),
    out: str | None = None,
    lang: str = "nb",
    workers: int | None = None,
    pm: Any = None,
    settings: Settings | None = None,
) -> SelfCheckResult:
    home = os.path.abspath(os.path.expanduser(home or "~"))
    own = str(data_dir())
    base = settings or Settings()
    settings = Settings(**{**base.__dict__, "exclude": (*base.exclude, own)})
    summary = scan([home, *mailboxes], db, settings=settings, workers=workers, pm=pm)
    out = private_dir(out or os.path.join(own, "selvsjekk-" + datetime.now().strftime("%Y-%m-%d")), None)
    data = build(db, roots=summary.roots, lang=lang)
    report = report_writers(pm)["html"].write(data, os.path.join(out, "min-rapport.html"), "html", lang)[0]
    paths, _ = write_checklist(db, out, scope=", ".join(summary.roots), roots=summary.roots, lang=lang)
    return SelfCheckResult(summary.roots, report, paths, data.totals, summary.problems)
