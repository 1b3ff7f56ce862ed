"""A real OpenID Connect provider for the sign-in tests: oidc-provider-mock, started by
the test in a thread on a free loopback port. Any client id is accepted; the sign-in
form asks for the subject, which the web app is configured to take as the user name."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from servers.common import unavailable


@dataclass
class OidcProvider:
    issuer: str


@pytest.fixture()
def oidc_provider() -> Iterator[OidcProvider]:
    try:
        import oidc_provider_mock
    except ImportError:
        unavailable("oidc-provider-mock is not installed (pip install '.[test]')")
    with oidc_provider_mock.run_server_in_thread(require_nonce=True) as server:
        yield OidcProvider(f"http://localhost:{server.server_port}")
