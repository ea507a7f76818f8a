"""The aiohttp application: health, configuration, metrics, signaling and the built UI."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from rtc_server.access.limits import CONNECTIONS, ConnectionCounter
from rtc_server.access.tokens import ACCESS, Access
from rtc_server.api.routes import add_http_routes, add_web_app, find_frontend
from rtc_server.asr.model import resolve_model
from rtc_server.asr.stream import StreamOptions
from rtc_server.asr.whisper_engine import WhisperEngine
from rtc_server.cluster import Cluster
from rtc_server.cluster.directory import InstanceLoad
from rtc_server.observability.loop_lag import watch_event_loop
from rtc_server.observability.memory import release_freed_memory
from rtc_server.rooms.registry import RoomRegistry
from rtc_server.runtime import Runtime
from rtc_server.settings import Settings
from rtc_server.shutdown import drain
from rtc_server.signaling.endpoint import websocket_handler
from rtc_server.state import APP_STATE, AppState
from rtc_server.storage.factory import open_transcript_store
from rtc_server.storage.store import TranscriptStore, purge_periodically
from rtc_server.tasks import BackgroundTasks, start_task
from rtc_server.translation.factory import build_translation_service
from rtc_server.webrtc import aiortc_patches
from rtc_server.webrtc.ice import (
    server_rtc_configuration,
)
from rtc_server.webrtc.turn_check import check_turn

log = logging.getLogger(__name__)


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
    transcripts: TranscriptStore | None = None
    housekeeping = BackgroundTasks()

    async def load() -> WhisperEngine:
        nonlocal transcripts
        transcripts = await open_transcript_store(settings, _waiting_for(state))
        if settings.retention_days:
            housekeeping.spawn(purge_periodically(transcripts, settings.retention_days))
        engine = await asyncio.to_thread(load_engine, settings)
        engine.start()
        translation = build_translation_service(settings, engine)
        cluster = state.cluster = _join_cluster(state, engine)
        rooms = RoomRegistry(
            translation,
            settings.max_room_size,
            settings.history_size,
            settings.forward_speakers if settings.audio_relay else 0,
            transcripts,
            bus=cluster.bus if cluster else None,
            hosting=cluster.node if cluster else None,
        )
        if cluster is not None:
            await cluster.node.start(rooms)
        state.runtime = Runtime(
            settings=settings,
            recognizer=engine,
            stream_options=stream_options(settings),
            translation=translation,
            rooms=rooms,
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
    if state.cluster is not None:
        await state.cluster.close()
    if loading.done() and loading.exception() is None:
        await loading.result().stop()
    else:
        loading.cancel()
        await asyncio.gather(loading, return_exceptions=True)
    if transcripts is not None:
        await transcripts.close()


def _join_cluster(state: AppState, engine: WhisperEngine) -> Cluster | None:
    settings = state.settings
    if settings.redis_url is None:
        return None
    if settings.database_url is None:
        log.warning(
            "cluster mode with transcripts in a local SQLite file: a room that moves to "
            "another instance starts without its history; set RTC_DATABASE_URL"
        )

    def load() -> InstanceLoad:
        runtime = state.runtime
        return InstanceLoad(
            speakers=len(runtime.speakers) if runtime else 0,
            max_speakers=settings.max_speakers,
            sessions=len(state.sessions),
            max_sessions=settings.max_sessions,
            lag_s=round(engine.lag_s(), 3),
        )

    cluster = Cluster.connect(settings, load)
    log.info("cluster mode: instance %s at %s", cluster.node.id, cluster.node.url)
    return cluster


def _waiting_for(state: AppState) -> Callable[[str | None], None]:
    def record(reason: str | None) -> None:
        state.waiting_for = reason

    return record


def _record_load_failure(state: AppState, task: asyncio.Task[WhisperEngine]) -> None:
    if not task.cancelled() and task.exception() is not None:
        state.load_error = str(task.exception())
        log.error("the server could not start: %s", state.load_error)


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
    aiortc_patches.install(settings.ice_host_addresses)
    app = web.Application(client_max_size=64 * 1024)
    app[APP_STATE] = AppState(settings=settings)
    app[ACCESS] = Access(settings)
    app[CONNECTIONS] = ConnectionCounter(settings.max_connections_per_ip)
    _log_access_mode(settings)
    app.cleanup_ctx.append(_runtime_context)
    app.on_shutdown.append(drain)
    add_http_routes(app.router)
    app.router.add_get("/ws", websocket_handler)
    frontend = find_frontend(settings)
    if frontend is not None:
        add_web_app(app.router, frontend)
        log.info("serving the web app from %s", frontend)
    return app
