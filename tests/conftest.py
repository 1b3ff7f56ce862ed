"""Fixtures for the whole suite: the real servers and the fake Microsoft Graph (each in
``tests/servers/``)."""

pytest_plugins = [
    "servers.identifiers",
    "servers.samba",
    "servers.dovecot",
    "servers.postgres",
    "servers.rabbitmq",
    "servers.smtp",
    "servers.oidc",
    "servers.fakegraph",
    "servers.chromium",
]
