"""What every page shares: the inventory for this request, the viewer, paging,
the audit log, the template context, static files and the CSRF failure page."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from pvscan.inventory import Inventory, now_iso
from pvscan.util.i18n import type_name
from pvscan.web.policy import Viewer
from pvscan.web.state import current

STATIC = Path(__file__).resolve().parent.parent / "static" / "web"
PAGE_SIZE = 25


@contextmanager
def inventory() -> Iterator[Inventory]:
    """One connection per request (SQLite connections are not shared between threads)."""
    inv = Inventory(current().db)
    try:
        yield inv
    finally:
        inv.close()


def viewer(request: HttpRequest) -> Viewer:
    v = getattr(request, "viewer", None)
    if v is None:  # the middleware lets no such request through; belt and braces
        raise PermissionError("not signed in")
    return v


def log_view(inv: Inventory, request: HttpRequest, what: str, target: str = "") -> None:
    inv.audit(now_iso(), viewer(request).user, "view", what, target)


@dataclass
class Paging:
    page: int
    pages: int
    total: int
    offset: int
    limit: int

    @classmethod
    def requested(cls, request: HttpRequest, limit: int | None = None) -> Paging:
        """The page asked for, before the total is known (one query instead of two)."""
        limit = limit or PAGE_SIZE
        try:
            page = max(1, int(request.GET.get("page", "1")))
        except ValueError:
            page = 1
        return cls(page, page, 0, (page - 1) * limit, limit)

    @classmethod
    def of(cls, request: HttpRequest, total: int, limit: int | None = None) -> Paging:
        limit = limit or PAGE_SIZE
        try:
            page = max(1, int(request.GET.get("page", "1")))
        except ValueError:
            page = 1
        pages = max(1, (total + limit - 1) // limit)
        page = min(page, pages)
        return cls(page, pages, total, (page - 1) * limit, limit)

    def query(self, request: HttpRequest, page: int) -> str:
        q = request.GET.copy()
        q["page"] = str(page)
        return "?" + q.urlencode()

    def links(self, request: HttpRequest) -> dict[str, str]:
        return {
            "prev": self.query(request, self.page - 1) if self.page > 1 else "",
            "next": self.query(request, self.page + 1) if self.page < self.pages else "",
        }


def lang_of(request: HttpRequest) -> str:
    code = getattr(request, "LANGUAGE_CODE", "nb") or "nb"
    return code if code in ("nb", "nn", "en") else "nb"


def types_label(types: str, lang: str) -> str:
    return ", ".join(type_name(k, lang) for k in types.split(",") if k)


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context for every page: the viewer and the navigation they may use."""
    v = getattr(request, "viewer", None)
    nav = []
    if v is not None:
        nav.append(("/", _("My files")))
        nav.append(("/checklist", _("Checklist")))
        if v.leader:
            nav.append(("/leader", _("My unit")))
        if v.dpo:
            nav.append(("/dpo", _("Overview")))
        if v.caseworker:
            nav.append(("/cases", _("Access requests")))
        if v.dpo:
            nav.append(("/dpo/audit", _("Audit log")))
    return {"viewer": v, "nav": nav, "auth_mode": current().auth}


def page(request: HttpRequest, template: str, ctx: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, f"web/{template}", ctx, status=status)


def static(request: HttpRequest, name: str) -> HttpResponse:
    """The app's own assets (CSS, htmx); nothing comes from a CDN."""
    path = (STATIC / name).resolve()
    if STATIC not in path.parents or not path.is_file():
        raise Http404(name)
    response = FileResponse(
        open(path, "rb"), content_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return page(
        request,
        "error.html",
        {"title": _("The form expired"), "message": _("Reload the page and try again.")},
        403,
    )


def forbidden(request: HttpRequest) -> HttpResponse:
    return page(
        request,
        "error.html",
        {"title": _("Not available"), "message": _("This page is not available to you.")},
        404,
    )
