"""Handling findings one item at a time, as a person in the web app does it.

Each action goes through the existing workflows so it means the same as on the command
line: a status is a review mark (it survives re-scans), a false positive for a value is
an exception later scans honour, a deletion is a deletion plan carried out into
quarantine with its hash-chained audit record, a restore moves the file back and logs
it. The routed-items table and its aggregates are updated in the same step, and every
action is written to the web audit log with the person who did it.

Who may act on which item is decided by the caller (:mod:`pvscan.web.policy`); these
functions only act.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

from pvscan.inventory import Inventory, now_iso
from pvscan.model import SENSITIVE
from pvscan.workflows import deletion
from pvscan.workflows.org import Org
from pvscan.workflows.owners import recent_day
from pvscan.workflows.review import STATUSES, set_status

#: Statuses a person may choose in the web app (``deleted`` comes from a deletion).
CHOOSABLE = ("archived", "edited", "kept", "false_positive", "obsolete", "open")


@dataclass
class Outcome:
    ok: bool
    action: str
    reason: str = ""


def audit(inv: Inventory, user: str, action: str, target: str = "", detail: str = "") -> None:
    inv.audit(now_iso(), user, action, target, detail)


def _routed_status(inv: Inventory, item_id: int, status: str) -> None:
    today = date.today()
    inv.set_routed_status(item_id, status, now_iso(), recent_day(today), today.isoformat())


def item_path(inv: Inventory, item_id: int) -> str:
    row = inv.routed_item(item_id)
    if row is None:
        raise LookupError(item_id)
    return os.fsdecode(bytes(row["path"]))


def set_item_status(inv: Inventory, item_id: int, status: str, reason: str, user: str) -> Outcome:
    """Record a handling status for a whole item (a review mark keyed by its path)."""
    if status not in STATUSES or status == "deleted":
        raise ValueError(f"not a status one can set: {status!r}")
    if status == "kept" and not reason.strip():
        return Outcome(False, "status", "reason-required")
    set_status(inv, item_path(inv, item_id), status, reason.strip(), user=user)
    _routed_status(inv, item_id, status)
    audit(inv, user, "status", f"item:{item_id}", status)
    return Outcome(True, "status", status)


def false_positive_value(inv: Inventory, item_id: int, value_hash: str, user: str) -> Outcome:
    """Mark one value of an item a false positive: an exception for this file, the
    finding removed now; an item left without findings counts as handled."""
    path = item_path(inv, item_id)
    set_status(inv, path, "false_positive", "web", value_hash=value_hash, user=user)
    counts = {r["type"]: int(r["n"]) for r in inv.finding_type_counts([item_id])}
    inv.update_routed_counts(
        item_id,
        sum(counts.values()),
        sorted(counts.items()),
        ",".join(sorted(counts, key=lambda k: (k not in SENSITIVE, k))),
    )
    if not counts:
        set_status(inv, path, "false_positive", "web", user=user)
        _routed_status(inv, item_id, "false_positive")
    audit(inv, user, "false_positive", f"item:{item_id}", value_hash[:8])
    return Outcome(True, "false_positive")


def delete_item(db_path: str, inv: Inventory, org: Org, item_id: int, user: str) -> Outcome:
    """Delete one file into quarantine through a deletion plan (only where the
    organisation allows it); refused when the file changed since it was scanned, kept,
    or inside a mailbox or archive."""
    path = item_path(inv, item_id)
    if not org.deletion_allowed(path):
        return Outcome(False, "delete", "not-allowed")
    plan = deletion.plan(db_path, deletion.Selection(folder=path), "quarantine")
    entries = [e for e in plan.entries if e.item_id == item_id]
    plan.entries = entries
    if not entries:
        return Outcome(False, "delete", "gone")
    _execute(db_path, org, plan, f"web:{user}", user)
    e = entries[0]
    if e.action == "quarantine":
        _routed_status(inv, item_id, "deleted")
    audit(inv, user, "delete", f"item:{item_id}", f"{e.action}:{e.reason}")
    return Outcome(e.action == "quarantine", "delete", e.reason or e.action)


def _execute(db_path: str, org: Org, plan: deletion.Plan, case: str, user: str) -> None:
    """Carry out a plan with the organisation's audit log, quarantine and retention."""
    deletion.execute(
        db_path,
        plan,
        audit_log=org.audit_log or None,
        quarantine=org.quarantine or None,
        retention_days=org.quarantine_days,
        case=case,
        user=user,
    )


def restore_item(db_path: str, inv: Inventory, org: Org, item_id: int, user: str) -> Outcome:
    """Move a quarantined file back (within the retention period), status open again."""
    path = item_path(inv, item_id)
    try:
        done = deletion.restore(db_path, path, org.quarantine or None, org.audit_log or None, user=user)
    except FileExistsError:
        return Outcome(False, "restore", "exists")
    if done:
        _routed_status(inv, item_id, "open")
    audit(inv, user, "restore", f"item:{item_id}", "ok" if done else "not-in-quarantine")
    return Outcome(done, "restore", "" if done else "not-in-quarantine")


def restore_path(db_path: str, org: Org, path: str, user: str) -> bool:
    """``pvscan restore``: move a quarantined file back by its original path."""
    done = deletion.restore(db_path, path, org.quarantine or None, org.audit_log or None, user=user)
    if done:
        with Inventory(db_path) as inv:
            row = inv.lookup(os.path.abspath(path) if "://" not in path else path)
            if row is not None and inv.routed_item(row.id) is not None:
                _routed_status(inv, row.id, "open")
            audit(inv, user, "restore", f"item:{row.id}" if row else "file", "cli")
    return done


def approve_plan(db_path: str, inv: Inventory, org: Org, plan_id: str, user: str) -> Outcome:
    """Carry out a deletion plan that waits for approval (the privacy officer's button);
    each file's stamp is checked again right before it is moved, as on the command line."""
    plans = {p.id: p for p in deletion.pending_plans(org.plan_dir or None, org.audit_log or None)}
    plan = plans.get(plan_id)
    if plan is None:
        return Outcome(False, "approve", "unknown")
    _execute(db_path, org, plan, f"approved:{user}", user)
    for e in plan.entries:
        if e.action in deletion.REMOVE and inv.routed_item(e.item_id) is not None:
            _routed_status(inv, e.item_id, "deleted")
    audit(
        inv,
        user,
        "approve_plan",
        f"plan:{plan.id}",
        f"{plan.count('quarantine') + plan.count('delete')} files",
    )
    return Outcome(True, "approve", plan.id)
