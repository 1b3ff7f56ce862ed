"""The organisation as pvscan needs to know it: people, org units and their leaders,
roots with their home-folder rules, fallback remediators, retention and whether
deletion is allowed, the privacy officer, e-mail. Read from one TOML file (and a CSV of
users for the many), shared by ``pvscan serve``, ``pvscan notify`` and ``pvscan route``.

Example (every key optional)::

    dpo = ["per"]                      # privacy officer(s): the whole organisation
    caseworkers = ["siri"]             # may open access-request cases
    users_csv = "brukere.csv"          # user,unit,email,name,aliases (aliases split by |)
    base_url = "https://pvscan.kommune.no"
    deletion = true                    # deletion from the web (quarantine), default off
    case_copies = false                # access-request cases may make redacted copies
    quarantine_days = 30
    proxies = ["127.0.0.1"]            # --auth header: addresses allowed to set X-Remote-User

    [units.oppvekst]
    name = "Oppvekst"
    leaders = ["lise"]
    retention_days = 1825

    [users.kari]
    unit = "oppvekst"
    email = "kari@kommune.no"
    aliases = ["S-1-5-21-1-2-3-1104", "KOMMUNE\\\\kari"]

    [[roots]]
    path = "/srv/home"
    home = "/srv/home/{user}/"        # items below belong to {user}
    remediator = "ola"                 # who handles what no rule gives an owner
    retention_days = 1095
    deletion = true

    [smtp]
    host = "smtp.kommune.no"
    port = 587
    sender = "pvscan@kommune.no"
    starttls = true

    [oidc]
    issuer = "https://login.microsoftonline.com/<tenant>/v2.0"
    client_id = "…"
    client_secret = "…"
    username_claim = "preferred_username"
"""

from __future__ import annotations

import csv
import os
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any


@dataclass
class User:
    name: str
    unit: str = ""
    email: str = ""
    full_name: str = ""
    aliases: list[str] = field(default_factory=list)


@dataclass
class Unit:
    id: str
    name: str = ""
    leaders: list[str] = field(default_factory=list)
    retention_days: int | None = None


@dataclass
class Root:
    path: str
    home: str = ""
    remediator: str = ""
    retention_days: int | None = None
    deletion: bool | None = None
    unit: str = ""

    def home_regex(self) -> re.Pattern[str] | None:
        """``/srv/home/{user}/`` as a prefix pattern capturing the user."""
        if not self.home:
            return None
        head, _, tail = self.home.partition("{user}")
        return re.compile(
            re.escape(head) + r"(?P<user>[^/\\]+)" + re.escape(tail.rstrip("/\\")) + r"(?:[/\\]|$)", re.I
        )


@dataclass
class Smtp:
    host: str = ""
    port: int = 25
    sender: str = "pvscan@localhost"
    starttls: bool = False
    user: str = ""
    password: str = ""
    enabled: bool = True


@dataclass
class Oidc:
    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""
    username_claim: str = "preferred_username"
    scope: str = "openid profile email"


@dataclass
class Org:
    users: dict[str, User] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    roots: list[Root] = field(default_factory=list)
    dpo: list[str] = field(default_factory=list)
    caseworkers: list[str] = field(default_factory=list)
    proxies: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    base_url: str = ""
    deletion: bool = False
    quarantine_days: int = 30
    quarantine: str = ""
    audit_log: str = ""
    cases_dir: str = ""
    secret_key: str = ""
    retention_days: int | None = None
    #: Session and CSRF cookies marked ``Secure``; default: yes, except ``--auth local``.
    secure_cookies: bool | None = None
    #: Access-request cases may make copies with other persons' identifiers blacked out
    #: (they hold the requester's own numbers in clear, so this is off by default).
    case_copies: bool = False
    #: Host names the app answers to (besides loopback and ``base_url``'s host).
    allowed_hosts: list[str] = field(default_factory=list)
    smtp: Smtp = field(default_factory=Smtp)
    oidc: Oidc = field(default_factory=Oidc)

    def __post_init__(self) -> None:
        self._alias: dict[str, str] = {}
        self.index_aliases()

    def index_aliases(self) -> None:
        """SID, ``DOMAIN\\user`` and e-mail forms of a user name -> the user."""
        self._alias = {}
        for u in self.users.values():
            for a in [*u.aliases, u.email]:
                if a:
                    self._alias[a.lower()] = u.name

    def canonical(self, name: str) -> str:
        """The configured user a file owner name, SID or address stands for, else itself."""
        if not name:
            return ""
        low = name.lower()
        if low in self._alias:
            return self._alias[low]
        if "\\" in name:  # DOMAIN\user
            return self._alias.get(name.split("\\", 1)[1].lower(), name.split("\\", 1)[1])
        return name

    def unit_of(self, user: str) -> str:
        u = self.users.get(user)
        return u.unit if u else ""

    def led_units(self, user: str) -> list[str]:
        return sorted(u.id for u in self.units.values() if user in u.leaders)

    def root_for(self, path: str) -> Root | None:
        """The most specific configured root holding ``path``."""
        best = None
        for r in self.roots:
            p = r.path.rstrip("/\\")
            if (path == p or path.startswith(p + "/") or path.startswith(p + "\\")) and (
                best is None or len(p) > len(best.path)
            ):
                best = r
        return best

    def deletion_allowed(self, path: str) -> bool:
        root = self.root_for(path)
        if root is not None and root.deletion is not None:
            return root.deletion
        return self.deletion

    def retention_for(self, root_path: str, unit: str) -> int | None:
        root = self.root_for(root_path)
        if root is not None and root.retention_days:
            return root.retention_days
        u = self.units.get(unit)
        if u is not None and u.retention_days:
            return u.retention_days
        return self.retention_days


def _users_from_csv(path: str) -> dict[str, User]:
    out = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            name = (row.get("user") or "").strip()
            if name:
                out[name] = User(
                    name,
                    (row.get("unit") or "").strip(),
                    (row.get("email") or "").strip(),
                    (row.get("name") or "").strip(),
                    [a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()],
                )
    return out


def from_dict(data: dict[str, Any], base_dir: str = ".") -> Org:
    users = {
        name: User(name, v.get("unit", ""), v.get("email", ""), v.get("name", ""), list(v.get("aliases", [])))
        for name, v in data.get("users", {}).items()
    }
    if data.get("users_csv"):
        users.update(_users_from_csv(os.path.join(base_dir, data["users_csv"])))
    units = {
        uid: Unit(uid, v.get("name", uid), list(v.get("leaders", [])), v.get("retention_days"))
        for uid, v in data.get("units", {}).items()
    }
    roots = [
        Root(
            r["path"],
            r.get("home", ""),
            r.get("remediator", ""),
            r.get("retention_days"),
            r.get("deletion"),
            r.get("unit", ""),
        )
        for r in data.get("roots", [])
    ]
    simple = {
        k: data[k]
        for k in (
            "dpo",
            "caseworkers",
            "proxies",
            "base_url",
            "deletion",
            "quarantine_days",
            "quarantine",
            "audit_log",
            "cases_dir",
            "secret_key",
            "retention_days",
            "secure_cookies",
            "allowed_hosts",
            "case_copies",
        )
        if k in data
    }
    return Org(
        users=users,
        units=units,
        roots=roots,
        smtp=Smtp(**data.get("smtp", {})),
        oidc=Oidc(**data.get("oidc", {})),
        **simple,
    )


def load(path: str | None) -> Org:
    """The organisation from a TOML file (``None``: an empty one, for one person)."""
    if not path:
        return Org()
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    return from_dict(data, os.path.dirname(os.path.abspath(path)))
