"""Serving the app: a threaded WSGI server from the standard library.

Enough for one person on their machine (``--auth local``) and for an organisation's
few hundred users behind a reverse proxy that terminates TLS (the proxy does the heavy
lifting: TLS, buffering, Kerberos/SAML for ``--auth header``). The WSGI callable
(:func:`wsgi_app`) can be run by gunicorn or waitress instead.
"""

from __future__ import annotations

import socketserver
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from pvscan.web import settings
from pvscan.web.state import WebState, install


class _Threaded(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    """Access lines without the query string (it may hold a one-time login token)."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        path = self.path.split("?", 1)[0]
        self.log_message('"%s %s" %s %s', self.command, path, str(code), str(size))


def wsgi_app(state: WebState, secure_cookies: bool = True, allowed_hosts: list[str] | None = None) -> Any:
    settings.setup(state.org.secret_key, secure_cookies, allowed_hosts)
    install(state)
    # Deferred: Django's WSGI handler can only be imported once settings exist.
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def make(
    state: WebState, host: str, port: int, secure_cookies: bool, allowed_hosts: list[str] | None = None
) -> WSGIServer:
    app = wsgi_app(state, secure_cookies, allowed_hosts)
    return make_server(host, port, app, server_class=_Threaded, handler_class=_QuietHandler)
