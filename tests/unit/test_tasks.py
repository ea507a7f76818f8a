"""The server's tasks: named after their work, a failure logged when it happens."""

from __future__ import annotations

import asyncio
import logging

import pytest

from rtc_server.tasks import BackgroundTasks, start_task


async def fail_at_once() -> None:
    raise ValueError("broken")


async def test_a_failed_task_is_logged_as_it_fails_with_its_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="rtc_server.tasks"):
        task = start_task(fail_at_once())
        await asyncio.sleep(0.01)  # nobody awaits it, and it is still referenced
    assert task.get_name() == "fail_at_once"
    [record] = caplog.records
    assert record.getMessage() == "task fail_at_once failed"
    assert record.exc_info is not None and isinstance(record.exc_info[1], ValueError)


async def test_cancelled_background_work_is_not_a_failure(caplog: pytest.LogCaptureFixture) -> None:
    tasks = BackgroundTasks()
    with caplog.at_level(logging.ERROR, logger="rtc_server.tasks"):
        tasks.spawn(asyncio.sleep(60))
        await asyncio.sleep(0)
        await tasks.cancel_all()
    assert caplog.records == []


async def test_nothing_starts_once_the_owner_has_cancelled_its_work() -> None:
    tasks = BackgroundTasks()
    ran: list[str] = []

    async def record(name: str) -> None:
        ran.append(name)

    await tasks.spawn(record("before"))
    await tasks.cancel_all()
    late = tasks.spawn(record("after"))
    await asyncio.gather(late, return_exceptions=True)
    assert late.cancelled()
    assert ran == ["before"]
