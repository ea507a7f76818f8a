"""Finished captions and their translations, kept per room (the transcript store seam)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Protocol

SCHEMA = """
CREATE TABLE IF NOT EXISTS captions (
    room TEXT NOT NULL,
    id TEXT NOT NULL,
    recorded_at REAL NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (room, id)
);
CREATE TABLE IF NOT EXISTS translations (
    room TEXT NOT NULL,
    caption_id TEXT NOT NULL,
    language TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (room, caption_id, language)
);
"""


class TranscriptStore(Protocol):
    def add_caption(self, room: str, body: dict[str, Any]) -> None: ...

    def add_translation(self, room: str, body: dict[str, Any]) -> None: ...

    def transcript(self, room: str) -> list[dict[str, Any]]: ...


class SqliteTranscriptStore:
    """One SQLite file for all rooms. Writes are single small rows, a few per second at most,
    so they stay on the event loop; WAL keeps readers from blocking them."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(folder / "transcripts.sqlite3", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def add_caption(self, room: str, body: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO captions VALUES (?, ?, ?, ?)",
            (room, body["id"], time.time(), json.dumps(body, ensure_ascii=False)),
        )

    def add_translation(self, room: str, body: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO translations VALUES (?, ?, ?, ?)",
            (room, body["caption_id"], body["language"], json.dumps(body, ensure_ascii=False)),
        )

    def transcript(self, room: str) -> list[dict[str, Any]]:
        """Every caption of the room in the order it was finished, with its translations and
        the wall-clock time it was recorded."""
        translations: dict[str, dict[str, str]] = {}
        for caption_id, language, body in self._db.execute(
            "SELECT caption_id, language, body FROM translations WHERE room = ?", (room,)
        ):
            translations.setdefault(caption_id, {})[language] = json.loads(body)["text"]
        return [
            {
                **json.loads(body),
                "recorded_at": recorded_at,
                "translations": translations.get(caption_id, {}),
            }
            for caption_id, recorded_at, body in self._db.execute(
                "SELECT id, recorded_at, body FROM captions WHERE room = ? ORDER BY recorded_at",
                (room,),
            )
        ]

    def close(self) -> None:
        self._db.close()
