"""Deletion on request (sletting, GDPR art. 17) and clean-up, always plan first.

``plan`` selects items by person (keyed hash) or by filter (finding type, file format,
folder, age, owner) and decides for each: ``quarantine`` or ``delete``, ``keep`` (a keep
mark such as legal hold or arkivlova, which every later plan respects), ``refuse`` (the
file changed since it was scanned: what we would delete is not what was reviewed),
``manual`` (inside a mailbox file, an archive, or on a remote source that cannot
delete, or may not: the reason says which) or ``gone``.

``execute`` recomputes the plan, checks each file's stamp again right before acting,
moves it to a quarantine folder (kept for a retention period, then purged) or deletes
it, and appends one record per decision to an append-only, hash-chained audit log
(who, when, what, content SHA-256, reason). Maildir messages are single files and can
be deleted one by one; mbox/PST/IMAP messages need the mail program. A remote source
that can delete its own items (``Source.can_delete``: Microsoft 365 moves a message to
Deleted Items, a file to the recycle bin) does so when it says it may
(``Source.deletion_refused``), after checking the item is still the scanned version;
the service keeps it recoverable, so the plan's quarantine folder is not used.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pluggy

from pvscan.engine.manager import make_plugin_manager
from pvscan.interfaces import Source
from pvscan.inventory import Inventory, now_iso, path_key
from pvscan.model import ChangedSinceScan, Unscannable
from pvscan.util.htmlpage import esc, page
from pvscan.util.i18n import t
from pvscan.util.paths import create_private, data_dir, open_private
from pvscan.workflows.owners import owner_of
from pvscan.workflows.review import current_user, set_status, status_for

MAILBOX_KINDS = ("mbox", "pst")
ARCHIVE_KINDS = ("zip", "7z", "tar", "gzip", "bzip2", "xz")
REMOVE = ("quarantine", "delete")


@dataclass
class Selection:
    hashes: list[str] = field(default_factory=list)
    folder: str | None = None
    types: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    older_than_days: int | None = None
    owner: str | None = None

    def empty(self) -> bool:
        return not (
            self.hashes or self.folder or self.types or self.kinds or self.older_than_days or self.owner
        )


@dataclass
class PlanEntry:
    item_id: int
    path: str
    display: str
    source: str
    kind: str
    size: int
    mtime_ns: int
    file_id: str
    owner: str
    action: str
    reason: str = ""
    where: list[str] = field(default_factory=list)


@dataclass
class Plan:
    id: str
    created: str
    selection: dict[str, Any]
    mode: str
    entries: list[PlanEntry]

    def count(self, action: str) -> int:
        return sum(1 for e in self.entries if e.action == action)


# --------------------------------------------------------------------------- keep marks
def keep(db_path: str, path: str, reason: str, until: str | None = None) -> None:
    """Mark a file or folder as kept (legal hold, arkivlova …); plans respect it."""
    if not reason.strip():
        raise ValueError("a keep mark needs a reason")
    path = os.path.abspath(path) if "://" not in path else path
    with Inventory(db_path) as inv:
        inv.set_keep_mark(path_key(path), reason, current_user(), now_iso(), until)
        if inv.lookup(path) is not None:
            set_status(inv, path, "kept", reason)


def unkeep(db_path: str, path: str) -> bool:
    path = os.path.abspath(path) if "://" not in path else path
    with Inventory(db_path) as inv:
        return inv.remove_keep_mark(path_key(path))


def keep_marks(inv: Inventory) -> list[tuple[str, str, str | None]]:
    """The keep marks in force today: (path, reason, until)."""
    today = datetime.now().strftime("%Y-%m-%d")
    return [
        (os.fsdecode(bytes(r["path"])), r["reason"], r["until"])
        for r in inv.keep_mark_rows()
        if not r["until"] or r["until"] >= today
    ]


def _kept(path: str, marks: list[tuple[str, str, str | None]]) -> str | None:
    for p, reason, _ in marks:
        if path == p or path.startswith(p.rstrip("/") + "/"):
            return reason
    return None


# --------------------------------------------------------------------------- planning
def _stamp(path: str) -> tuple[int, int, str] | None:
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, f"{st.st_dev}:{st.st_ino}"


def is_maildir_message(path: str) -> bool:
    parent = os.path.dirname(path)
    box = os.path.dirname(parent)
    return os.path.basename(parent) in ("cur", "new") and all(
        os.path.isdir(os.path.join(box, d)) for d in ("cur", "new", "tmp")
    )


def _sources(pm: pluggy.PluginManager | None) -> dict[str, Source]:
    """The source plugins by name (they know how to delete their own remote items)."""
    pm = pm or make_plugin_manager()
    return {s.name: s for group in pm.hook.pvscan_sources() for s in group or ()}


def plan(
    db_path: str, sel: Selection, mode: str = "quarantine", pm: pluggy.PluginManager | None = None
) -> Plan:
    """Decide for every selected item what ``execute`` would do, and why."""
    if sel.empty():
        raise ValueError("select by person (--fnr/--kontonummer) or by at least one filter")
    if mode not in REMOVE:
        raise ValueError(f"mode must be one of {REMOVE}")
    with Inventory(db_path) as inv:  # read-write: applies the workflow schema if missing
        marks = keep_marks(inv)
        reviews = inv.review_marks()
        where: dict[int, list[str]] = {}
        inner_of: dict[int, list[str]] = {}
        if sel.hashes:
            for r in inv.find_by_hash(sel.hashes):
                where.setdefault(r["item_id"], []).append(
                    " / ".join(x for x in (r["inner"], r["location"]) if x)
                )
                inner_of.setdefault(r["item_id"], []).append(r["inner"])
            ids = set(where)
        else:
            ids = None
        cutoff = (
            (datetime.now() - timedelta(days=sel.older_than_days)).timestamp() * 1e9
            if sel.older_than_days
            else None
        )
        folder = os.path.abspath(sel.folder) if sel.folder and "://" not in sel.folder else sel.folder
        entries = []
        sources = _sources(pm)

        for r in inv.live_items():
            if ids is not None and r["id"] not in ids:
                continue
            path = os.fsdecode(bytes(r["path"]))
            if folder and not (path == folder or path.startswith(folder.rstrip("/") + "/")):
                continue
            if cutoff is not None and (r["mtime_ns"] or 0) >= cutoff:
                continue
            if sel.owner and owner_of(r["display"], r["root"], r["owner"]) != sel.owner:
                continue
            if sel.kinds and r["kind"] not in sel.kinds and path.rsplit(".", 1)[-1].lower() not in sel.kinds:
                continue
            inner_hits = list(inner_of.get(r["id"], []))
            if sel.types:
                found = inv.finding_inners(r["id"], sel.types)
                if not found:
                    continue
                inner_hits += found
            e = PlanEntry(
                r["id"],
                path,
                r["display"],
                r["source"],
                r["kind"] or "",
                r["size"] or 0,
                r["mtime_ns"] or 0,
                r["file_id"] or "",
                r["owner"] or "",
                mode,
                "",
                where.get(r["id"], []),
            )
            kept = _kept(path, marks)
            review, why = status_for(reviews, bytes(r["path"]))
            in_inner = bool(inner_hits) and all(inner_hits)
            if kept or review == "kept":
                e.action, e.reason = "keep", kept or why
            elif r["source"] != "local":
                src = sources.get(r["source"])
                refused = src.deletion_refused(path) if src is not None and src.can_delete else None
                if refused is None:
                    e.action, e.reason = "manual", f"remote:{r['source']}"
                elif refused:
                    e.action, e.reason = "manual", f"notpermitted:{r['source']}: {refused}"
                elif r["kind"] in ARCHIVE_KINDS and in_inner:
                    e.action, e.reason = "manual", f"archive:{r['kind']}"
                else:
                    e.reason = f"service:{r['source']}"
            elif r["kind"] in MAILBOX_KINDS:
                e.action, e.reason = "manual", f"mailbox:{r['kind']}"
            elif r["kind"] in ARCHIVE_KINDS and in_inner:
                e.action, e.reason = "manual", f"archive:{r['kind']}"
            else:
                stamp = _stamp(path)
                if stamp is None:
                    e.action, e.reason = "gone", "missing"
                elif stamp[:2] != (e.size, e.mtime_ns):
                    e.action, e.reason = "refuse", "changed"
                elif is_maildir_message(path):
                    e.reason = "maildir"
            entries.append(e)
    now = datetime.now()
    sel_dict = asdict(sel)
    sel_dict["hashes"] = [h[:8] + "…" for h in sel.hashes]  # enough to tell plans apart, not a lookup key
    return Plan(now.strftime("%Y%m%d-%H%M%S-") + os.urandom(3).hex(), now_iso(), sel_dict, mode, entries)


def reason_text(e: PlanEntry, lang: str) -> str:
    kind, _, arg = e.reason.partition(":")
    if e.action == "keep":
        return t("wf.del.why.kept", lang, reason=e.reason)
    if kind == "changed":
        return t("wf.del.why.changed", lang)
    if kind == "mailbox":
        return t("wf.del.why.mailbox", lang, kind=arg)
    if kind == "archive":
        return t("wf.del.why.archive", lang, kind=arg)
    if kind == "remote":
        return t("wf.del.why.remote", lang, source=arg)
    if kind == "notpermitted":
        source, _, why = arg.partition(": ")
        return t("wf.del.why.notpermitted", lang, source=source, why=why)
    if kind == "service":
        return t("wf.del.why.service", lang, source=arg)
    return e.reason


def write_plan(p: Plan, out_dir: str, lang: str = "nb") -> list[str]:
    """The plan as JSON (for the record) and printable HTML (for the case)."""
    os.makedirs(out_dir, mode=0o700, exist_ok=True)
    jpath = os.path.join(out_dir, f"sletteplan-{p.id}.json")
    with open_private(jpath, "w", encoding="utf-8") as fh:
        json.dump(asdict(p), fh, ensure_ascii=False, indent=1)
    rows = "".join(
        f"<tr><td>{esc(e.display)}</td><td>{esc(t('wf.del.act.' + e.action, lang))}</td><td>{esc(reason_text(e, lang))}</td>"
        f"<td>{esc('; '.join(e.where))}</td><td>{esc(e.owner)}</td></tr>"
        for e in p.entries
    )
    head = "".join(
        f"<th>{esc(t(k, lang))}</th>"
        for k in ("wf.col.file", "wf.col.action", "wf.col.reason", "wf.col.location", "wf.col.owner")
    )
    body = f"<h1>{esc(t('wf.del.title', lang))} {esc(p.id)}</h1><p class='meta'>{esc(p.created)}</p><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    hpath = os.path.join(out_dir, f"sletteplan-{p.id}.html")
    with open_private(hpath, "w", encoding="utf-8") as fh:
        fh.write(page(t("wf.del.title", lang), body, lang))
    return [jpath, hpath]


# --------------------------------------------------------------------------- audit log
def default_audit_log() -> str:
    d = data_dir() / "audit"
    d.mkdir(mode=0o700, exist_ok=True)
    return str(d / "sletting.jsonl")


def _last_line_hash(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 65536))
            lines = fh.read().splitlines()
    except FileNotFoundError:
        return ""
    return hashlib.sha256(lines[-1]).hexdigest() if lines else ""


def append_audit(path: str, record: dict[str, Any]) -> dict[str, Any]:
    """Append one record. Each carries the SHA-256 of the previous line (``prev``), so
    a removed or edited line breaks the chain (:func:`verify_audit_log`)."""
    create_private(path)
    rec = {"prev": _last_line_hash(path), **record}
    line = json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return rec


def read_audit_log(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(x) for x in fh if x.strip()]


def verify_audit_log(path: str) -> tuple[bool, int]:
    """(chain intact, number of records)."""
    prev = ""
    n = 0
    with open(path, "rb") as fh:
        for line in fh:
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec.get("prev", "") != prev:
                return False, n
            prev = hashlib.sha256(line.rstrip(b"\n")).hexdigest()
            n += 1
    return True, n


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- execution
def default_quarantine() -> str:
    d = data_dir() / "karantene"
    d.mkdir(mode=0o700, exist_ok=True)
    return str(d)


def execute(
    db_path: str,
    p: Plan,
    audit_log: str | None = None,
    quarantine: str | None = None,
    retention_days: int = 30,
    case: str = "",
    user: str | None = None,
    pm: pluggy.PluginManager | None = None,
) -> Plan:
    """Carry out ``p``. Every entry gets an audit record; only ``quarantine``/``delete``
    entries whose file is unchanged right now are acted on (others become ``refuse``).
    ``user`` is who asked (the web app's signed-in person; default: the OS user).
    Items on a source that deletes its own (``reason`` ``service:…``) are handed to
    it; it checks their stamp and refuses a changed one."""
    audit_log = audit_log or default_audit_log()
    user, host = user or current_user(), socket.gethostname()
    qdir = None
    manifest: list[dict[str, Any]] = []
    sources = _sources(pm) if any(e.reason.startswith("service:") for e in p.entries) else {}
    if p.mode == "quarantine" and any(e.action in REMOVE and e.source == "local" for e in p.entries):
        qdir = os.path.join(quarantine or default_quarantine(), p.id)
        os.makedirs(qdir, mode=0o700, exist_ok=True)
    expires = (datetime.now() + timedelta(days=retention_days)).strftime("%Y-%m-%d")
    with Inventory(db_path) as inv:
        for n, e in enumerate(p.entries, start=1):
            rec: dict[str, Any] = {
                "time": now_iso(),
                "user": user,
                "host": host,
                "plan": p.id,
                "case": case,
                "path": e.path,
                "size": e.size,
                "action": e.action,
                "reason": e.reason,
            }
            if e.action in REMOVE and e.reason.startswith("service:"):
                _remote_delete(inv, sources.get(e.source), e, rec, p.id, case, user)
            elif e.action in REMOVE:
                stamp = _stamp(e.path)
                if stamp is None or stamp[:2] != (e.size, e.mtime_ns):
                    e.action, e.reason = "refuse", "changed" if stamp else "missing"
                    rec.update(action=e.action, reason=e.reason)
                else:
                    rec["sha256"] = sha256_file(e.path)
                    if qdir is not None:
                        target = os.path.join(qdir, f"{n:05d}_{os.path.basename(e.path)}")
                        shutil.move(e.path, target)
                        os.chmod(target, 0o600)
                        rec.update(quarantine=target, expires=expires)
                        manifest.append(
                            {
                                "original": e.path,
                                "stored": target,
                                "sha256": rec["sha256"],
                                "expires": expires,
                            }
                        )
                    else:
                        os.unlink(e.path)
                    set_status(
                        inv, e.path, "deleted", f"plan {p.id}" + (f", {case}" if case else ""), user=user
                    )
            elif e.action in ("refuse", "manual", "keep", "gone"):
                pass
            append_audit(audit_log, rec)
    if qdir is not None and manifest:
        with open_private(os.path.join(qdir, "manifest.json"), "w", encoding="utf-8") as fh:
            json.dump({"plan": p.id, "expires": expires, "items": manifest}, fh, ensure_ascii=False, indent=1)
    return p


def _remote_delete(
    inv: Inventory,
    src: Source | None,
    e: PlanEntry,
    rec: dict[str, Any],
    plan_id: str,
    case: str,
    user: str,
) -> None:
    """Let the item's own source remove it (recoverably, on the service), and record
    what it said or why it refused."""
    try:
        if src is None or not src.can_delete:
            raise PermissionError(f"no source plugin {e.source!r} that can delete")
        note = src.delete(e.path, e.file_id)
    except ChangedSinceScan:
        e.action, e.reason = "refuse", "changed"
    except FileNotFoundError:
        e.action, e.reason = "gone", "missing"
    except PermissionError as exc:
        e.action, e.reason = "refuse", f"notpermitted:{e.source}: {exc}"
    except (OSError, Unscannable) as exc:
        e.action, e.reason = "refuse", f"error: {exc}"[:300]
    else:
        rec["service"] = note
        set_status(inv, e.path, "deleted", f"plan {plan_id}" + (f", {case}" if case else ""), user=user)
        return
    rec.update(action=e.action, reason=e.reason)


def _manifests(qroot: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Each quarantine batch under ``qroot`` that has a manifest, in name order:
    (batch folder name, manifest path, manifest). The folder is listed at once, so a
    caller may remove a batch while it goes through them."""
    for batch in sorted(os.listdir(qroot)):
        mpath = os.path.join(qroot, batch, "manifest.json")
        if not os.path.exists(mpath):
            continue
        with open(mpath, encoding="utf-8") as fh:
            yield batch, mpath, json.load(fh)


def purge_quarantine(
    quarantine: str | None = None, audit_log: str | None = None, today: str | None = None
) -> int:
    """Delete quarantined batches past their retention date; returns files purged."""
    qroot = quarantine or default_quarantine()
    audit_log = audit_log or default_audit_log()
    today = today or datetime.now().strftime("%Y-%m-%d")
    purged = 0
    for batch, _mpath, m in _manifests(qroot):
        if m["expires"] > today:
            continue
        for it in m["items"]:
            if os.path.exists(it["stored"]):
                os.unlink(it["stored"])
                purged += 1
                append_audit(
                    audit_log,
                    {
                        "time": now_iso(),
                        "user": current_user(),
                        "host": socket.gethostname(),
                        "plan": m["plan"],
                        "path": it["original"],
                        "sha256": it["sha256"],
                        "action": "purge",
                        "reason": "retention expired",
                    },
                )
        shutil.rmtree(os.path.join(qroot, batch))
    return purged


def quarantined(quarantine: str | None = None) -> list[dict[str, Any]]:
    """Every file waiting in quarantine: ``original``, ``stored``, ``expires``, ``plan``."""
    qroot = quarantine or default_quarantine()
    out: list[dict[str, Any]] = []
    if not os.path.isdir(qroot):
        return out
    for _batch, _mpath, m in _manifests(qroot):
        out += [
            {**it, "plan": m["plan"], "expires": it.get("expires", m["expires"])}
            for it in m["items"]
            if os.path.exists(it["stored"])
        ]
    return out


def restore(
    db_path: str,
    original: str,
    quarantine: str | None = None,
    audit_log: str | None = None,
    user: str | None = None,
) -> bool:
    """Move a quarantined file back to where it was (within the retention period), set
    its review status back to open and log it like the deletion. False when the file is
    not in quarantine; refuses (``FileExistsError``) to overwrite a file put there since."""
    qroot = quarantine or default_quarantine()
    audit_log = audit_log or default_audit_log()
    user = user or current_user()
    original = os.path.abspath(original) if "://" not in original else original
    for _batch, mpath, m in _manifests(qroot) if os.path.isdir(qroot) else ():
        for it in m["items"]:
            if it["original"] != original or not os.path.exists(it["stored"]):
                continue
            if os.path.exists(original):
                raise FileExistsError(original)
            os.makedirs(os.path.dirname(original), exist_ok=True)
            shutil.move(it["stored"], original)
            m["items"] = [x for x in m["items"] if x is not it]
            with open_private(mpath, "w", encoding="utf-8") as fh:
                json.dump(m, fh, ensure_ascii=False, indent=1)
            append_audit(
                audit_log,
                {
                    "time": now_iso(),
                    "user": user,
                    "host": socket.gethostname(),
                    "plan": m["plan"],
                    "path": original,
                    "sha256": it["sha256"],
                    "action": "restore",
                    "reason": "restored from quarantine",
                },
            )
            with Inventory(db_path) as inv:
                set_status(inv, original, "open", "restored", user=user)
            return True
    return False


# --------------------------------------------------------------------------- plans waiting
def default_plan_dir() -> str:
    return os.path.join(str(data_dir()), "sletteplaner")


def load_plan(path: str) -> Plan:
    with open(path, encoding="utf-8") as fh:
        d = json.load(fh)
    return Plan(d["id"], d["created"], d["selection"], d["mode"], [PlanEntry(**e) for e in d["entries"]])


def executed_plan_ids(audit_log: str | None = None) -> set[str]:
    log = audit_log or default_audit_log()
    if not os.path.exists(log):
        return set()
    return {r.get("plan", "") for r in read_audit_log(log)}


def pending_plans(plan_dir: str | None = None, audit_log: str | None = None) -> list[Plan]:
    """Plans written by ``pvscan delete`` (without ``--execute``) that nobody carried
    out yet: they wait for someone to approve them. Newest first."""
    folder = plan_dir or default_plan_dir()
    if not os.path.isdir(folder):
        return []
    done = executed_plan_ids(audit_log)
    plans = []
    for name in sorted(os.listdir(folder), reverse=True):
        if name.startswith("sletteplan-") and name.endswith(".json"):
            p = load_plan(os.path.join(folder, name))
            if p.id not in done:
                plans.append(p)
    return plans
