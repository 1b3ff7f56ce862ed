"""Fixtures for the whole suite: the real servers (each in ``tests/servers/``)."""

pytest_plugins = [
    "servers.identifiers",
    "servers.samba",
    "servers.dovecot",
    "servers.smtp",
    "servers.oidc",
    "servers.chromium",
]
