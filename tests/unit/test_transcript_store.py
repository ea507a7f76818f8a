"""The transcript store on SQLite and on PostgreSQL alike (reopening, history, retention,
order, failures), and its export formats."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from rtc_server.storage.export import FORMATS, cues, file_name, to_json, to_srt, to_txt, to_vtt
from rtc_server.storage.postgres import PostgresTranscriptStore
from rtc_server.storage.sqlite import FILE_NAME, SqliteTranscriptStore
from rtc_server.storage.store import StoredCaption

DAY = 86_400.0

Store = SqliteTranscriptStore | PostgresTranscriptStore


@dataclass
class Database:
    """Where a test's stores keep their rows: a fresh SQLite folder or PostgreSQL database."""

    open: Callable[[], Awaitable[Store]]
    connect: Callable[[], Any]  # a connection of another client, to change the schema with
    refusal: str  # a trigger that refuses every translation


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if request.param == "sqlite":
        return Database(
            lambda: SqliteTranscriptStore.open(tmp_path),
            lambda: sqlite3.connect(tmp_path / FILE_NAME),
            "CREATE TRIGGER refuse BEFORE INSERT ON translations"
            " BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
    url = request.getfixturevalue("postgres").create_database()
    return Database(
        lambda: PostgresTranscriptStore.open(url),
        lambda: psycopg.connect(url, autocommit=True),
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql"
        " AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$;"
        " CREATE TRIGGER refuse BEFORE INSERT ON translations"
        " FOR EACH ROW EXECUTE FUNCTION refuse()",
    )


def caption(
    caption_id: str, text: str, origin: int, start: float, end: float, name: str = "Ada"
) -> dict[str, Any]:
    return {
        "id": caption_id,
        "speaker": {"id": caption_id.split(":")[0], "name": name},
        "language": "en",
        "text": text,
        "final": True,
        "start": start,
        "end": end,
        "origin": origin,
    }


def translation(caption_id: str, language: str, text: str) -> dict[str, Any]:
    return {"caption_id": caption_id, "language": language, "text": text, "final": True}


async def test_transcripts_survive_reopening_in_order_with_translations(database: Database) -> None:
    store = await database.open()
    store.add_caption("r", caption("p-1:1", "Hello.", 1000, 0.0, 1.0))
    await store.add_caption("r", caption("p-1:2", "Bye.", 1000, 2.0, 3.0))  # done: committed
    assert [c.body["text"] for c in await store.recent("r", 5)] == ["Hello.", "Bye."]
    store.add_caption("other", caption("p-2:1", "Elsewhere.", 1000, 0.0, 1.0))
    store.add_translation("r", translation("p-1:1", "de", "Hallo."))
    await store.close()  # every queued write is finished first

    reopened = await database.open()
    try:
        captions = await reopened.transcript("r")
        assert [(c.body["text"], c.translations) for c in captions] == [
            ("Hello.", {"de": translation("p-1:1", "de", "Hallo.")}),
            ("Bye.", {}),
        ]
        assert captions[0].body == caption("p-1:1", "Hello.", 1000, 0.0, 1.0)
        assert list(captions[0].body) == list(caption("p-1:1", "", 0, 0, 0))  # keys as sent
        assert captions[0].recorded_at <= captions[1].recorded_at <= time.time()
        recent = await reopened.recent("r", 1)
        assert [c.body["text"] for c in recent] == ["Bye."]
        assert await reopened.recent("nobody", 5) == []
    finally:
        await reopened.close()


async def test_writes_are_kept_and_done_in_the_order_they_were_issued(database: Database) -> None:
    store = await database.open()
    done: list[int] = []
    try:
        at = time.time()  # one instant: only the order of the writes tells them apart
        for index in range(50):
            write = store.add_caption("r", caption(f"p-1:{index}", str(index), 0, 0, 1), at)
            write.add_done_callback(lambda _, index=index: done.append(index))
            store.add_translation("r", translation("p-1:0", "de", f"version {index}"))
        store.add_caption("r", caption("p-1:7", "seven again", 0, 0, 1), at)
        kept = await store.transcript("r")  # sees every write issued before it
        assert done == list(range(50))
        expected = [str(index) for index in range(50) if index != 7] + ["seven again"]
        assert [c.body["text"] for c in kept] == expected
        assert kept[0].translations["de"]["text"] == "version 49"
        assert [c.body["text"] for c in await store.recent("r", 2)] == ["49", "seven again"]
    finally:
        await store.close()


async def test_retention_purges_old_captions_and_their_translations(database: Database) -> None:
    store = await database.open()
    now = time.time()
    for index, age_days in enumerate((40, 31, 29, 1)):
        caption_id = f"p-1:{index}"
        store.add_caption(
            "r", caption(caption_id, f"{age_days} days", 0, 0, 1), now - age_days * DAY
        )
        store.add_translation("r", translation(caption_id, "fr", f"{age_days} jours"))
    try:
        assert await store.purge(now - 30 * DAY) == 2
        kept = await store.transcript("r")
        assert [c.body["text"] for c in kept] == ["29 days", "1 days"]
        assert [c.translations["fr"]["text"] for c in kept] == ["29 jours", "1 jours"]
        assert await store.purge(now - 30 * DAY) == 0  # nothing more to do
        # The orphaned translations are gone too: a caption stored again under an old id
        # does not bring back its old translation.
        store.add_caption("r", caption("p-1:0", "again", 0, 0, 1), now)
        (again,) = [c for c in await store.transcript("r") if c.body["id"] == "p-1:0"]
        assert again.translations == {}
    finally:
        await store.close()


async def test_a_refused_write_is_logged_and_the_store_goes_on(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    store = await database.open()
    changes: list[bool] = []
    store.health.on_change(changes.append)
    try:
        with database.connect() as other:
            other.execute(database.refusal)
        await store.add_translation("r", translation("p-1:1", "de", "Hallo."))  # no exception
        assert "could not keep a caption" in caplog.text
        await store.add_caption("r", caption("p-1:1", "Hello.", 0, 0, 1))
        (kept,) = await store.recent("r", 5)
        assert (kept.body["text"], kept.translations) == ("Hello.", {})
        assert changes == []  # one row refused: the store itself is fine
    finally:
        await store.close()


async def test_a_sqlite_store_that_cannot_write_says_so_until_it_can(tmp_path: Path) -> None:
    store = await SqliteTranscriptStore.open(tmp_path)
    changes: list[bool] = []
    stop_listening = store.health.on_change(changes.append)
    try:
        with sqlite3.connect(tmp_path / FILE_NAME) as other:
            other.execute("ALTER TABLE translations RENAME TO gone")
        await store.add_translation("r", translation("p-1:1", "de", "Hallo."))
        assert changes == [False] and not store.health.healthy  # told before the write is done
        await store.add_caption("r", caption("p-1:1", "Hello.", 0, 0, 1))
        assert changes == [False, True]
        stop_listening()
        await store.add_translation("r", translation("p-1:1", "de", "Hallo."))
        assert changes == [False, True] and not store.health.healthy
    finally:
        await store.close()


async def test_a_store_that_cannot_be_opened_says_where(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(RuntimeError, match=r"cannot open the transcript store in .*file"):
        await SqliteTranscriptStore.open(blocker / "data")


# Export formats

# Two speakers whose audio started at different times; Bob's caption was finished first but
# spoken later, and Ada's second caption has a translation.
ORIGIN = 1_700_000_000_000
CAPTIONS = [
    StoredCaption(caption("p-b:1", "I am <Bob> & more", ORIGIN + 5_000, 1.5, 3.25, "Bob"), 2.0, {}),
    StoredCaption(caption("p-a:1", "First words.", ORIGIN, 0.5, 2.0), 3.0, {}),
    StoredCaption(
        caption("p-a:2", "It is\nlate.", ORIGIN, 3661.0, 3662.5),
        4.0,
        {"de": translation("p-a:2", "de", "Es ist spät.")},
    ),
]


def test_cues_follow_spoken_time_from_the_first_caption() -> None:
    timeline = cues(CAPTIONS, None)
    assert [(c.start_ms, c.end_ms, c.speaker) for c in timeline] == [
        (0, 1_500, "Ada"),
        (6_000, 7_750, "Bob"),
        (3_660_500, 3_662_000, "Ada"),
    ]
    assert timeline[2].text == "It is late."  # a line break would end the cue
    assert cues(CAPTIONS, "de")[2].text == "Es ist spät."
    assert cues(CAPTIONS, "fr")[2].text == "It is late."  # no translation: the original
    assert cues([], None) == []


def test_vtt_is_webvtt_with_voices_and_escaped_text() -> None:
    vtt = to_vtt("r", CAPTIONS, "de")
    assert vtt.startswith("WEBVTT\n\n")
    blocks = vtt.removeprefix("WEBVTT\n\n").rstrip("\n").split("\n\n")
    assert blocks == [
        "1\n00:00:00.000 --> 00:00:01.500\n<v Ada>First words.",
        "2\n00:00:06.000 --> 00:00:07.750\n<v Bob>I am &lt;Bob&gt; &amp; more",
        "3\n01:01:00.500 --> 01:01:02.000\n<v Ada>Es ist spät.",
    ]
    assert to_vtt("r", [], None) == "WEBVTT\n"


def test_srt_numbers_cues_with_comma_milliseconds() -> None:
    srt = to_srt("r", CAPTIONS, None)
    assert srt.split("\n\n")[:3] == [
        "1\n00:00:00,000 --> 00:00:01,500\nAda: First words.",
        "2\n00:00:06,000 --> 00:00:07,750\nBob: I am <Bob> & more",
        "3\n01:01:00,500 --> 01:01:02,000\nAda: It is late.",
    ]
    assert srt.endswith("\n\n")


def test_txt_is_one_line_per_caption() -> None:
    assert to_txt("r", CAPTIONS, "de").splitlines() == [
        "[00:00:00] Ada: First words.",
        "[00:00:06] Bob: I am <Bob> & more",
        "[01:01:00] Ada: Es ist spät.",
    ]


def test_json_keeps_every_field_and_translation_in_finishing_order() -> None:
    data = json.loads(to_json("r", CAPTIONS, "fr"))
    assert data["room"] == "r"
    assert [c["id"] for c in data["captions"]] == ["p-b:1", "p-a:1", "p-a:2"]
    assert data["captions"][2]["translations"] == {"de": "Es ist spät."}
    assert data["captions"][0]["recorded_at"] == 2.0 and data["captions"][0]["origin"] > 0


def test_formats_and_file_names() -> None:
    assert {name: f.content_type for name, f in FORMATS.items()} == {
        "json": "application/json",
        "vtt": "text/vtt",
        "srt": "application/x-subrip",
        "txt": "text/plain",
    }
    assert file_name("team-42", "vtt") == "team-42-transcript.vtt"
    assert re.fullmatch(r"[\w-]+\.srt", file_name('a"b/../c', "srt"))
