"""Two middlewares: who is asking (``request.viewer``), and the security headers.

Authentication per mode:

* ``header``: ``X-Remote-User`` set by a reverse proxy that did Kerberos/SAML/…, believed
  only when the connection comes from one of the configured proxy addresses
  (``proxies``, default 127.0.0.1); from anywhere else the header is ignored.
* ``local`` and ``oidc``: the user name stored in the signed session cookie at login.

A request without a user gets nothing but the login route: a redirect to the login for
``local``/``oidc`` page requests, 403 otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseRedirect

from pvscan.web.policy import viewer_for
from pvscan.web.state import current

#: Paths served without a signed-in user.
PUBLIC = ("/login", "/oidc/", "/static/", "/lang")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def remote_user(request: HttpRequest) -> str:
    state = current()
    if request.META.get("REMOTE_ADDR", "") not in state.org.proxies:
        return ""
    return request.META.get("HTTP_X_REMOTE_USER", "").strip()


def authenticate(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        state = current()
        if state.auth == "header":
            user = remote_user(request)
        else:
            user = request.session.get("user", "")
        request.viewer = viewer_for(user, state) if user else None  # type: ignore[attr-defined]
        if request.viewer is None and not request.path.startswith(PUBLIC):  # type: ignore[attr-defined]
            if state.auth == "oidc" and request.method == "GET":
                return HttpResponseRedirect("/oidc/login")
            if state.auth == "local" and request.method == "GET":
                return HttpResponseRedirect("/login")
            return HttpResponseForbidden("403", content_type="text/plain")
        return get_response(request)

    return middleware


def security_headers(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response["Content-Security-Policy"] = CSP
        response["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        response.setdefault("Cache-Control", "no-store")
        return response

    return middleware


def bokmal_by_default(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Bokmål unless the person chose another language (the language cookie): many
    municipal PCs run an English browser, which says nothing about the reader."""

    def middleware(request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return get_response(request)

    return middleware
