"""The leader's page: the people of the units they lead, from the aggregates.

A leader sees counts, ages and a follow-up status per person, and the unit's trend;
never the files or findings themselves (those are the employee's to handle)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pvscan.web.state import current
from pvscan.web.views.common import forbidden, inventory, log_view, page, viewer

#: A person is "followed up" when at least this share of what was found in the last
#: three weeks is handled.
FOLLOWED_UP = 0.5


def person_status(r: Any) -> tuple[str, str]:
    """(css class, label) for one person's follow-up status."""
    if not r["open_items"]:
        return "ok", _("Done")
    if r["new_recent"] and r["new_recent_handled"] / r["new_recent"] >= FOLLOWED_UP:
        return "ok", _("Followed up")
    if r["new_recent"] == 0 and r["handled_items"]:
        return "warn", _("Old findings open")
    return "bad", _("Needs follow-up")


def weekly(rows: list[Any]) -> list[dict[str, Any]]:
    """The last day of each ISO week among daily sums, oldest first."""
    weeks: dict[tuple[int, int], Any] = {}
    for r in rows:
        y, w, _d = date.fromisoformat(r["day"]).isocalendar()
        weeks[(y, w)] = r
    out = []
    top = max((r["open_items"] + r["handled_items"] for r in weeks.values()), default=0) or 1
    for (y, w), r in sorted(weeks.items()):
        out.append(
            {"label": f"{y}-W{w:02d}", "open": r["open_items"], "handled": r["handled_items"], "max": top}
        )
    return out


@require_GET
def leader(request: HttpRequest) -> HttpResponse:
    v = viewer(request)
    if not v.leader:
        return forbidden(request)
    org = current().org
    today = date.today()
    with inventory() as inv:
        rows = inv.owner_stats_rows(list(v.units))
        trend = weekly(inv.history(list(v.units), (today - timedelta(weeks=8)).isoformat()))
        log_view(inv, request, "unit", ",".join(v.units))
    people = []
    for r in rows:
        css, label = person_status(r)
        oldest = (today - date.fromisoformat(r["oldest_open"])).days if r["oldest_open"] else None
        user = org.users.get(r["owner"])
        people.append(
            {
                "user": r["owner"],
                "name": user.full_name if user and user.full_name else r["owner"],
                "unit": org.units[r["unit"]].name if r["unit"] in org.units else r["unit"],
                "open": r["open_items"],
                "handled": r["handled_items"],
                "sensitive": r["sensitive_open"],
                "oldest_days": oldest,
                "status_class": css,
                "status": label,
            }
        )
    ctx = {
        "title": _("My unit"),
        "units": [org.units[u].name if u in org.units else u for u in v.units],
        "people": people,
        "open": sum(p["open"] for p in people),
        "handled": sum(p["handled"] for p in people),
        "trend": trend,
    }
    return page(request, "leader.html", ctx)
