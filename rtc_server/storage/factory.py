"""The transcript store the settings ask for."""

from __future__ import annotations

from rtc_server.settings import Settings
from rtc_server.storage.postgres import PostgresTranscriptStore
from rtc_server.storage.sqlite import SqliteTranscriptStore
from rtc_server.storage.store import TranscriptStore


async def open_transcript_store(settings: Settings) -> TranscriptStore:
    """PostgreSQL when RTC_DATABASE_URL is set, else the SQLite file in RTC_DATA_DIR. A store
    that cannot be opened is a RuntimeError that says why."""
    if settings.database_url is None:
        return await SqliteTranscriptStore.open(settings.data_dir)
    return await PostgresTranscriptStore.open(settings.database_url.get_secret_value())
