"""Background work an object starts and must be able to stop, all of it, when it closes."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class BackgroundTasks:
    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run `work` in the background, remembered until it finishes."""
        task = asyncio.ensure_future(work)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    async def wait_all(self) -> None:
        """Wait for everything running now (and what it starts meanwhile) to finish."""
        current = asyncio.current_task()
        while pending := [t for t in self._running if t is not current and not t.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    async def cancel_all(self) -> None:
        """Cancel and wait for everything still running (except the caller itself)."""
        current = asyncio.current_task()
        pending = [task for task in self._running if task is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
