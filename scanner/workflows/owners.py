"""Who an item belongs to: the person who must handle its findings.

Routing, in order (the first that gives a name wins; an item the privacy officer handed
to someone stays with that person):

1. a configured *home-folder root* rule (``/srv/home/{user}/``, ``\\\\server\\home$\\{user}\\``);
2. the mailbox user of a mail item (``imaps://kari@host/…``);
3. the conventional home folders (``…/home/{user}/…``, ``…/Users/{user}/…``, ``home$``,
   ``homes``, ``hjem``: the deepest such folder in the path);
4. the file owner (a local user name, an SMB owner SID or ``DOMAIN\\user`` mapped through
   the users' aliases), when the organisation lists its users, only a listed one
   (a share's files are mostly owned by a service account nobody reads mail for);
5. the *fallback remediator* of the root;
6. nobody: the item is *undistributed* and the privacy officer hands it out.

:func:`route` writes the result (with each item's status from the review marks) into the
inventory's routed-items table and rebuilds the aggregates the web pages read.
"""

from __future__ import annotations

import os
import pwd
from collections import defaultdict
from datetime import date, timedelta

from pvscan.inventory import Inventory, now_iso
from pvscan.model import SENSITIVE
from pvscan.workflows.org import Org

#: How far back "recent" reaches for the leader's follow-up status (the handbook's
#: three weeks).
RECENT_DAYS = 21


def owner_of(display: str, root: str, file_owner: str | None) -> str:
    """Who a finding belongs to: the user whose home folder or mailbox holds it, else
    the file owner. ``/home/kari/…`` and ``imaps://kari@host/…`` belong to kari."""
    if "://" in display:
        rest = display.split("://", 1)[1]
        if "@" in rest.split("/", 1)[0]:
            return rest.split("@", 1)[0]
        return file_owner or ""
    parts = display.split("/")
    for base in ("home", "Users"):
        if len(parts) > 2 and parts[1] == base and parts[2]:
            return parts[2]
    return file_owner or ""


#: Folder names that hold one folder per user, by convention.
HOME_FOLDERS = ("home", "homes", "home$", "users", "hjem", "hjemmeomrade", "hjemmeområde")


def conventional_home_user(display: str) -> str:
    """The user folder under the deepest conventional home folder of a path, when the
    item is inside it: ``/home/kari/a.docx``, ``/srv/home/kari/x/a.docx``,
    ``smb://fil01/home$/kari/a.docx`` belong to kari; ``/srv/home/readme.txt`` to nobody."""
    parts = display.replace("\\", "/").split("/")
    for i in range(len(parts) - 3, -1, -1):
        if parts[i].lower() in HOME_FOLDERS and parts[i + 1]:
            return parts[i + 1]
    return ""


def _uid_name(uid: int | None) -> str:
    if uid is None:
        return ""
    try:
        return pwd.getpwuid(uid).pw_name
    except (KeyError, OverflowError):
        return ""


def route_owner(
    org: Org, display: str, root: str, file_owner: str, uid: int | None = None
) -> tuple[str, str]:
    """(owner, how it was decided: ``home``, ``mailbox``, ``owner``, ``fallback`` or ``''``)."""
    conf_root = org.root_for(display) or org.root_for(root)
    if conf_root is not None:
        rx = conf_root.home_regex()
        m = rx.match(display) if rx else None
        if m:
            return org.canonical(m.group("user")), "home"
    if "://" in display:
        host = display.split("://", 1)[1].split("/", 1)[0]
        if "@" in host:
            return org.canonical(host.rsplit("@", 1)[0]), "mailbox"
    user = conventional_home_user(display)
    if user:
        return org.canonical(user), "home"
    owner = org.canonical(file_owner or _uid_name(uid))
    if owner and (not org.users or owner in org.users):
        return owner, "owner"
    if conf_root is not None and conf_root.remediator:
        return conf_root.remediator, "fallback"
    return "", ""


def recent_day(today: date | None = None) -> str:
    return ((today or date.today()) - timedelta(days=RECENT_DAYS)).isoformat()


def route(inv: Inventory, org: Org, today: date | None = None) -> int:
    """Route every item with findings to its owner; returns the number routed."""
    today = today or date.today()
    days = {r["id"]: (r["started"] or "")[:10] for r in inv.scan_rows()}
    statuses = inv.item_statuses()
    assigned = inv.assignments()
    types: dict[int, dict[str, int]] = defaultdict(dict)
    for r in inv.finding_type_counts():
        types[r["item_id"]][r["type"]] = int(r["n"])
    rows = []
    type_rows = []
    for r in inv.routing_rows():
        path = bytes(r["path"])
        if path in assigned:
            owner, via = assigned[path], "assigned"
        else:
            owner, via = route_owner(org, r["display"], r["root"], r["owner"] or "", r["uid"])
        conf_root = org.root_for(r["display"]) or org.root_for(r["root"])
        unit = org.unit_of(owner) or (conf_root.unit if conf_root else "")
        counts = types.get(r["id"], {})
        status = statuses.get(path, "open")
        rows.append(
            (
                r["id"],
                path,
                r["display"],
                os.path.basename(r["display"].rstrip("/")) or r["display"],
                r["root"],
                r["source"],
                owner,
                unit,
                via,
                sum(counts.values()),
                int(any(k in SENSITIVE for k in counts)),
                ",".join(sorted(counts, key=lambda k: (k not in SENSITIVE, k))),
                r["mtime_ns"] or 0,
                r["first_seen"] or 0,
                days.get(r["first_seen"], "") or today.isoformat(),
                status,
                None,
            )
        )
        type_rows += [(r["id"], k, n) for k, n in counts.items()]
    inv.replace_routing(rows, type_rows, recent_day(today), today.isoformat(), now_iso())
    return len(rows)


def assign(inv: Inventory, org: Org, item_id: int, owner: str, by: str, today: date | None = None) -> bool:
    """Hand an (undistributed) item to ``owner``; later routing keeps it there."""
    today = today or date.today()
    ok = inv.assign(item_id, owner, org.unit_of(owner), by, now_iso(), recent_day(today), today.isoformat())
    if ok:
        inv.audit(now_iso(), by, "assign", f"item:{item_id}", owner)
    return ok
