"""The /ws endpoint: validated JSON messages in, one Session per connection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiohttp import WSMsgType, web

from rtc_server.access.limits import CONNECTIONS, TokenBucket
from rtc_server.access.origins import origin_allowed
from rtc_server.access.proxy_headers import client_address, parse_networks
from rtc_server.access.tokens import ACCESS, Access, AccessDenied
from rtc_server.api.responses import json_error
from rtc_server.cluster.forwarding import FORWARDED_BY
from rtc_server.observability import logs, metrics
from rtc_server.rooms.errors import (
    ClusterUnavailable,
    NotAccepting,
    NothingToResume,
    RoomError,
    RoomFull,
    RoomMoving,
)
from rtc_server.runtime import Runtime
from rtc_server.signaling.messages import Join, ProtocolError, parse_client_message
from rtc_server.signaling.server_messages import ErrorMessage, encode
from rtc_server.signaling.session import Session
from rtc_server.state import APP_STATE
from rtc_server.tasks import start_task

log = logging.getLogger(__name__)

# aiohttp closes the socket above this; our own, smaller limit answers with an error instead.
TRANSPORT_LIMIT_BYTES = 1024 * 1024
OUTBOX_LIMIT = 1000  # messages queued for a client that does not read
ROOM_ERROR_CODES: dict[type[RoomError], str] = {
    RoomFull: "room_full",
    NotAccepting: "shutting_down",
    NothingToResume: "resume_failed",
    ClusterUnavailable: "cluster_unavailable",
    RoomMoving: "room_moving",
}
# What the endpoint itself refuses.
FLOODING = ErrorMessage(code="rate_limited", message="too many messages; connection closed")
SLOW_DOWN = ErrorMessage(code="rate_limited", message="too many messages; slow down")
BINARY = ErrorMessage(code="bad_json", message="binary frames are not supported; send JSON text")
HOST_UNREACHABLE = "the room's server cannot be reached; try again in a moment"
INTERNAL = ErrorMessage(code="internal", message="unexpected server fault; the session is closed")


async def websocket_handler(request: web.Request) -> web.StreamResponse:
    """Refuse foreign pages (403) and crowded addresses (429) before the upgrade."""
    settings = request.app[APP_STATE].settings
    open_mode = request.app[ACCESS].mode == "open"
    if not origin_allowed(
        request.headers.get("Origin"), request.host, settings.allowed_origins, open_mode
    ):
        return json_error(403, "origin_not_allowed", "this page's origin may not use this server")
    address = client_address(request, parse_networks(settings.trusted_proxies))
    connections = request.app[CONNECTIONS]
    if not connections.acquire(address):
        log.warning("connection limit reached for one address")
        return json_error(429, "too_many_connections", "too many connections from your address")
    try:
        return await _serve(request)
    finally:
        connections.release(address)


async def _serve(request: web.Request) -> web.WebSocketResponse:
    state = request.app[APP_STATE]
    settings = state.settings
    access = request.app[ACCESS]
    bucket = TokenBucket(settings.max_messages_per_s, settings.message_burst)
    refused = 0  # messages dropped for rate; too many and the connection is closed
    # No permessage-deflate: signaling messages are small, and each compressed connection
    # (zlib's state: about 300 KB) left some 30 KB per join that RSS never gave back
    # (bench.soak: 90-145 MB over 3,750 joins with it, at most 7 MB without).
    ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=TRANSPORT_LIMIT_BYTES, compress=False)
    await ws.prepare(request)
    limit = state.settings.max_sessions
    if len(state.sessions) >= limit:
        refusal = f"the server is full ({limit} connections); try again later"
        await ws.send_str(encode(ErrorMessage(code="server_full", message=refusal)))
        await ws.close()
        return ws
    outbox: asyncio.Queue[str] = asyncio.Queue(OUTBOX_LIMIT)

    def send(message: str) -> None:
        try:
            outbox.put_nowait(message)
        except asyncio.QueueFull:
            log.warning("client does not read its messages; closing")
            writer.cancel()

    def runtime() -> Runtime | None:
        return state.runtime

    ended = asyncio.Event()

    def on_closed(session: Session) -> None:
        state.sessions.discard(session)
        ended.set()

    async def hang_up_when_ended() -> None:
        """A session the server ends (failed media, shutdown) ends its WebSocket too,
        once the last messages (the error saying why) are out."""
        await ended.wait()
        await _drain(outbox, writer)
        await ws.close()

    session = Session(runtime, send, on_closed)
    logs.bind(session=session.participant_id)  # this handler's task and all it starts
    state.sessions.add(session)
    state.websockets.add(ws)
    metrics.SESSIONS.inc()
    writer = start_task(_write(ws, outbox))
    hang_up = start_task(hang_up_when_ended())
    try:
        async for message in ws:
            if not bucket.take():
                refused += 1
                if refused > settings.message_burst:
                    log.warning("%s keeps flooding; closing", session.participant_id)
                    send(encode(FLOODING))
                    break
                if refused == 1:  # one answer per run of refusals, not one per message
                    send(encode(SLOW_DOWN))
                continue
            refused = max(0, refused - 1)
            if message.type is WSMsgType.TEXT:
                host = await _dispatch(request, session, access, message.data, send)
                if host is not None:
                    await _forward(request, ws, send, host, message.data)
                    break
            elif message.type is WSMsgType.BINARY:
                send(encode(BINARY))
            if session.closed or writer.done():
                break
    finally:
        await session.close("disconnected")
        metrics.SESSIONS.dec()
        await hang_up
        state.websockets.discard(ws)
    return ws


async def _dispatch(
    request: web.Request, session: Session, access: Access, raw: str, send: Callable[[str], None]
) -> str | None:
    """Handle one client message here, or return the URL of the instance hosting the room
    it joins."""
    try:
        message = parse_client_message(raw)
        if isinstance(message, Join):
            access.admit(message.token, message.room)
            host = await _placement(request, session, message)
            if host is not None:
                return host
        await session.handle(message)
    except (ProtocolError, AccessDenied) as error:
        metrics.SIGNALING_ERRORS.labels(error.code).inc()
        send(encode(ErrorMessage(code=error.code, message=error.message)))
    except RoomError as error:
        code = ROOM_ERROR_CODES[type(error)]
        metrics.SIGNALING_ERRORS.labels(code).inc()
        send(encode(ErrorMessage(code=code, message=str(error))))
    except Exception:
        log.exception("session %s failed", session.participant_id)
        metrics.SIGNALING_ERRORS.labels("internal").inc()
        send(encode(INTERNAL))
        await session.close("failed")
    return None


async def _placement(request: web.Request, session: Session, join: Join) -> str | None:
    """In a cluster, where a participant's join goes (None: here). Captions-only viewers
    are served wherever they connect: their captions come through Redis."""
    state = request.app[APP_STATE]
    if state.cluster is None or state.runtime is None or join.captions_only or session.joined:
        return None  # the session answers it (a runtime still loading: not_ready)
    return await state.cluster.node.place(join.room, FORWARDED_BY in request.headers)


async def _forward(
    request: web.Request,
    ws: web.WebSocketResponse,
    send: Callable[[str], None],
    host: str,
    join: str,
) -> None:
    cluster = request.app[APP_STATE].cluster
    assert cluster is not None
    if not await cluster.forwarder.relay(request, ws, send, host, join):
        metrics.SIGNALING_ERRORS.labels("room_moving").inc()
        send(encode(ErrorMessage(code="room_moving", message=HOST_UNREACHABLE)))


async def _write(ws: web.WebSocketResponse, outbox: asyncio.Queue[str]) -> None:
    while True:
        message = await outbox.get()
        try:
            await ws.send_str(message)
        except ConnectionError:  # the client went away mid-send: not a fault; the session ends
            return
        outbox.task_done()


async def _drain(outbox: asyncio.Queue[str], writer: asyncio.Task[None]) -> None:
    """Let the last messages (`left`, a final error) reach the client before closing."""
    if not writer.done():
        with contextlib.suppress(TimeoutError, ConnectionError):
            await asyncio.wait_for(outbox.join(), 2.0)
    writer.cancel()
    await asyncio.gather(writer, return_exceptions=True)
