"""Typed application state shared by the HTTP handlers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from rtc_server.settings import Settings

if TYPE_CHECKING:
    from rtc_server.cluster import Cluster
    from rtc_server.runtime import Runtime
    from rtc_server.signaling.session import Session


@dataclass
class AppState:
    settings: Settings
    runtime: Runtime | None = None  # set once the model has loaded
    cluster: Cluster | None = None  # cluster mode (RTC_REDIS_URL), set with the runtime
    load_error: str | None = None
    waiting_for: str | None = None  # why loading has not finished yet (an absent database)
    sessions: set[Session] = field(default_factory=set)
    websockets: set[web.WebSocketResponse] = field(default_factory=set)
    draining: asyncio.Future[None] | None = None  # set once shutdown has begun


APP_STATE = web.AppKey("state", AppState)
