"""Logging in one place: plain text or JSON lines, each line tagged with its session and room.

The ids live in context variables: set in a session's WebSocket handler, they are inherited by
every task started from it (its peer connection's, its recognizer's, its room's translations).
"""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime
from typing import Literal

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

SESSION: contextvars.ContextVar[str | None] = contextvars.ContextVar("session", default=None)
ROOM: contextvars.ContextVar[str | None] = contextvars.ContextVar("room", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def bind(session: str | None = None, room: str | None = None) -> None:
    """Tag this task's log lines, and those of tasks it starts from now on."""
    if session is not None:
        SESSION.set(session)
    if room is not None:
        ROOM.set(room)


def context_of(session: str, room: str | None) -> contextvars.Context:
    """A context carrying these ids, for a session's work started from elsewhere (shutdown)."""
    context = contextvars.copy_context()
    context.run(bind, session, room)
    return context


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        session, room = SESSION.get(), ROOM.get()
        if session is not None:
            line["session"] = session
        if room is not None:
            line["room"] = room
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False)


class AccessLogger(AbstractAccessLogger):
    """aiohttp's access log without query strings or referrers: a join token put in a URL by
    mistake (`?token=…`) must not end up in the log."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %s %.3f s',
            request.remote,
            request.method,
            request.path,
            response.status,
            response.body_length,
            time,
        )


def configure(level: str, log_format: Literal["text", "json"]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    logging.captureWarnings(True)  # Python warnings become log lines in the same format
    for noisy in ("aioice", "aiortc"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.root.level))
