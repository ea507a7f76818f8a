"""What only the PostgreSQL store has: migrations, a database that goes away and comes back,
and start-up errors that say what is wrong."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pydantic import ValidationError

from rtc_server.settings import Settings
from rtc_server.storage import postgres as postgres_store
from rtc_server.storage.factory import open_transcript_store
from rtc_server.storage.migrations import MIGRATIONS
from rtc_server.storage.postgres import DatabaseUnreachable, PostgresTranscriptStore
from rtc_server.storage.sqlite import SqliteTranscriptStore
from tests.support.postgres import PASSWORD, PostgresServer


def caption(index: int) -> dict[str, Any]:
    return {"id": f"p-1:{index}", "speaker": {"id": "p-1", "name": "Ada"}, "text": str(index)}


def versions(url: str) -> list[tuple[int, ...]]:
    with psycopg.connect(url) as db:
        return db.execute("SELECT version FROM schema_version ORDER BY version").fetchall()


async def test_stores_opening_one_database_at_once_migrate_it_once(
    postgres: PostgresServer,
) -> None:
    url = postgres.create_database()
    opened = await asyncio.gather(
        *(PostgresTranscriptStore.open(url) for _ in range(4)), return_exceptions=True
    )
    stores = [store for store in opened if isinstance(store, PostgresTranscriptStore)]
    try:
        assert stores == opened
        await asyncio.gather(
            *(store.add_caption("r", caption(i)) for i, store in enumerate(stores))
        )
        assert len(await stores[0].transcript("r")) == 4
    finally:
        await asyncio.gather(*(store.close() for store in stores))
    await (await PostgresTranscriptStore.open(url)).close()  # nothing left to do
    assert versions(url) == [(version,) for version in range(1, len(MIGRATIONS) + 1)]


async def test_a_schema_newer_than_the_server_is_refused(postgres: PostgresServer) -> None:
    url = postgres.create_database()
    await (await PostgresTranscriptStore.open(url)).close()
    with psycopg.connect(url) as db:
        db.execute("INSERT INTO schema_version (version) VALUES (%s)", (len(MIGRATIONS) + 1,))
    with pytest.raises(RuntimeError, match="newer than this server knows"):
        await PostgresTranscriptStore.open(url)


async def test_writes_wait_for_a_database_that_went_away(
    postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres_store, "WAIT_S", 0.5)  # reads give up quickly
    store = await PostgresTranscriptStore.open(postgres.create_database())
    changes: list[bool] = []
    store.health.on_change(changes.append)
    try:
        await store.add_caption("r", caption(1))
        postgres.stop()
        try:
            written = [store.add_caption("r", caption(2)), store.add_caption("r", caption(3))]
            for _ in range(100):
                if changes:
                    break
                await asyncio.sleep(0.05)
            assert changes == [False] and not store.health.healthy
            assert not any(write.done() for write in written)
            with pytest.raises(TimeoutError, match="wait for the transcript database"):
                await store.recent("r", 5)  # a read that cannot see them fails
        finally:
            postgres.start()
        await asyncio.wait_for(asyncio.gather(*written), 30)
        assert changes == [False, True] and store.health.healthy
        assert [c.body["text"] for c in await store.transcript("r")] == ["1", "2", "3"]
    finally:
        await store.close()


async def test_a_refused_login_or_a_malformed_url_is_a_clear_error(
    postgres: PostgresServer,
) -> None:
    with pytest.raises(RuntimeError, match="password authentication failed") as refused:
        await PostgresTranscriptStore.open(postgres.url(password="not-the-password"))
    assert f"cannot open the transcript database postgres@127.0.0.1:{postgres.port}/postgres" in (
        str(refused.value)
    )
    assert "not-the-password" not in str(refused.value)
    assert not isinstance(refused.value, DatabaseUnreachable)  # no use waiting for it
    for url in ("postgresql://ada:s%ecret@db/x", "postgresql://ada:s%zzcret@[::1/x"):
        with pytest.raises(RuntimeError, match="RTC_DATABASE_URL is malformed") as malformed:
            await PostgresTranscriptStore.open(url)
        assert "cret" not in str(malformed.value)
    with pytest.raises(ValidationError, match="use postgresql://"):
        Settings(database_url="mysql://ada@db/x")  # type: ignore[arg-type]


async def test_the_settings_choose_the_store(postgres: PostgresServer, tmp_path: Path) -> None:
    url = postgres.create_database()
    settings = Settings(database_url=url, data_dir=tmp_path)  # type: ignore[arg-type]
    store = await open_transcript_store(settings, print)
    assert isinstance(store, PostgresTranscriptStore)
    await store.close()
    store = await open_transcript_store(Settings(data_dir=tmp_path), print)
    assert isinstance(store, SqliteTranscriptStore)
    await store.close()
    assert PASSWORD not in repr(settings)


async def test_a_database_not_up_yet_is_waited_for_and_says_why_meanwhile(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    """As when a cluster's servers start before their database."""
    settings = Settings(database_url=postgres.create_database(), data_dir=tmp_path)  # type: ignore[arg-type]
    reasons: list[str | None] = []
    await asyncio.to_thread(postgres.stop)
    try:
        opening = asyncio.ensure_future(open_transcript_store(settings, reasons.append))
        await asyncio.sleep(2.5)
        assert not opening.done()
        assert reasons and "Connection refused" in str(reasons[0])
    finally:
        await asyncio.to_thread(postgres.start)
    store = await asyncio.wait_for(opening, 30)
    assert reasons[-1] is None  # no longer waiting
    assert isinstance(store, PostgresTranscriptStore)
    await store.close()
