"""The transcript store the settings ask for."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from rtc_server.settings import Settings
from rtc_server.storage.postgres import DatabaseUnreachable, PostgresTranscriptStore
from rtc_server.storage.sqlite import SqliteTranscriptStore
from rtc_server.storage.store import TranscriptStore

log = logging.getLogger(__name__)

RETRY_S = (1.0, 2.0, 4.0, 8.0, 15.0)


async def open_transcript_store(
    settings: Settings, waiting: Callable[[str | None], None]
) -> TranscriptStore:
    """PostgreSQL when RTC_DATABASE_URL is set, else the SQLite file in RTC_DATA_DIR. A store
    that cannot be opened is a RuntimeError that says why, except a database that does not
    answer yet (started alongside this server): that is tried again until it does, each
    failure reported through `waiting` (None once it is open)."""
    if settings.database_url is None:
        return await SqliteTranscriptStore.open(settings.data_dir)
    url = settings.database_url.get_secret_value()
    pauses = iter(RETRY_S)
    while True:
        try:
            store = await PostgresTranscriptStore.open(url)
        except DatabaseUnreachable as error:
            pause = next(pauses, RETRY_S[-1])
            log.warning("%s; trying again in %.0f s", error, pause)
            waiting(str(error))
            await asyncio.sleep(pause)
        else:
            waiting(None)
            return store
