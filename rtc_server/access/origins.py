"""Which web pages may open the signaling WebSocket (the Origin header of the upgrade)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
LOOPBACK_HOSTS = frozenset(("localhost", "127.0.0.1", "::1"))


def _split(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin, or None when it is not an http(s) origin."""
    try:
        parts = urlsplit(origin.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def origin_allowed(origin: str | None, host: str, allowed: Sequence[str], open_mode: bool) -> bool:
    """`allowed` lists origins (`*` for any); empty means the server's own origin, that is
    an Origin whose host and port are the Host header's, plus loopback pages in open mode.
    Non-browser clients send no Origin and are not asked (they could send anything)."""
    if origin is None:
        return True
    if allowed:
        wanted = {_split(entry) for entry in allowed}
        return "*" in allowed or (_split(origin) in wanted - {None})
    split = _split(origin)
    if split is None:
        return False
    scheme, hostname, port = split
    if open_mode and hostname in LOOPBACK_HOSTS:
        return True
    own = urlsplit(f"//{host.lower()}")
    try:
        own_port = own.port or DEFAULT_PORTS[scheme]
    except ValueError:
        return False
    return own.hostname == hostname and own_port == port
