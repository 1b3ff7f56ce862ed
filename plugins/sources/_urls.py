"""Small URL helpers shared by the network sources (SMB, IMAP)."""

from __future__ import annotations


def split_host_port(netloc: str, default_port: int) -> tuple[str, int]:
    """``host``, ``host:port``, ``[ipv6]`` or ``[ipv6]:port`` → (host, port)."""
    if netloc.startswith("["):
        host, _, tail = netloc[1:].partition("]")
        return host, int(tail[1:]) if tail.startswith(":") and tail[1:] else default_port
    if ":" in netloc:
        host, _, p = netloc.partition(":")
        return host, int(p) if p else default_port
    return netloc, default_port
