"""The PostgreSQL schema as numbered migrations, applied when a store opens.

`schema_version` holds one row per migration applied. Every opening server takes the same
transaction-level advisory lock first, so two starting at once take turns, and the second
finds nothing left to do.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

# Migration N brings the schema from version N-1 to N. Never change one that has shipped:
# add the next. Bodies are JSON text, as sent (jsonb would reorder their keys and refuse \u0000).
MIGRATIONS = (
    """
    CREATE TABLE captions (
        room text NOT NULL,
        id text NOT NULL,
        recorded_at double precision NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        body text NOT NULL,
        PRIMARY KEY (room, id)
    );
    CREATE INDEX captions_by_time ON captions (room, recorded_at, seq);
    CREATE INDEX captions_by_age ON captions (recorded_at);
    CREATE TABLE translations (
        room text NOT NULL,
        caption_id text NOT NULL,
        language text NOT NULL,
        body text NOT NULL,
        PRIMARY KEY (room, caption_id, language)
    );
    """,
)

LOCK_KEY = 0x7274635F7363686D  # any constant that other applications are unlikely to take


async def migrate(db: AsyncConnection[Any]) -> int:
    """Bring the schema up to date; the version it is at."""
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        await db.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        row = await (await db.execute("SELECT max(version) FROM schema_version")).fetchone()
        current = int(row[0] or 0) if row else 0
        if current > len(MIGRATIONS):
            raise RuntimeError(
                f"the database schema is at version {current}, newer than this server"
                f" knows ({len(MIGRATIONS)}): run a newer server"
            )
        for version in range(current + 1, len(MIGRATIONS) + 1):
            await db.execute(MIGRATIONS[version - 1])
            await db.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
    return len(MIGRATIONS)
