"""The client's address and the public origin, believing proxy headers only from trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Sequence[str]) -> list[Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def _trusted(address: str | None, proxies: Sequence[Network]) -> bool:
    if not address or not proxies:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(request: web.Request, proxies: Sequence[Network]) -> str:
    """The peer's address; behind trusted proxies, the first untrusted hop of
    X-Forwarded-For read from the right (entries further left are the client's to forge)."""
    peer = request.remote or "unknown"
    if not _trusted(peer, proxies):
        return peer
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _trusted(hop, proxies):
            return hop
    return request.headers.get("X-Real-IP", "").strip() or peer


def public_origin(request: web.Request, proxies: Sequence[Network]) -> str:
    """scheme://host[:port] as the browser sees this server."""
    scheme = request.scheme
    if _trusted(request.remote, proxies):
        scheme = request.headers.get("X-Forwarded-Proto", scheme).split(",")[0].strip() or scheme
    return f"{scheme}://{request.host}"
