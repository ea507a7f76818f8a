"""The aiohttp application: health, configuration, metrics, signaling and the built UI."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from aiohttp import WSCloseCode, web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from rtc_server import aiortc_speedups, jitter, metrics
from rtc_server.asr.model import resolve_model
from rtc_server.asr.stream import StreamOptions
from rtc_server.asr.whisper_engine import WhisperEngine
from rtc_server.ice import browser_ice_servers, restrict_host_addresses
from rtc_server.languages import display_name
from rtc_server.protocol import PROTOCOL_VERSION
from rtc_server.rooms import RoomRegistry
from rtc_server.session import Runtime
from rtc_server.settings import Settings
from rtc_server.signaling import websocket_handler
from rtc_server.state import APP_STATE, AppState
from rtc_server.transcripts import SqliteTranscriptStore
from rtc_server.translation.factory import build_translation_service

log = logging.getLogger(__name__)

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def load_engine(settings: Settings) -> WhisperEngine:
    choice = resolve_model(settings.whisper_model, settings.model_cache_dir)
    return WhisperEngine.load(
        choice,
        settings.whisper_device,
        settings.whisper_compute_type,
        settings.whisper_cpu_threads,
        settings.asr_workers,
    )


def stream_options(settings: Settings) -> StreamOptions:
    return StreamOptions(
        vad_threshold=settings.vad_threshold,
        endpoint_silence_s=settings.endpoint_silence_ms / 1000,
        partial_interval_s=settings.partial_interval_ms / 1000,
        commit_after_s=settings.commit_after_s,
        max_utterance_s=settings.max_utterance_s,
        final_beam_size=settings.final_beam_size,
    )


async def _runtime_context(app: web.Application) -> AsyncIterator[None]:
    """Load the model in a thread while the server already answers /health with 503."""
    state = app[APP_STATE]
    settings = state.settings

    transcripts = (
        SqliteTranscriptStore(settings.transcript_dir) if settings.transcript_dir else None
    )

    async def load() -> WhisperEngine:
        engine = await asyncio.to_thread(load_engine, settings)
        engine.start()
        translation = build_translation_service(settings, engine)
        state.runtime = Runtime(
            settings=settings,
            recognizer=engine,
            stream_options=stream_options(settings),
            translation=translation,
            rooms=RoomRegistry(
                translation,
                settings.max_room_size,
                settings.history_size,
                settings.audio_relay,
                transcripts,
            ),
        )
        log.info("ready: model %s, translation %s", engine.name, state.runtime.translation.backend)
        return engine

    loading = asyncio.ensure_future(load())
    loading.add_done_callback(lambda task: _record_load_failure(state, task))
    yield
    if state.runtime is not None:
        await state.runtime.rooms.close()
    if loading.done() and loading.exception() is None:
        await loading.result().stop()
    else:
        loading.cancel()
    if transcripts is not None:
        transcripts.close()


async def _close_connections(app: web.Application) -> None:
    """On shutdown, end every session (peers, tasks, last finals) and close its WebSocket:
    the server otherwise waits for clients to hang up."""
    state = app[APP_STATE]
    await asyncio.gather(*(session.close("shutdown") for session in list(state.sessions)))
    await asyncio.gather(
        *(
            ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")
            for ws in list(state.websockets)
        )
    )


def _record_load_failure(state: AppState, task: asyncio.Task[WhisperEngine]) -> None:
    if not task.cancelled() and task.exception() is not None:
        state.load_error = str(task.exception())
        log.error("the speech model failed to load: %s", state.load_error)


async def health(request: web.Request) -> web.Response:
    state = request.app[APP_STATE]
    ready = state.runtime is not None
    status = "ok" if ready else ("error" if state.load_error else "loading")
    body = {
        "status": status,
        "ready": ready,
        "model": state.settings.whisper_model,
        "sessions": len(state.sessions),
    }
    if state.load_error:
        body["error"] = state.load_error
    return web.json_response(body, status=200 if ready else 503)


async def config(request: web.Request) -> web.Response:
    state = request.app[APP_STATE]
    settings = state.settings
    runtime = state.runtime
    return web.json_response(
        {
            "protocol": PROTOCOL_VERSION,
            "languages": [{"code": c, "name": display_name(c)} for c in settings.languages],
            "translation": {
                "backend": runtime.translation.backend if runtime else "loading",
                "targets": runtime.translation.targets if runtime else [],
            },
            "audio_relay": settings.audio_relay,
            "max_room_size": settings.max_room_size,
        }
    )


async def ice_servers(request: web.Request) -> web.Response:
    settings = request.app[APP_STATE].settings
    # A fresh user per request: coturn counts allocation quotas per username.
    user = f"web-{secrets.token_hex(4)}"
    return web.json_response(
        {
            "ice_servers": browser_ice_servers(settings, user),
            "ice_transport_policy": "relay" if settings.ice_relay_only else "all",
        }
    )


async def room_stats(request: web.Request) -> web.Response:
    """Figures for one room that is open now (its name is needed: rooms are not listed)."""
    runtime = request.app[APP_STATE].runtime
    room = runtime.rooms.get(request.match_info["room"]) if runtime else None
    if room is None:
        raise web.HTTPNotFound(text='{"error": "no such room"}', content_type="application/json")
    return web.json_response(
        {
            "room": room.id,
            "participants": len(room.participants),
            "translation": room.translation_stats.summary(),
        }
    )


async def room_transcript(request: web.Request) -> web.Response:
    """A room's whole stored transcript (every final caption with its translations)."""
    runtime = request.app[APP_STATE].runtime
    store = runtime.rooms.transcripts if runtime else None
    if store is None:
        raise web.HTTPNotFound(
            text='{"error": "transcripts are not kept (set RTC_TRANSCRIPT_DIR)"}',
            content_type="application/json",
        )
    room = request.match_info["room"]
    return web.json_response({"room": room, "captions": store.transcript(room)})


