"""The body of every refused HTTP request, WebSocket upgrades included."""

from __future__ import annotations

from aiohttp import web


def json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": message, "code": code}, status=status)
