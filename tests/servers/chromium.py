"""Debian's Chromium for the browser tests, driven by pytest-playwright.

``playwright install`` cannot download its own browser build here, so the launch is
pointed at ``/usr/bin/chromium`` (installed by ``.ci/run``) with flags that keep it from
reaching the network by itself. Missing Chromium: skipped locally, a failure under CI.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from servers.common import unavailable

CHROMIUM = os.environ.get("PVSCAN_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch arguments, pointed at Debian's Chromium."""
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ARGS, "headless": True}