async def metrics_endpoint(request: web.Request) -> web.Response:
    metrics.TASKS.set(len(asyncio.all_tasks()))
    response = web.Response(body=generate_latest())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return response


def find_frontend(settings: Settings) -> Path | None:
    if settings.frontend_dir is not None:
        return settings.frontend_dir if (settings.frontend_dir / "index.html").is_file() else None
    for candidate in sorted((PACKAGE_ROOT / "frontend" / "dist").glob("*/browser")):
        if (candidate / "index.html").is_file():
            return candidate
    return None


def _spa(root: Path) -> Callable[[web.Request], Awaitable[web.FileResponse]]:
    root = root.resolve()

    async def serve(request: web.Request) -> web.FileResponse:
        relative = request.match_info["path"]
        target = (root / relative).resolve()
        if relative and target.is_relative_to(root) and target.is_file():
            return web.FileResponse(target)
        # Any other path is a route inside the single-page app (an invite link, say).
        response = web.FileResponse(root / "index.html")
        response.headers["Cache-Control"] = "no-cache"
        return response

    return serve


def create_app(settings: Settings) -> web.Application:
    aiortc_speedups.install()
    jitter.install()
    restrict_host_addresses(settings.ice_host_addresses)
    app = web.Application(client_max_size=64 * 1024)
    app[APP_STATE] = AppState(settings=settings)
    app.cleanup_ctx.append(_runtime_context)
    app.on_shutdown.append(_close_connections)
    app.router.add_get("/health", health)
    app.router.add_get("/api/config", config)
    app.router.add_get("/api/ice-servers", ice_servers)
    app.router.add_get("/api/rooms/{room}/stats", room_stats)
    app.router.add_get("/api/rooms/{room}/transcript", room_transcript)
    app.router.add_get("/metrics", metrics_endpoint)
    app.router.add_get("/ws", websocket_handler)
    frontend = find_frontend(settings)
    if frontend is not None:
        app.router.add_get("/{path:.*}", _spa(frontend))
        log.info("serving the web app from %s", frontend)
    return app
