"""Whole sentences translated, and the history re-sent when a listener changes its caption
language: a room with scripted finals and a recording translator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from rtc_server.asr.stream import SpeechEvent, SpeechEventType
from rtc_server.rooms import caption_router
from rtc_server.rooms.bus import LocalCaptionBus
from rtc_server.rooms.membership import Room
from rtc_server.rooms.participant import AWAY, Participant
from rtc_server.storage.export import cues
from rtc_server.storage.sqlite import SqliteTranscriptStore
from rtc_server.translation.base import TranslationRequest
from rtc_server.translation.sentences import Piece, SentenceAssembler
from rtc_server.translation.service import TranslationService
from rtc_server.webrtc.relay import RoomAudio
from tests.support.data_channel import FakeChannel


class RecordingTranslator:
    name = "recording"
    targets: ClassVar[list[str]] = ["*"]

    def __init__(self) -> None:
        self.requests: list[tuple[TranslationRequest, str]] = []

    def supports(self, target: str) -> bool:
        return True

    def unavailable_reason(self, target: str) -> str:
        return ""

    async def translate(
        self, request: TranslationRequest, target: str, on_text: Callable[[str], None]
    ) -> str:
        self.requests.append((request, target))
        return f"[{target}] {request.text}"


def test_pieces_wait_for_the_end_of_their_sentence() -> None:
    assembler = SentenceAssembler()
    assert assembler.add(Piece("a:1", "Guten Morgen,", "de", continued=True)) == []
    assert assembler.add(Piece("a:2", "liebe Kolleginnen", "de", continued=True)) == []
    (sentence,) = assembler.add(Piece("a:3", "und Kollegen.", "de", continued=True))
    assert sentence.text == "Guten Morgen, liebe Kolleginnen und Kollegen."
    assert sentence.covers == ("a:1", "a:2", "a:3") and sentence.caption_id == "a:3"
    # A pause ends a sentence of three words or more; a shorter fragment waits for more.
    assert assembler.add(Piece("a:4", "Ja", "de", continued=False)) == []
    (sentence,) = assembler.add(Piece("a:5", "das stimmt wohl", "de", continued=False))
    assert sentence.covers == ("a:4", "a:5")
    # A sentence never changes language: the waiting piece goes alone.
    assembler.add(Piece("a:6", "Also", "de", continued=True))
    (german, english) = assembler.add(Piece("a:7", "Let us begin.", "en", continued=False))
    assert german.covers == ("a:6",) and english.covers == ("a:7",)
    assert not assembler.waiting


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteTranscriptStore]:
    transcripts = await SqliteTranscriptStore.open(tmp_path)
    yield transcripts
    await transcripts.close()


def person(person_id: str, caption_language: str | None) -> tuple[Participant, FakeChannel]:
    participant = Participant(
        id=person_id,
        name=person_id.title(),
        language="de",
        caption_language=caption_language,
        connection=AWAY,
    )
    channel = FakeChannel()
    participant.captions.attach(channel)
    return participant, channel


def room_of(
    store: SqliteTranscriptStore, *readers: tuple[str, str | None]
) -> tuple[Room, RecordingTranslator, Participant, list[tuple[Participant, FakeChannel]]]:
    """A room with a recording translator, a speaker, and a reader per (id, caption language)."""
    translator = RecordingTranslator()
    room = Room("r", RoomAudio(0), TranslationService(translator), store, LocalCaptionBus(), 100)
    speaker, _ = person("speaker", None)
    room.add(speaker)
    people = [person(reader_id, language) for reader_id, language in readers]
    for participant, _ in people:
        room.add(participant)
    return room, translator, speaker, people


def final(utterance: int, text: str, continued: bool = True) -> SpeechEvent:
    return SpeechEvent(
        SpeechEventType.FINAL,
        utterance,
        text=text,
        language="de",
        start=utterance * 2.0,
        end=utterance * 2.0 + 1.9,
        continued=continued,
    )


def translations(channel: FakeChannel) -> list[dict[str, Any]]:
    return [m for m in channel.sent if m["type"] == "translation" and m["final"]]


async def settle(room: Room) -> None:
    for _ in range(20):
        await asyncio.sleep(0.01)
    await room.captions.finish()


async def test_a_sentence_spoken_in_pieces_is_translated_once_as_a_whole(
    store: SqliteTranscriptStore,
) -> None:
    room, translator, speaker, [(_, channel)] = room_of(store, ("listener", "en"))
    room.captions.publish(speaker, final(1, "Guten Morgen,"))
    room.captions.publish(speaker, final(2, "heute sprechen wir über die Ergebnisse."))
    room.captions.publish(speaker, final(3, "Danach gibt es Zeit für Fragen.", continued=False))
    await settle(room)
    texts = [request.text for request, _ in translator.requests]
    assert texts == [
        "Guten Morgen, heute sprechen wir über die Ergebnisse.",
        "Danach gibt es Zeit für Fragen.",
    ]
    # The second sentence is translated knowing the first.
    assert translator.requests[1][0].context == (texts[0],)
    first, second = translations(channel)
    assert first["caption_id"] == "speaker:2" and first["covers"] == ["speaker:1", "speaker:2"]
    assert "covers" not in second
    # The translated transcript has the sentence once, over the time of both pieces.
    (sentence_cue, _) = cues(await store.transcript("r"), "en")
    assert sentence_cue.text == f"[en] {texts[0]}"
    assert (sentence_cue.start_ms, sentence_cue.end_ms) == (0, 1900 + 2000)
    await room.close()


async def test_a_fragment_the_speaker_does_not_finish_is_translated_after_a_wait(
    store: SqliteTranscriptStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caption_router, "WAIT_S", 0.05)
    room, translator, speaker, [(_, channel)] = room_of(store, ("listener", "en"))
    room.captions.publish(speaker, final(1, "Guten Morgen"))
    await asyncio.sleep(0.02)
    assert translator.requests == []  # waiting for the rest
    await asyncio.sleep(0.2)
    await settle(room)
    assert [t["text"] for t in translations(channel)] == ["[en] Guten Morgen"]
    await room.close()


async def test_switching_caption_language_resends_the_history_in_the_new_language(
    store: SqliteTranscriptStore,
) -> None:
    room, translator, speaker, readers = room_of(store, ("reader", "en"), ("switcher", None))
    [(_, reader_channel), (switcher, channel)] = readers
    room.captions.publish(speaker, final(1, "Guten Morgen,"))
    room.captions.publish(speaker, final(2, "liebe Kollegen.", continued=False))
    room.captions.publish(speaker, final(3, "Wir beginnen jetzt.", continued=False))
    await settle(room)
    assert len(translations(reader_channel)) == 2
    calls = len(translator.requests)

    room.set_caption_language(switcher, "en")  # kept translations: sent at once, none made
    assert [t["caption_id"] for t in translations(channel)] == ["speaker:2", "speaker:3"]
    assert all(t["history"] for t in translations(channel))
    await settle(room)
    assert len(translator.requests) == calls

    room.set_caption_language(switcher, "fr")  # none kept: translated, newest first
    await settle(room)
    french = [t for t in translations(channel) if t["language"] == "fr"]
    assert [t["caption_id"] for t in french] == ["speaker:3", "speaker:2"]
    assert french[1]["covers"] == ["speaker:1", "speaker:2"]  # the sentence, as it was spoken
    assert french[1]["text"] == "[fr] Guten Morgen, liebe Kollegen."
    assert all(t["history"] for t in french)
    assert [target for _, target in translator.requests[calls:]] == ["fr"] * 2
    await room.close()
