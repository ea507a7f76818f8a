"""The caption router with fakes: one ordered consumer, write before publish, translations
back through the queue, and no task left behind by an idle room."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from rtc_server.asr.stream import SpeechEvent, SpeechEventType
from rtc_server.rooms.bus import CaptionDelivery, LocalCaptionBus
from rtc_server.rooms.caption_router import CaptionRouter
from rtc_server.rooms.participant import AWAY, Participant
from rtc_server.signaling.caption_messages import Caption, CaptionWithdrawn, Speech, Translation
from rtc_server.storage.store import StoredCaption
from rtc_server.translation.base import TranslationRequest
from rtc_server.translation.service import TranslationService
from tests.support.data_channel import FakeChannel
from tests.support.fake_store import MemoryStore


class UpperCaseTranslator:
    name = "upper"
    targets: ClassVar[list[str]] = ["*"]

    def supports(self, target: str) -> bool:
        return True

    def unavailable_reason(self, target: str) -> str:
        return ""

    async def translate(
        self, request: TranslationRequest, target: str, on_text: Callable[[str], None]
    ) -> str:
        on_text(request.text[:3].upper())
        await asyncio.sleep(0)
        return f"{target}:{request.text.upper()}"


class Audience:
    def __init__(self, *languages: str) -> None:
        self.languages = set(languages)
        self.notices: list[tuple[str, str, str | None]] = []

    def caption_languages(self) -> set[str]:
        return self.languages

    def notify(self, code: str, message: str, language: str | None) -> None:
        self.notices.append((code, message, language))


SPEAKER = Participant(id="p-1", name="Ada", language="de", caption_language=None, connection=AWAY)


def router_with(
    store: MemoryStore, audience: Audience
) -> tuple[CaptionRouter, list[CaptionDelivery]]:
    bus = LocalCaptionBus()
    published: list[CaptionDelivery] = []
    bus.subscribe("r", published.append)
    router = CaptionRouter(
        "r", audience, TranslationService(UpperCaseTranslator()), store, bus, history_size=50
    )
    return router, published


def event(
    kind: SpeechEventType, utterance: int, text: str = "", continued: bool = False
) -> SpeechEvent:
    return SpeechEvent(
        kind, utterance, text=text, language="de", start=0.0, end=1.0, continued=continued
    )


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_nothing_overtakes_a_final_that_is_still_being_written() -> None:
    store = MemoryStore(gated=True)
    router, published = router_with(store, Audience())
    router.publish(SPEAKER, event(SpeechEventType.FINAL, 1, "Guten Morgen."))
    router.publish(SPEAKER, event(SpeechEventType.PARTIAL, 2, "Heute"))
    await settle()
    assert [kind for kind, _, _ in store.writes] == ["caption"]
    assert published == []  # the final waits for its write, and the partial waits for it

    store.finish_writes()
    await settle()
    assert [(d.message.type, d.message.text, d.message.final) for d in published] == [
        ("caption", "Guten Morgen.", True),
        ("caption", "Heute", False),
    ]
    assert published[1].provisional and not published[0].provisional


async def test_a_translation_is_written_then_sent_only_to_its_readers() -> None:
    store = MemoryStore(gated=True)
    router, published = router_with(store, Audience("en", "de"))
    router.publish(SPEAKER, event(SpeechEventType.FINAL, 1, "Guten Morgen."))
    await settle()
    store.finish_writes()
    await settle()
    translated = [d.message for d in published if isinstance(d.message, Translation)]
    assert [t for t in translated if t.final] == []  # not before its write
    assert [kind for kind, _, _ in store.writes] == ["caption", "translation"]
    assert store.writes[1][1]["text"] == "en:GUTEN MORGEN."  # German readers need none

    store.finish_writes()
    await router.finish()
    translations = [d for d in published if isinstance(d.message, Translation)]
    assert [(d.message.text, d.message.final, d.caption_language) for d in translations] == [
        ("GUT", False, "en"),
        ("en:GUTEN MORGEN.", True, "en"),
    ]
    assert translations[0].provisional and not translations[1].provisional


async def test_a_leaving_speakers_unfinished_sentence_is_translated_after_its_last_final() -> None:
    store = MemoryStore(gated=True)
    router, published = router_with(store, Audience("en"))
    router.publish(SPEAKER, event(SpeechEventType.FINAL, 1, "Guten", continued=True))
    router.speaker_left(SPEAKER.id)  # queued behind the final, which is still being written
    await settle()
    assert [kind for kind, _, _ in store.writes] == ["caption"]

    store.finish_writes()
    await settle()
    store.finish_writes()
    await router.finish()
    translated = [d.message for d in published if isinstance(d.message, Translation)]
    assert [t.text for t in translated if t.final] == ["en:GUTEN"]


async def test_speech_events_and_withdrawals_go_to_everyone_in_order() -> None:
    router, published = router_with(MemoryStore(gated=True), Audience())
    router.publish(SPEAKER, event(SpeechEventType.START_OF_SPEECH, 1))
    router.publish(SPEAKER, event(SpeechEventType.FINAL, 1, ""))  # nothing was said after all
    router.publish(SPEAKER, event(SpeechEventType.END_OF_SPEECH, 1))
    await router.finish()
    assert [d.message for d in published] == [
        Speech(speaker=SPEAKER.speaker, speaking=True),
        CaptionWithdrawn(id="p-1:1"),
        Speech(speaker=SPEAKER.speaker, speaking=False),
    ]


async def test_an_idle_router_holds_no_task() -> None:
    store = MemoryStore(gated=True)
    router, _ = router_with(store, Audience())
    before = len(asyncio.all_tasks())
    router.publish(SPEAKER, event(SpeechEventType.PARTIAL, 1, "Guten"))
    assert len(asyncio.all_tasks()) == before + 1  # the consumer, while there is work
    await router.finish()
    await settle()
    assert len(asyncio.all_tasks()) == before


async def test_stored_bodies_are_the_messages_without_what_only_the_wire_needs() -> None:
    store = MemoryStore()
    router, _ = router_with(store, Audience("en"))
    router.publish(SPEAKER, event(SpeechEventType.FINAL, 1, "Guten", continued=True))
    router.speaker_left(SPEAKER.id)
    await router.finish()
    speaker = {"id": "p-1", "name": "Ada"}
    caption = {
        "id": "p-1:1",
        "speaker": speaker,
        "language": "de",
        "text": "Guten",
        "final": True,
        "start": 0.0,
        "end": 1.0,
        "origin": 0,
        "continued": True,
    }
    translation = {
        "caption_id": "p-1:1",
        "speaker": speaker,
        "language": "en",
        "source_language": "de",
        "text": "en:GUTEN",
        "final": True,
    }
    bodies = [body for _, body, _ in store.writes]
    assert bodies == [caption, translation]
    assert [list(body) for body in bodies] == [list(caption), list(translation)]  # key order


def stored(caption_id: str, text: str, **translations: dict[str, Any]) -> StoredCaption:
    body = {
        "id": caption_id,
        "speaker": {"id": "p-1", "name": "Ada"},
        "language": "de",
        "text": text,
        "final": True,
        "start": 0.0,
        "end": 1.0,
        "origin": 0,
    }
    return StoredCaption(body, 1.0, translations)


async def test_stored_history_that_is_no_longer_valid_is_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The room opens with whatever history is still valid; each row left out is logged."""
    good = {
        "caption_id": "p-1:1",
        "speaker": {"id": "p-1", "name": "Ada"},
        "language": "en",
        "source_language": "de",
        "text": "Good morning.",
        "final": True,
    }
    history = [
        stored("p-1:1", "Guten Morgen.", en=good, fr={**good, "language": "fr", "final": "?"}),
        StoredCaption({"id": "p-1:2", "text": "no speaker, no times"}, 2.0, {"en": good}),
        stored("p-1:3", "Bis morgen."),
    ]
    caplog.set_level(logging.WARNING)
    router = CaptionRouter(
        "r",
        Audience(),
        TranslationService(UpperCaseTranslator()),
        MemoryStore(),
        LocalCaptionBus(),
        history_size=50,
        history=history,
    )
    for language in ("en", "fr"):
        reader = Participant(
            id=f"p-{language}", name="Bo", language="en", caption_language=language, connection=AWAY
        )
        channel = FakeChannel()
        reader.captions.attach(channel)
        router.replay_history(reader)
        replayed = [(m["type"], m["text"], m["history"]) for m in channel.sent]
        translated = [("translation", "Good morning.", True)] if language == "en" else []
        assert replayed == [
            ("caption", "Guten Morgen.", True),
            *translated,
            ("caption", "Bis morgen.", True),
        ]
    skipped = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(skipped) == 2
    assert "stored translation p-1:1 skipped" in skipped[0]
    assert "stored caption p-1:2 skipped" in skipped[1]


