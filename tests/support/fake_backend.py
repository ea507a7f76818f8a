"""A stand-in for the backend: /health, /api, /metrics and a /ws echo, on loopback.

Runs an aiohttp server on its own event loop in a background thread, so that
synchronous tests (and nginx in front of it) can talk to it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from tests.support.servers import free_port


@dataclass
class FakeBackend:
    """What the fake backend saw, and a switch for its health."""

    address: str = ""
    ready: bool = True
    requests: list[dict[str, str]] = field(default_factory=list)


def _fake_backend_app(state: FakeBackend) -> web.Application:
    def record(request: web.Request) -> None:
        state.requests.append({"path": request.path, **dict(request.headers)})

    async def health(request: web.Request) -> web.Response:
        record(request)
        body = {"status": "ok" if state.ready else "loading", "ready": state.ready}
        return web.json_response(body, status=200 if state.ready else 503)

    async def config(request: web.Request) -> web.Response:
        record(request)
        languages = [{"code": f"l{i}", "name": f"Language {i}"} for i in range(60)]
        return web.json_response({"protocol": 1, "languages": languages})

    async def echo_headers(request: web.Request) -> web.Response:
        record(request)
        return web.json_response(dict(request.headers))

    async def upload(request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response({"received": len(body)})

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(text="rtc_sessions 0\n", content_type="text/plain")

    async def ws(request: web.Request) -> web.WebSocketResponse:
        record(request)
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                await socket.send_str(message.data)
        return socket

    app = web.Application(client_max_size=1 << 20)
    app.router.add_get("/health", health)
    app.router.add_get("/api/config", config)
    app.router.add_get("/api/headers", echo_headers)
    app.router.add_post("/api/upload", upload)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/ws", ws)
    return app


@contextmanager
def run_fake_backend() -> Iterator[FakeBackend]:
    """Start the stand-in backend on a free loopback port; stop it on exit."""
    state = FakeBackend()
    loop = asyncio.new_event_loop()
    port = free_port()
    runner = web.AppRunner(_fake_backend_app(state))

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    state.address = f"127.0.0.1:{port}"
    try:
        yield state
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
