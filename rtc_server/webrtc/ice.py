"""ICE configuration: STUN/TURN servers for browsers and for the server's own peers.

TURN uses coturn's REST API scheme: the username is `<expiry unix time>:<user>` and the
password is base64(HMAC-SHA1(shared secret, username)), so credentials expire by themselves and
the server never stores per-user passwords.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time

from aiortc import RTCConfiguration, RTCIceServer
from aiortc.rtcconfiguration import RTCIceTransportPolicy

from rtc_server.observability import metrics
from rtc_server.settings import Settings
from rtc_server.signaling.messages import IceFailureCause
from rtc_server.signaling.server_messages import IceServer, IceTransportPolicy

log = logging.getLogger(__name__)


def turn_credentials(
    secret: str, user: str, ttl_s: int, now: float | None = None
) -> tuple[str, str]:
    expiry = int((time.time() if now is None else now) + ttl_s)
    username = f"{expiry}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def browser_ice_servers(settings: Settings, user: str) -> list[IceServer]:
    """The `iceServers` a browser should use (RTCConfiguration's)."""
    servers: list[IceServer] = []
    if settings.stun_urls:
        servers.append(IceServer(urls=settings.stun_urls))
    if settings.turn_urls and settings.turn_secret is not None:
        username, password = turn_credentials(
            settings.turn_secret.get_secret_value(), user, settings.turn_ttl_s
        )
        servers.append(IceServer(urls=settings.turn_urls, username=username, credential=password))
    return servers


def browser_ice_policy(settings: Settings) -> IceTransportPolicy:
    """The ICE transport policy browsers are told. Separate from the server's own: a server
    that only offers relay candidates is still reached directly from a browser's own address
    (one TURN allocation per participant, not two)."""
    return "relay" if settings.browser_ice_relay_only else "all"


def server_rtc_configuration(settings: Settings, user: str) -> RTCConfiguration:
    """Explicit servers for aiortc peers: with none, aiortc would fall back to public STUN."""
    servers = [RTCIceServer(urls=url) for url in settings.stun_urls]
    turn_urls = settings.effective_server_turn_urls
    if turn_urls and settings.turn_secret is not None:
        username, password = turn_credentials(
            settings.turn_secret.get_secret_value(), user, settings.turn_ttl_s
        )
        servers.append(RTCIceServer(urls=turn_urls, username=username, credential=password))
    policy = RTCIceTransportPolicy.RELAY if settings.ice_relay_only else RTCIceTransportPolicy.ALL
    return RTCConfiguration(iceServers=servers, iceTransportPolicy=policy)


BROWSER_ICE_FAILURES: dict[IceFailureCause, str] = {
    "turn_refused": "the TURN server refused its credentials",
    "turn_unreachable": "the TURN server did not answer",
    "no_candidates": "it found no network address to use",
}


def browser_ice_failure(cause: IceFailureCause, detail: str) -> str:
    """The browser found no way at all to send media (its own TURN allocation failed, or it
    has no network): log it for the operator, and say why for the person."""
    metrics.BROWSER_ICE_FAILURES.labels(cause).inc()
    advice = (
        "; check RTC_TURN_URLS and RTC_TURN_SECRET against the TURN server"
        if cause.startswith("turn_")
        else ""
    )
    log.warning(
        "the browser gathered no ICE candidates: %s (%s)%s",
        BROWSER_ICE_FAILURES[cause],
        detail or "no detail",
        advice,
    )
    return f"your browser cannot connect to the media server: {BROWSER_ICE_FAILURES[cause]}"