async def test_finals_and_translations_from_another_instance_become_history_once() -> None:
    """A viewers' room on another instance: what the host publishes is kept for late joiners,
    and a final it also read from the store (written just before it opened) is kept once."""
    router = CaptionRouter(
        "r",
        Audience(),
        TranslationService(UpperCaseTranslator()),
        MemoryStore(),
        LocalCaptionBus(),
        history_size=50,
        history=[stored("p-1:1", "Guten Morgen.")],
    )
    arrived = [
        Caption.model_validate(stored(caption_id, text).body)
        for caption_id, text in [("p-1:1", "Guten Morgen."), ("p-1:2", "Bis morgen.")]
    ]
    partial = arrived[-1].model_copy(update={"id": "p-1:3", "text": "Und", "final": False})
    english = Translation(
        caption_id="p-1:2", speaker=SPEAKER.speaker, language="en", source_language="de",
        text="See you tomorrow.", final=True,
    )  # fmt: skip
    for message in [*arrived, partial, english]:
        router.remember(message)
    reader = Participant(
        id="p-en", name="Bo", language="en", caption_language="en", connection=AWAY
    )
    channel = FakeChannel()
    reader.captions.attach(channel)
    router.replay_history(reader)
    assert [(m["type"], m["text"]) for m in channel.sent] == [
        ("caption", "Guten Morgen."),
        ("caption", "Bis morgen."),
        ("translation", "See you tomorrow."),
    ]
