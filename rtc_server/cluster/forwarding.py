"""A join for a room hosted on another instance: the client's WebSocket, passed through.

The client keeps the one URL it knows; this instance opens the host's /ws with the client's
Origin, Host and address (X-Forwarded-For, believed by a host that trusts this instance's
network) and relays every message both ways until either side closes. The host answers the
offer with its own ICE candidates, so media goes straight to it (or through TURN).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import aiohttp
from aiohttp import WSMsgType, web

from rtc_server.observability import metrics
from rtc_server.tasks import start_task

log = logging.getLogger(__name__)

FORWARDED_BY = "X-Rtc-Forwarded-By"  # on a forwarded join: the host must not pass it on
CONNECT_TIMEOUT_S = 3.0


class Forwarder:
    def __init__(self, instance_id: str) -> None:
        self._instance_id = instance_id
        self._http: aiohttp.ClientSession | None = None

    async def relay(
        self,
        request: web.Request,
        client: web.WebSocketResponse,
        send: Callable[[str], None],
        host_url: str,
        join: str,
    ) -> bool:
        """Pass the client's `join` and everything after it to the host at `host_url`, and
        the host's messages back through `send`; False when the host cannot be reached."""
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        try:
            host = await self._http.ws_connect(
                host_url.rstrip("/") + "/ws",
                headers=self._headers(request),
                heartbeat=20.0,
                compress=0,
                max_msg_size=0,
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=2.0),
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            log.warning("the room's host %s cannot be reached: %s", host_url, error)
            return False
        metrics.JOINS_FORWARDED.inc()
        async with host:
            await host.send_str(join)
            directions = {
                start_task(_client_to_host(client, host)),
                start_task(_host_to_client(host, send)),
            }
            await asyncio.wait(directions, return_when=asyncio.FIRST_COMPLETED)
            for direction in directions:
                direction.cancel()
            await asyncio.gather(*directions, return_exceptions=True)
        return True

    def _headers(self, request: web.Request) -> dict[str, str]:
        chain = request.headers.get("X-Forwarded-For", "")
        peer = request.remote or ""
        headers = {
            FORWARDED_BY: self._instance_id,
            "Host": request.host,
            "X-Forwarded-For": f"{chain}, {peer}" if chain else peer,
        }
        for name in ("Origin", "X-Forwarded-Proto", "X-Real-IP"):
            if name in request.headers:
                headers[name] = request.headers[name]
        return headers

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()


async def _client_to_host(
    client: web.WebSocketResponse, host: aiohttp.ClientWebSocketResponse
) -> None:
    async for message in client:
        if message.type is WSMsgType.TEXT:
            await host.send_str(message.data)


async def _host_to_client(
    host: aiohttp.ClientWebSocketResponse, send: Callable[[str], None]
) -> None:
    async for message in host:
        if message.type is WSMsgType.TEXT:
            send(message.data)
