"""E-mail digests: each owner gets, at most once per run, a short mail listing the
files with findings first found since their last digest, with a link to the web app.

Nothing in a digest identifies anyone but the recipient's own files: file names, finding
types and counts; no values, not even masked ones (mail is forwarded and archived).
Run it from cron or a systemd timer (``pvscan notify``) after the nightly scan.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from pvscan.inventory import Inventory, now_iso
from pvscan.util.i18n import t, type_name
from pvscan.workflows.org import Org


@dataclass
class Digest:
    owner: str
    to: str
    subject: str
    body: str
    items: int


def digests(inv: Inventory, org: Org, lang: str = "nb", limit: int = 20) -> list[Digest]:
    """The digests due now (owners with an address and new open items)."""
    out = []
    base = org.base_url.rstrip("/") + "/" if org.base_url else ""
    for owner in inv.owners_with_open():
        user = org.users.get(owner)
        if user is None or not user.email:
            continue
        rows = inv.new_open_since(owner, inv.digest_mark(owner))
        if not rows:
            continue
        lines = [t("web.digest.intro", lang, n=len(rows)), ""]
        for r in rows[:limit]:
            kinds = ", ".join(type_name(k, lang) for k in r["types"].split(",") if k)
            lines.append(f"- {r['name']} ({kinds})")
        if len(rows) > limit:
            lines.append(t("web.digest.more", lang, n=len(rows) - limit))
        if base:
            lines += ["", t("web.digest.link", lang, url=base)]
        out.append(
            Digest(owner, user.email, t("web.digest.subject", lang, n=len(rows)), "\n".join(lines), len(rows))
        )
    return out


def send(inv: Inventory, org: Org, lang: str = "nb", dry_run: bool = False) -> list[Digest]:
    """Send the due digests through ``org.smtp`` and move each owner's mark to the
    newest scan, so the next digest lists only what is new after this one."""
    due = digests(inv, org, lang)
    if dry_run or not due or not org.smtp.enabled:
        return due
    last = inv.last_scan_id()
    smtp = org.smtp
    with smtplib.SMTP(smtp.host or "localhost", smtp.port, timeout=30) as conn:
        if smtp.starttls:
            conn.starttls()
        if smtp.user:
            conn.login(smtp.user, smtp.password)
        for d in due:
            msg = EmailMessage()
            msg["From"] = smtp.sender
            msg["To"] = d.to
            msg["Subject"] = d.subject
            msg.set_content(d.body)
            conn.send_message(msg)
            inv.set_digest_mark(d.owner, last, now_iso())
            inv.audit(now_iso(), "pvscan-notify", "digest", f"user:{d.owner}", str(d.items))
    return due
