"""The transcript store in one SQLite file (the default: nothing to run beside the server).

Every statement runs on one thread of its own, in the order it was issued: writes never wait
on the event loop's clock, reads see every write issued before them, and closing the store
finishes every write still queued.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from rtc_server.storage.rows import caption_row, stored_captions, translation_row
from rtc_server.storage.store import StoredCaption, StoreHealth, not_kept

log = logging.getLogger(__name__)

T = TypeVar("T")

FILE_NAME = "transcripts.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS captions (
    room TEXT NOT NULL,
    id TEXT NOT NULL,
    recorded_at REAL NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (room, id)
);
CREATE INDEX IF NOT EXISTS captions_by_time ON captions (room, recorded_at);
CREATE INDEX IF NOT EXISTS captions_by_age ON captions (recorded_at);
CREATE TABLE IF NOT EXISTS translations (
    room TEXT NOT NULL,
    caption_id TEXT NOT NULL,
    language TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (room, caption_id, language)
);
"""


class SqliteTranscriptStore:
    def __init__(self, db: sqlite3.Connection, executor: ThreadPoolExecutor) -> None:
        self._db = db
        self._executor = executor
        self._loop = asyncio.get_running_loop()
        self.health = StoreHealth(holds_writes=False)
        self._failing = False  # the writer thread's view of `health`

    @classmethod
    async def open(cls, folder: Path) -> SqliteTranscriptStore:
        executor = ThreadPoolExecutor(1, thread_name_prefix="transcripts")
        loop = asyncio.get_running_loop()
        try:
            db = await loop.run_in_executor(executor, _connect, folder / FILE_NAME)
        except (OSError, sqlite3.Error) as error:
            executor.shutdown()
            raise RuntimeError(f"cannot open the transcript store in {folder}: {error}") from None
        return cls(db, executor)

    # Writes: queued; the future is done once the row is committed, or once a failure is
    # logged (the room carries on either way; `health` says while writes fail).

    def add_caption(
        self, room: str, body: dict[str, Any], at: float | None = None
    ) -> asyncio.Future[None]:
        row = caption_row(room, body, at)
        return self._write("INSERT OR REPLACE INTO captions VALUES (?, ?, ?, ?)", row)

    def add_translation(self, room: str, body: dict[str, Any]) -> asyncio.Future[None]:
        row = translation_row(room, body)
        return self._write("INSERT OR REPLACE INTO translations VALUES (?, ?, ?, ?)", row)

    async def flush(self) -> None:
        """Wait for every write issued so far (and what waits on it) to be done."""
        await self._run(lambda: None)

    def _write(self, sql: str, row: tuple[Any, ...]) -> asyncio.Future[None]:
        try:
            return asyncio.wrap_future(self._executor.submit(self._execute, sql, row))
        except RuntimeError:  # closed
            return not_kept()

    def _execute(self, sql: str, row: tuple[Any, ...]) -> None:
        try:
            self._db.execute(sql, row)
        except sqlite3.Error as error:
            log.exception("could not keep a caption in the transcript store")
            # The file, not the row (disk full, I/O error, locked): writes fail until it passes.
            self._report(failing=isinstance(error, sqlite3.OperationalError))
        else:
            self._report(failing=False)

    def _report(self, failing: bool) -> None:
        if failing != self._failing:
            self._failing = failing
            self._loop.call_soon_threadsafe(self.health.set, not failing)

    # Reads and maintenance: after every write issued before them.

    async def transcript(self, room: str) -> list[StoredCaption]:
        """Every caption of the room in the order it was finished."""
        return await self._run(lambda: _captions(self._db, room, None))

    async def recent(self, room: str, limit: int) -> list[StoredCaption]:
        """The room's last `limit` captions, oldest first."""
        return await self._run(lambda: _captions(self._db, room, limit))

    async def purge(self, before: float) -> int:
        """Forget captions finished before `before` (Unix seconds) and their translations."""
        return await self._run(lambda: _purge(self._db, before))

    async def close(self) -> None:
        """Finish every queued write, then close the file."""
        self._executor.submit(self._db.close)
        await asyncio.to_thread(self._executor.shutdown, wait=True)

    async def _run(self, read: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, read)


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL syncs only at checkpoints: each commit is in the WAL file, handed to the
    # operating system, before `execute` returns. A killed process loses nothing (the kernel
    # still writes those pages); only a power cut or kernel crash can lose the last commits,
    # and never corrupts the file.
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    return db


def _captions(db: sqlite3.Connection, room: str, limit: int | None) -> list[StoredCaption]:
    rows = db.execute(
        "SELECT id, recorded_at, body FROM captions WHERE room = ?"
        " ORDER BY recorded_at DESC, rowid DESC LIMIT ?",
        (room, -1 if limit is None else limit),
    ).fetchall()
    translations = db.execute(
        "SELECT caption_id, language, t.body FROM translations AS t JOIN (SELECT id FROM captions"
        " WHERE room = ? ORDER BY recorded_at DESC, rowid DESC LIMIT ?) ON id = caption_id"
        " WHERE t.room = ?",
        (room, -1 if limit is None else limit, room),
    )
    return stored_captions(rows, translations)


def _purge(db: sqlite3.Connection, before: float) -> int:
    with db:  # one transaction
        db.execute("BEGIN")
        removed = db.execute("DELETE FROM captions WHERE recorded_at < ?", (before,)).rowcount
        db.execute(
            "DELETE FROM translations WHERE NOT EXISTS (SELECT 1 FROM captions"
            " WHERE captions.room = translations.room AND captions.id = translations.caption_id)"
        )
    return removed
