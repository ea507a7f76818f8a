"""Graceful shutdown: refuse newcomers, tell everyone, let the last words finish, hang up."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import WSCloseCode, web

from rtc_server.signaling.server_messages import Notice, encode
from rtc_server.signaling.session import Session
from rtc_server.state import APP_STATE, AppState
from rtc_server.tasks import start_task

log = logging.getLogger(__name__)

NOTICE = "The server is restarting; what was said so far is kept. Reconnect in a moment."


async def drain(app: web.Application) -> None:
    """Runs once, however often it is called (on SIGTERM, then as aiohttp's on_shutdown),
    while the server still answers: new joins get `shutting_down`, /health says 503."""
    state = app[APP_STATE]
    if state.draining is None:
        state.draining = start_task(_drain(state))
    await asyncio.shield(state.draining)


async def _drain(state: AppState) -> None:
    if state.runtime is not None:
        state.runtime.rooms.accepting = False
    if state.cluster is not None:
        await state.cluster.node.drain()  # new joins for its rooms go to other instances
    sessions = list(state.sessions)
    notice = encode(Notice(code="server_shutdown", message=NOTICE, language=None))
    for session in sessions:
        session.send(notice)
    timeout = state.settings.shutdown_timeout_s
    try:
        await asyncio.wait_for(_finish(state, sessions), timeout)
    except TimeoutError:
        log.warning("shutdown: sessions still open after %.1f s; closing them anyway", timeout)


async def _finish(state: AppState, sessions: list[Session]) -> None:
    # Everyone stays in their room until every speaker's last final (and its translations)
    # has reached them and the store; only then do sessions leave and hang up.
    await asyncio.gather(*(session.end_speech() for session in sessions))
    if state.runtime is not None:
        # Finals are sent once written, and only then translated; so are translations.
        rooms = state.runtime.rooms.rooms()
        await asyncio.gather(*(room.captions.finish() for room in rooms))
        await state.runtime.rooms.transcripts.flush()
    await asyncio.gather(*(session.close("shutdown") for session in list(state.sessions)))
    await asyncio.gather(
        *(
            ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")
            for ws in list(state.websockets)
        )
    )
