"""Signing in and out: the one-time link of ``--auth local``, the OIDC round trip, and
sign-out. ``--auth header`` has no sign-in here: the reverse proxy does it."""

from __future__ import annotations

import secrets

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pvscan.web import oidc
from pvscan.web.state import current
from pvscan.web.views.common import page


@require_GET
def local_login(request: HttpRequest) -> HttpResponse:
    """``/login?token=…``: the link ``pvscan serve --auth local`` prints. It works once."""
    state = current()
    token = request.GET.get("token", "")
    if state.auth != "local" or not state.login_token or not token:
        return page(
            request,
            "error.html",
            {"title": _("Sign in"), "message": _("Open the link pvscan printed when it started.")},
            403,
        )
    if not secrets.compare_digest(token, state.login_token):
        return page(
            request,
            "error.html",
            {"title": _("Sign in"), "message": _("This link is not valid (any more).")},
            403,
        )
    state.login_token = ""
    request.session.cycle_key()
    request.session["user"] = state.local_user
    return HttpResponseRedirect("/")


def _redirect_uri(request: HttpRequest) -> str:
    base = current().org.base_url.rstrip("/")
    return (base or request.build_absolute_uri("/").rstrip("/")) + "/oidc/callback"


@require_GET
def oidc_login(request: HttpRequest) -> HttpResponse:
    state = current()
    if state.auth != "oidc":
        return HttpResponse(status=404)
    url, pending = oidc.begin(state.org.oidc, _redirect_uri(request))
    request.session["oidc"] = pending
    return HttpResponseRedirect(url)


@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    state = current()
    pending = request.session.pop("oidc", None)
    if state.auth != "oidc" or not pending or request.GET.get("state") != pending.get("state"):
        return page(
            request, "error.html", {"title": _("Sign in"), "message": _("Sign-in failed. Try again.")}, 403
        )
    try:
        user = oidc.finish(state.org.oidc, _redirect_uri(request), request.build_absolute_uri(), pending)
    except Exception:  # noqa: BLE001 - any failure of the provider round trip is a failed sign-in
        return page(
            request, "error.html", {"title": _("Sign in"), "message": _("Sign-in failed. Try again.")}, 403
        )
    request.session.cycle_key()
    request.session["user"] = user
    return HttpResponseRedirect("/")


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return page(request, "error.html", {"title": _("Signed out"), "message": _("You are signed out.")})
