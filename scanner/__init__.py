"""pvscan: find unstructured personal data in file shares, home folders and mailboxes."""

from importlib.metadata import PackageNotFoundError, version

import pluggy

hookimpl = pluggy.HookimplMarker("pvscan")

try:
    __version__ = version("pvscan")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["hookimpl", "__version__"]
