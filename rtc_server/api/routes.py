"""The HTTP API: health, configuration, TURN credentials, rooms, transcripts, metrics, the UI."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rtc_server.access.proxy_headers import parse_networks, public_origin
from rtc_server.access.tokens import ACCESS, AccessDenied, require_room_access
from rtc_server.api.responses import json_error
from rtc_server.languages import display_name
from rtc_server.observability import metrics
from rtc_server.runtime import Runtime
from rtc_server.settings import MAX_TOKEN_TTL_S, Settings
from rtc_server.signaling.messages import PROTOCOL_VERSION, RoomName
from rtc_server.state import APP_STATE
from rtc_server.storage.export import FORMATS, file_name
from rtc_server.webrtc.ice import browser_ice_policy, browser_ice_servers

PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent


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
    if state.waiting_for:
        body["waiting_for"] = state.waiting_for
    if state.runtime is not None:
        # Reported, never a 503: finals wait for the database, and a restart would not help.
        healthy = state.runtime.rooms.transcripts.health.healthy
        body["transcript_store"] = "ok" if healthy else "unavailable"
    if state.cluster is not None:
        # Reported, never a 503 either: the rooms here go on without Redis.
        node = state.cluster.node
        body["cluster"] = {"instance": node.id, "redis": "ok" if node.redis_ok else "unavailable"}
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
            "ice_servers": [
                server.model_dump(mode="json") for server in browser_ice_servers(settings, user)
            ],
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
            "translation": room.captions.translation_stats.summary(),
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


def _web_app(root: Path) -> Callable[[web.Request], Awaitable[web.FileResponse]]:
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


def add_http_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/health", health)
    router.add_get("/api/config", config)
    router.add_get("/api/ice-servers", ice_servers)
    router.add_post("/api/rooms", create_room)
    router.add_get("/api/rooms/{room}/stats", room_stats)
    router.add_get("/api/rooms/{room}/transcript", room_transcript)
    router.add_get("/metrics", metrics_endpoint)


def add_web_app(router: web.UrlDispatcher, root: Path) -> None:
    """The built single-page app at / (registered last: it answers every other path)."""
    router.add_get("/{path:.*}", _web_app(root))
