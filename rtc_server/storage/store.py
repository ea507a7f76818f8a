"""Finished captions and their translations: what a room keeps, behind one interface."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

PURGE_INTERVAL_S = 3600.0


@dataclass
class StoredCaption:
    body: dict[str, Any]  # as it was sent: id, speaker, language, text, start, end, origin
    recorded_at: float  # server wall clock (Unix seconds) when it was finished
    translations: dict[str, dict[str, Any]]  # by language, as they were sent


class StoreHealth:
    """Whether the store is keeping captions now: false while its writes fail. A store that
    `holds_writes` finishes a write only once it is committed (PostgreSQL retries until then),
    so the rooms' finals wait meanwhile and people can be told their captions are paused; one
    that does not (SQLite logs a failed write) lets the captions go on, unsaved."""

    def __init__(self, holds_writes: bool) -> None:
        self.holds_writes = holds_writes
        self.healthy = True
        self._listeners: list[Callable[[bool], None]] = []

    def on_change(self, listener: Callable[[bool], None]) -> Callable[[], None]:
        """Call `listener` with each new state; returns what stops that."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def set(self, healthy: bool) -> None:
        if healthy != self.healthy:
            self.healthy = healthy
            for listener in list(self._listeners):
                listener(healthy)


class TranscriptStore(Protocol):
    """What rooms need: writes that never block (done when their future is), and history."""

    @property
    def health(self) -> StoreHealth: ...

    def add_caption(self, room: str, body: dict[str, Any]) -> asyncio.Future[None]: ...

    def add_translation(self, room: str, body: dict[str, Any]) -> asyncio.Future[None]: ...

    async def flush(self) -> None: ...

    async def recent(self, room: str, limit: int) -> list[StoredCaption]: ...

    async def transcript(self, room: str) -> list[StoredCaption]: ...

    async def purge(self, before: float) -> int: ...

    async def close(self) -> None: ...


def not_kept() -> asyncio.Future[None]:
    """What a write after `close` gets: only a straggler after shutdown can get here."""
    log.error("transcript store closed; a caption was not kept")
    done = asyncio.get_running_loop().create_future()
    done.set_result(None)
    return done


async def purge_periodically(store: TranscriptStore, retention_days: int) -> None:
    """Retention: forget what is older than `retention_days`, at start-up and then hourly."""
    while True:
        try:
            removed = await store.purge(time.time() - retention_days * 86400)
        except Exception:  # the store logs its own faults; retention tries again
            log.exception("could not purge old captions")
        else:
            if removed:
                log.info("purged %d captions older than %d days", removed, retention_days)
        await asyncio.sleep(PURGE_INTERVAL_S)
