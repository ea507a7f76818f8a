"""The transcript store in PostgreSQL (RTC_DATABASE_URL): a database kept and backed up apart
from the server.

Writes go through one queue to one writer, so they commit in the order they were issued, a
batch at a time. A write that fails for a reason that can pass (the database is unreachable,
restarting, out of disk) is retried with backoff until it commits, and its future is done only
then; meanwhile `health` is false, and the rooms' finals wait. A row the database refuses
outright is logged and left out, as the SQLite store does. Reads wait for every write issued
before them, at most `WAIT_S`, and raise when they fail.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import AsyncConnectionPool

from rtc_server.storage.migrations import migrate
from rtc_server.storage.rows import caption_row, stored_captions, translation_row
from rtc_server.storage.store import StoredCaption, StoreHealth, not_kept
from rtc_server.tasks import start_task

log = logging.getLogger(__name__)

POOL_SIZE = 4  # the writer, and reads (history at join, exports) beside it
WAIT_S = 10.0  # for a connection, or for the writes a read must see
WRITER_WAIT_S = 1.0  # the writer counts as failing once it waits this long for a connection
RETRY_FIRST_S = 0.25
RETRY_MAX_S = 5.0
BATCH = 100  # writes committed in one transaction at most
# Connection options the URL may override: give up on an unanswered connection attempt, and
# name the server in pg_stat_activity.
DEFAULTS = {"connect_timeout": "5", "application_name": "rtc_server"}

ADD_CAPTION = (
    "INSERT INTO captions (room, id, recorded_at, body) VALUES (%s, %s, %s, %s)"
    " ON CONFLICT (room, id) DO UPDATE"
    " SET recorded_at = excluded.recorded_at, body = excluded.body, seq = DEFAULT"
)
ADD_TRANSLATION = (
    "INSERT INTO translations (room, caption_id, language, body) VALUES (%s, %s, %s, %s)"
    " ON CONFLICT (room, caption_id, language) DO UPDATE SET body = excluded.body"
)


@dataclass
class _Write:
    sql: str
    row: tuple[Any, ...]
    done: asyncio.Future[None]


class DatabaseUnreachable(RuntimeError):
    """The database did not answer, or is not ready yet: it may yet come up."""


# A server that answered with one of these is up and will not change its mind by itself.
_NOT_YET = ("starting up", "shutting down", "recovery", "too many")


def _refused(error: psycopg.OperationalError) -> bool:
    """Whether the database itself said no (a wrong password, no such database or role):
    libpq reports those as FATAL, with no SQLSTATE on the exception."""
    text = str(error)
    return "FATAL:" in text and not any(reason in text for reason in _NOT_YET)


class PostgresTranscriptStore:
    def __init__(self, pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]]) -> None:
        self._pool = pool
        self.health = StoreHealth(holds_writes=True)
        self._queue: asyncio.Queue[_Write] = asyncio.Queue()
        self._last: asyncio.Future[None] | None = None  # the latest write issued
        self._waiting: set[asyncio.Future[None]] = set()  # writes issued, not yet done
        self._closed = False
        self._failing_since = 0.0  # monotonic time the writes began to fail
        self._writer = start_task(self._write_forever())

    @classmethod
    async def open(cls, url: str) -> PostgresTranscriptStore:
        """Connect and migrate; a malformed URL, a refused login or an unreachable database
        is a RuntimeError that says which database, without its password."""
        try:
            conninfo = make_conninfo("", **{**DEFAULTS, **conninfo_to_dict(url)})
        except (psycopg.Error, ValueError) as error:  # ValueError: a bad %-escape
            raise RuntimeError(f"RTC_DATABASE_URL is malformed: {_redact(error, url)}") from None
        where = _describe(conninfo)
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as db:
                version = await migrate(db)
        except psycopg.Error as error:
            message = f"cannot open the transcript database {where}: {error}"
            if isinstance(error, psycopg.OperationalError) and not _refused(error):
                raise DatabaseUnreachable(message) from None
            raise RuntimeError(message) from None
        pool = AsyncConnectionPool(
            conninfo,
            min_size=1,
            max_size=POOL_SIZE,
            open=False,
            name="transcripts",
            timeout=WAIT_S,
            reconnect_timeout=2 * RETRY_MAX_S,  # then the next request starts a fresh backoff
            check=AsyncConnectionPool.check_connection,  # none left broken by a restart
            kwargs={"autocommit": True},
        )
        await pool.open()
        log.info("transcripts in PostgreSQL %s (schema version %d)", where, version)
        return cls(pool)

    # Writes

    def add_caption(
        self, room: str, body: dict[str, Any], at: float | None = None
    ) -> asyncio.Future[None]:
        return self._write(ADD_CAPTION, caption_row(room, body, at))

    def add_translation(self, room: str, body: dict[str, Any]) -> asyncio.Future[None]:
        return self._write(ADD_TRANSLATION, translation_row(room, body))

    async def flush(self) -> None:
        """Wait for every write issued so far (and what waits on it) to be done."""
        if self._last is not None:
            await asyncio.shield(self._last)

    def _write(self, sql: str, row: tuple[Any, ...]) -> asyncio.Future[None]:
        if self._closed:
            return not_kept()
        done = asyncio.get_running_loop().create_future()
        self._last = done
        self._waiting.add(done)
        done.add_done_callback(self._waiting.discard)
        self._queue.put_nowait(_Write(sql, row, done))
        # The caller's future: cancelling it must not cancel the write others wait behind.
        return asyncio.shield(done)

    async def _write_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._commit(batch)
            for write in batch:
                if not write.done.done():
                    write.done.set_result(None)

    async def _commit(self, batch: list[_Write]) -> None:
        delay = RETRY_FIRST_S
        while True:
            try:
                async with self._pool.connection(WRITER_WAIT_S) as db, db.transaction():
                    for write in batch:
                        await _execute_or_log(db, write)
            except psycopg.Error as error:
                if not _passing(error):
                    log.error(
                        "could not keep %d captions in the transcript store: %s", len(batch), error
                    )
                    return
                if self.health.healthy:
                    log.warning(
                        "transcript database unavailable, captions wait until it is back: %s",
                        error,
                    )
                    self.health.set(False)
                    self._failing_since = time.monotonic()
                await asyncio.sleep(delay)
                delay = min(2 * delay, RETRY_MAX_S)
            else:
                if not self.health.healthy:
                    log.warning(
                        "transcript database back after %.0f s; the captions that waited are kept",
                        time.monotonic() - self._failing_since,
                    )
                    self.health.set(True)
                return

    # Reads and maintenance: after every write issued before them.

    async def transcript(self, room: str) -> list[StoredCaption]:
        """Every caption of the room in the order it was finished."""
        return await self._captions(room, None)

    async def recent(self, room: str, limit: int) -> list[StoredCaption]:
        """The room's last `limit` captions, oldest first."""
        return await self._captions(room, limit)

    async def purge(self, before: float) -> int:
        """Forget captions finished before `before` (Unix seconds) and their translations."""
        await self._caught_up()
        async with self._pool.connection() as db, db.transaction():
            deleted = await db.execute("DELETE FROM captions WHERE recorded_at < %s", (before,))
            await db.execute(
                "DELETE FROM translations AS t WHERE NOT EXISTS (SELECT 1 FROM captions AS c"
                " WHERE c.room = t.room AND c.id = t.caption_id)"
            )
        return deleted.rowcount

    async def close(self) -> None:
        """Finish the queued writes (waiting at most `WAIT_S` for the database), then close."""
        self._closed = True
        try:
            await asyncio.wait_for(self.flush(), WAIT_S)
        except TimeoutError:
            log.error(
                "transcript database unavailable: %d captions and translations were not kept",
                len(self._waiting),
            )
            for done in list(self._waiting):
                done.cancel()
        self._writer.cancel()
        await asyncio.gather(self._writer, return_exceptions=True)
        await self._pool.close()

    async def _captions(self, room: str, limit: int | None) -> list[StoredCaption]:
        await self._caught_up()
        async with self._pool.connection() as db, db.transaction():
            captions = await db.execute(
                "SELECT id, recorded_at, body FROM captions WHERE room = %s"
                " ORDER BY recorded_at DESC, seq DESC LIMIT %s",
                (room, limit),
            )
            rows = await captions.fetchall()
            translations = await db.execute(
                "SELECT caption_id, language, body FROM translations"
                " WHERE room = %s AND caption_id = ANY(%s)",
                (room, [row[0] for row in rows]),
            )
            return stored_captions(rows, await translations.fetchall())

    async def _caught_up(self) -> None:
        if self._last is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._last), WAIT_S)
        except TimeoutError:
            raise TimeoutError("earlier captions still wait for the transcript database") from None


async def _execute_or_log(db: psycopg.AsyncConnection[Any], write: _Write) -> None:
    try:
        async with db.transaction():  # a savepoint: a refused row leaves the others in
            await db.execute(write.sql, write.row)
    except psycopg.Error as error:
        if _passing(error):
            raise
        log.error("could not keep a caption in the transcript store: %s", error)


def _passing(error: psycopg.Error) -> bool:
    """Whether waiting can fix it: the connection, the server's state (starting, stopping, out
    of resources, a replica during failover), not the row itself."""
    return isinstance(error, psycopg.OperationalError) or error.sqlstate == "25006"


def _describe(conninfo: str) -> str:
    params = conninfo_to_dict(conninfo)
    host = params.get("host") or params.get("hostaddr") or "localhost"
    port = f":{params['port']}" if params.get("port") else ""
    return f"{params.get('user', '')}@{host}{port}/{params.get('dbname', '')}".lstrip("@")


def _redact(error: Exception, url: str) -> str:
    """libpq may quote the part of the URL it could not parse: never the password."""
    password = re.match(r"[^:]*://[^:/@]*:([^@]*)@", url)
    return str(error).replace(password[1], "***") if password and password[1] else str(error)
