"""What the running app serves: the inventory, the organisation and the login mode.

Django's settings are process-wide and set once (:mod:`pvscan.web.settings`); what may
differ between two apps in one process (tests build many) lives here instead and is
swapped with :func:`install`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from pvscan.workflows.org import Org

AUTH_MODES = ("local", "header", "oidc")


@dataclass
class WebState:
    db: str
    org: Org = field(default_factory=Org)
    auth: str = "header"
    dpo: list[str] = field(default_factory=list)
    #: ``--auth local``: the one-time login token (cleared once used).
    login_token: str = ""
    #: ``--auth local``: the one person this app serves.
    local_user: str = ""

    def __post_init__(self) -> None:
        if self.auth not in AUTH_MODES:
            raise ValueError(f"auth must be one of {AUTH_MODES}")
        if self.auth == "local" and not self.login_token:
            self.login_token = secrets.token_urlsafe(24)


_current: WebState | None = None


def install(state: WebState) -> WebState:
    global _current
    _current = state
    return state


def current() -> WebState:
    if _current is None:
        raise RuntimeError("pvscan.web: no app installed (call pvscan.web.state.install)")
    return _current
