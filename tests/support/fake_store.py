"""A transcript store in memory whose writes can be held back, to test write-then-send order."""

from __future__ import annotations

import asyncio
from typing import Any

from rtc_server.storage.store import StoredCaption, StoreHealth


class MemoryStore:
    def __init__(self, gated: bool = False) -> None:
        self.gated = gated  # writes finish only when `finish_writes` is called
        self.writes: list[tuple[str, dict[str, Any], asyncio.Future[None]]] = []
        self.health = StoreHealth(holds_writes=True)

    def _write(self, kind: str, body: dict[str, Any]) -> asyncio.Future[None]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if not self.gated:
            done.set_result(None)
        self.writes.append((kind, body, done))
        return done

    def add_caption(self, room: str, body: dict[str, Any]) -> asyncio.Future[None]:
        return self._write("caption", body)

    def add_translation(self, room: str, body: dict[str, Any]) -> asyncio.Future[None]:
        return self._write("translation", body)

    def finish_writes(self) -> None:
        for _, _, done in self.writes:
            if not done.done():
                done.set_result(None)

    async def flush(self) -> None:
        await asyncio.gather(*(done for _, _, done in self.writes))

    async def recent(self, room: str, limit: int) -> list[StoredCaption]:
        return []

    async def transcript(self, room: str) -> list[StoredCaption]:
        return []

    async def purge(self, before: float) -> int:
        return 0

    async def close(self) -> None: ...
