"""When a peer last sent anything at all: media, data, or ICE connectivity checks.

aiortc has no `disconnected` state: a peer that vanishes stays `connected` until ICE consent
expires (six missed checks, 25-36 s), and the remote audio track never ends. Every live ICE
agent sends a consent check at least every ~5 s (RFC 7675), so silence on the connection
itself, not on the media (a listener may send none), is what tells a vanished peer. aiortc
does not expose inbound traffic, so this wraps the two receive callbacks of its aioice
connection; this module is the only place that reaches into those internals.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aiortc import RTCPeerConnection


class InboundActivity:
    def __init__(self, pc: RTCPeerConnection, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.last = clock()
        for connection in {id(c): c for c in _ice_connections(pc)}.values():
            self._watch(connection, "data_received")
            self._watch(connection, "request_received")

    def idle_s(self) -> float:
        return self._clock() - self.last

    def _watch(self, connection: Any, method: str) -> None:
        receive = getattr(connection, method)

        def received(*args: Any) -> None:
            self.last = self._clock()
            receive(*args)

        setattr(connection, method, received)


def _ice_connections(pc: RTCPeerConnection) -> list[Any]:
    dtls = [t.receiver.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        dtls.append(pc.sctp.transport)
    return [d.transport._connection for d in dtls if d is not None]
