"""Who may see and do what. Every view asks here, on the server, for every request:
nothing is hidden only by leaving a link out.

* employee (everyone signed in): their own routed items, and only those;
* leader: the aggregates of the units they lead (never the items themselves);
* privacy officer (``--dpo`` / ``dpo`` in the config): every aggregate, undistributed
  items, access-request cases, quarantine and the audit log;
* caseworker: access-request cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pvscan.web.state import WebState


@dataclass(frozen=True)
class Viewer:
    user: str
    units: tuple[str, ...] = ()
    dpo: bool = False
    caseworker: bool = False
    roles: tuple[str, ...] = field(default=())

    @property
    def leader(self) -> bool:
        return bool(self.units)


def viewer_for(user: str, state: WebState) -> Viewer:
    org = state.org
    dpo = user in state.dpo or user in org.dpo
    units = tuple(org.led_units(user))
    caseworker = dpo or user in org.caseworkers
    roles = ("employee",) + (("leader",) if units else ()) + (("dpo",) if dpo else ())
    roles += ("caseworker",) if caseworker and not dpo else ()
    return Viewer(user, units, dpo, caseworker, roles)


def owns(viewer: Viewer, routed: Any) -> bool:
    """May ``viewer`` see and act on this routed item? Only its owner may."""
    return routed is not None and bool(viewer.user) and routed["owner"] == viewer.user
