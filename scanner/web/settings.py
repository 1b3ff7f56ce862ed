"""Django's settings, built in code from pvscan's configuration.

Why each choice:

* **No Django database.** Sessions are signed cookies (``signed_cookies`` backend, with
  the secret key from the config file or a random one per process); users, roles and
  everything else come from the configuration and the inventory. So ``pvscan serve``
  needs no migrations of its own and runs on whatever inventory ``--db`` names.
* **Cookies**: ``Secure`` unless the app listens on loopback only (``--auth local``),
  ``HttpOnly``, ``SameSite=Lax`` (the OIDC callback is a top-level GET), 8 hours.
* **CSRF**: Django's middleware on every unsafe method; htmx sends the token as a
  header set from a ``data-`` attribute, no inline script.
* **Headers**: ``SecurityMiddleware`` (nosniff, referrer policy, COOP, HSTS behind TLS),
  ``X-Frame-Options: DENY`` and our CSP with ``frame-ancestors 'none'``
  (:mod:`pvscan.web.middleware`).
* **Escaping**: Django templates autoescape; no ``|safe`` anywhere.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

LANGUAGES = [("nb", "Norsk bokmål"), ("nn", "Norsk nynorsk"), ("en", "English")]


def build(
    secret_key: str = "", secure_cookies: bool = True, allowed_hosts: list[str] | None = None
) -> dict[str, Any]:
    return {
        "DEBUG": False,
        "SECRET_KEY": secret_key or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": allowed_hosts or ["127.0.0.1", "localhost", "[::1]", "testserver"],
        "ROOT_URLCONF": "pvscan.web.urls",
        "INSTALLED_APPS": ["pvscan.web"],
        "DATABASES": {},
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "pvscan.web.middleware.security_headers",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "pvscan.web.middleware.bokmal_by_default",
            "django.middleware.locale.LocaleMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "pvscan.web.middleware.authenticate",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        "SESSION_ENGINE": "django.contrib.sessions.backends.signed_cookies",
        "SESSION_COOKIE_NAME": "pvscan_session",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_AGE": 8 * 3600,
        "CSRF_COOKIE_NAME": "pvscan_csrf",
        "CSRF_COOKIE_SECURE": secure_cookies,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Strict",
        "CSRF_FAILURE_VIEW": "pvscan.web.views.common.csrf_failure",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "SECURE_HSTS_SECONDS": 31536000 if secure_cookies else 0,
        "X_FRAME_OPTIONS": "DENY",
        "USE_I18N": True,
        "USE_TZ": True,
        "TIME_ZONE": "Europe/Oslo",
        "LANGUAGE_CODE": "nb",
        "LANGUAGES": LANGUAGES,
        "LANGUAGE_COOKIE_NAME": "pvscan_lang",
        "LANGUAGE_COOKIE_SECURE": secure_cookies,
        "LANGUAGE_COOKIE_HTTPONLY": True,
        "LANGUAGE_COOKIE_SAMESITE": "Lax",
        "LOCALE_PATHS": [str(HERE / "locale")],
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.template.context_processors.csrf",
                        "django.template.context_processors.i18n",
                        "pvscan.web.views.common.context",
                    ]
                },
            }
        ],
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"console": {"class": "logging.StreamHandler"}},
            "loggers": {"django": {"handlers": ["console"], "level": "WARNING"}},
        },
    }


def setup(secret_key: str = "", secure_cookies: bool = True, allowed_hosts: list[str] | None = None) -> None:
    """Configure Django once per process (later calls keep the first settings)."""
    # Deferred: Django loads only for `pvscan serve` (and the web tests), not for every CLI command.
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(**build(secret_key, secure_cookies, allowed_hosts))
        django.setup()
