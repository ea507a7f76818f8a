"""The aiohttp application: health, configuration, metrics, signaling and the built UI."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rtc_server import jitter, metrics, opus_tap
from rtc_server.asr.model import resolve_model
from rtc_server.asr.stream import StreamOptions
from rtc_server.asr.whisper_engine import WhisperEngine
from rtc_server.auth import ACCESS, Access, AccessDenied, require_room_access
from rtc_server.forwarded import parse_networks, public_origin
from rtc_server.ice import (
    browser_ice_policy,
    browser_ice_servers,
    restrict_host_addresses,
    server_rtc_configuration,
)
from rtc_server.languages import display_name
from rtc_server.limits import CONNECTIONS, ConnectionCounter
from rtc_server.loop_lag import watch_event_loop
from rtc_server.memory import release_freed_memory
from rtc_server.protocol import PROTOCOL_VERSION, RoomName
from rtc_server.rooms import RoomRegistry
from rtc_server.runtime import Runtime
from rtc_server.settings import MAX_TOKEN_TTL_S, Settings
from rtc_server.shutdown import drain
from rtc_server.signaling import json_error, websocket_handler
from rtc_server.state import APP_STATE, AppState
from rtc_server.tasks import BackgroundTasks, start_task
from rtc_server.transcript_export import FORMATS, file_name
from rtc_server.transcripts import SqliteTranscriptStore, purge_periodically
from rtc_server.translation.factory import build_translation_service
from rtc_server.turn_check import check_turn

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
    """Open the transcript store and load the model in threads while the server already
    answers /health with 503. The store closes last, once every last caption is written."""
    state = app[APP_STATE]
    settings = state.settings
    transcripts: SqliteTranscriptStore | None = None
    housekeeping = BackgroundTasks()

    async def load() -> WhisperEngine:
        nonlocal transcripts
        transcripts = await SqliteTranscriptStore.open(settings.data_dir)
        if settings.retention_days:
            housekeeping.spawn(purge_periodically(transcripts, settings.retention_days))
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
                settings.forward_speakers if settings.audio_relay else 0,
                transcripts,
            ),
        )
        log.info("ready: model %s, translation %s", engine.name, state.runtime.translation.backend)
        return engine

    loading = start_task(load())
    loading.add_done_callback(lambda task: _record_load_failure(state, task))
    # A wrong secret or an unreachable relay is logged at start, not first met by a participant.
    housekeeping.spawn(check_turn(server_rtc_configuration(settings, "startup-check")))
    housekeeping.spawn(release_freed_memory())
    housekeeping.spawn(watch_event_loop())
    yield
    await housekeeping.cancel_all()
    if state.runtime is not None:
        await state.runtime.rooms.close()
    if loading.done() and loading.exception() is None:
        await loading.result().stop()
    else:
        loading.cancel()
        await asyncio.gather(loading, return_exceptions=True)
    if transcripts is not None:
        await transcripts.close()


def _record_load_failure(state: AppState, task: asyncio.Task[WhisperEngine]) -> None:
    if not task.cancelled() and task.exception() is not None:
        state.load_error = str(task.exception())
        log.error("the speech model failed to load: %s", state.load_error)


async def health(request: web.Request) -> web.Response:
    state = request.app[APP_STATE]
    ready = state.runtime is not None and state.draining is None
    status = "ok" if ready else ("error" if state.load_error else "loading")
    if state.draining is not None:
        status = "shutting_down"
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
                "unavailable_reason": _unavailable_reason(settings, runtime),
            },
            "audio_relay": settings.audio_relay,
            "max_room_size": settings.max_room_size,
            "auth": request.app[ACCESS].mode,
        }
    )


def _unavailable_reason(settings: Settings, runtime: Runtime | None) -> str:
    """Why some offered languages cannot be caption languages, and what to set; "" if none."""
    if runtime is None:
        return "The server is still starting; reload the page in a moment to see every language."
    targets = runtime.translation.targets
    missing = [code for code in settings.languages if "*" not in targets and code not in targets]
    return runtime.translation.unavailable_reason(missing[0]) if missing else ""


async def ice_servers(request: web.Request) -> web.Response:
    """Fresh TURN credentials; in token mode only for holders of a room's token."""
    room = require_room_access(request)
    settings = request.app[APP_STATE].settings
    # A fresh user per request: coturn counts allocation quotas per username.
    user = f"web-{secrets.token_hex(4)}" if room is None else f"{room}:web-{secrets.token_hex(4)}"
    return web.json_response(
        {
            "ice_servers": browser_ice_servers(settings, user),
            "ice_transport_policy": browser_ice_policy(settings),
        }
    )


