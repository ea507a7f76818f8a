"""Every task the server starts: named, its failure logged when it happens, and background
work an object starts and must be able to stop, all of it, when it closes (after which it
starts nothing more)."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


def start_task(
    work: Coroutine[Any, Any, T], context: contextvars.Context | None = None
) -> asyncio.Task[T]:
    """Run `work` as a task named after it. A failure is logged as it happens: asyncio would
    report an exception nobody awaited only when the task is garbage-collected, if ever."""
    name = getattr(work, "__qualname__", None)
    task = asyncio.get_running_loop().create_task(work, name=name, context=context)
    task.add_done_callback(_log_failure)
    return task


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("task %s failed", task.get_name(), exc_info=error)


class BackgroundTasks:
    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()
        self._closed = False

    def spawn(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run `work` in the background, remembered until it finishes. Once `cancel_all` has
        run, `work` never starts: a late event cannot revive what has ended."""
        task = start_task(work)
        if self._closed:
            task.cancel()  # before its first step: none of `work` runs
            return task
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    async def wait_all(self) -> None:
        """Wait for everything running now (and what it starts meanwhile) to finish."""
        current = asyncio.current_task()
        while pending := [t for t in self._running if t is not current and not t.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    async def cancel_all(self) -> None:
        """Cancel and wait for everything still running (except the caller itself); start
        nothing from now on."""
        self._closed = True
        current = asyncio.current_task()
        pending = [task for task in self._running if task is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