async def room_stats(request: web.Request) -> web.Response:
    """Figures for one room that is open now (its name is needed: rooms are not listed)."""
    require_room_access(request, request.match_info["room"])
    runtime = request.app[APP_STATE].runtime
    room = runtime.rooms.get(request.match_info["room"]) if runtime else None
    if room is None:
        return json_error(404, "no_such_room", "no such room is open now")
    return web.json_response(
        {
            "room": room.id,
            "participants": len(room.participants),
            "translation": room.translation_stats.summary(),
        }
    )


async def room_transcript(request: web.Request) -> web.Response:
    """A room's whole stored transcript (every final caption with its translations) as
    json, vtt, srt or txt; `language` picks a translation for the last three."""
    name = request.query.get("format", "json")
    export = FORMATS.get(name)
    if export is None:
        message = f"unknown format {name!r}; use one of {', '.join(FORMATS)}"
        return json_error(400, "bad_format", message)
    require_room_access(request, request.match_info["room"])
    runtime = request.app[APP_STATE].runtime
    if runtime is None:
        return json_error(503, "not_ready", "the server is starting; retry shortly")
    room = request.match_info["room"]
    captions = await runtime.rooms.transcripts.transcript(room)
    return web.Response(
        text=export.render(room, captions, request.query.get("language")),
        content_type=export.content_type,
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{file_name(room, name)}"'},
    )


class NewRoom(BaseModel):
    model_config = ConfigDict(extra="forbid")
    room: RoomName | None = None
    ttl_s: int | None = Field(None, ge=60, le=MAX_TOKEN_TTL_S)
    label: str | None = Field(None, max_length=64)


async def create_room(request: web.Request) -> web.Response:
    """Mint a join token (and invite link) for a room; admin only. A room itself exists
    while people are in it, so "creating" one is naming it and letting people in."""
    access = request.app[ACCESS]
    try:
        access.check_admin(request)
        raw = await request.read()
        body = NewRoom.model_validate_json(raw or b"{}")
    except AccessDenied as denied:
        raise denied.http() from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        return json_error(400, "bad_request", f"{where}: {first['msg']}")
    settings = request.app[APP_STATE].settings
    room = body.room or secrets.token_urlsafe(9)
    minted = access.mint(room, body.ttl_s or settings.token_ttl_s, body.label)
    base = settings.public_url or public_origin(request, parse_networks(settings.trusted_proxies))
    # The token travels in the fragment, which browsers never send to a server or its logs.
    invite = f"{base.rstrip('/')}/?room={room}#token={minted.token}"
    return web.json_response(
        {
            "room": room,
            "token": minted.token,
            "expires_at": minted.expires_at,
            "label": minted.label,
            "invite_url": invite,
        },
        status=201,
    )


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


def _log_access_mode(settings: Settings) -> None:
    if settings.auth_mode == "token":
        log.info("access: join tokens required (create rooms with POST /api/rooms)")
    elif settings.listens_on_loopback:
        log.info(
            "access: open (listening on loopback %s; anyone who can reach it may join)",
            settings.host,
        )
    else:
        log.warning(
            "access: OPEN on %s: anyone who can reach this address may join any room and read "
            "its transcript; set RTC_ADMIN_SECRET and RTC_AUTH=token for join tokens",
            settings.host,
        )


def create_app(settings: Settings) -> web.Application:
    opus_tap.check_aiortc()
    jitter.install()
    restrict_host_addresses(settings.ice_host_addresses)
    app = web.Application(client_max_size=64 * 1024)
    app[APP_STATE] = AppState(settings=settings)
    app[ACCESS] = Access(settings)
    app[CONNECTIONS] = ConnectionCounter(settings.max_connections_per_ip)
    _log_access_mode(settings)
    app.cleanup_ctx.append(_runtime_context)
    app.on_shutdown.append(drain)
    app.router.add_get("/health", health)
    app.router.add_get("/api/config", config)
    app.router.add_get("/api/ice-servers", ice_servers)
    app.router.add_post("/api/rooms", create_room)
    app.router.add_get("/api/rooms/{room}/stats", room_stats)
    app.router.add_get("/api/rooms/{room}/transcript", room_transcript)
    app.router.add_get("/metrics", metrics_endpoint)
    app.router.add_get("/ws", websocket_handler)
    frontend = find_frontend(settings)
    if frontend is not None:
        app.router.add_get("/{path:.*}", _spa(frontend))
        log.info("serving the web app from %s", frontend)
    return app
