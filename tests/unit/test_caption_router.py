"""The caption router with fakes: one ordered consumer, write before publish, translations
back through the queue, and no task left behind by an idle room."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ClassVar

from rtc_server.asr.stream import SpeechEvent, SpeechEventType
from rtc_server.rooms.bus import CaptionDelivery, LocalCaptionBus
from rtc_server.rooms.caption_router import CaptionRouter
from rtc_server.rooms.participant import AWAY, Participant
from rtc_server.translation.base import TranslationRequest
from rtc_server.translation.service import TranslationService
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
    assert [(d.kind, d.body["text"], d.body["final"]) for d in published] == [
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
    final_translations = [d for d in published if d.kind == "translation" and d.body["final"]]
    assert final_translations == []  # not before its write
    assert [kind for kind, _, _ in store.writes] == ["caption", "translation"]
    assert store.writes[1][1]["text"] == "en:GUTEN MORGEN."  # German readers need none

    store.finish_writes()
    await router.finish()
    translations = [d for d in published if d.kind == "translation"]
    assert [(d.body["text"], d.body["final"], d.caption_language) for d in translations] == [
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
    texts = [d.body["text"] for d in published if d.kind == "translation" and d.body["final"]]
    assert texts == ["en:GUTEN"]


async def test_speech_events_and_withdrawals_go_to_everyone_in_order() -> None:
    router, published = router_with(MemoryStore(gated=True), Audience())
    router.publish(SPEAKER, event(SpeechEventType.START_OF_SPEECH, 1))
    router.publish(SPEAKER, event(SpeechEventType.FINAL, 1, ""))  # nothing was said after all
    router.publish(SPEAKER, event(SpeechEventType.END_OF_SPEECH, 1))
    await router.finish()
    assert [(d.kind, d.body) for d in published] == [
        ("speech", {"speaker": {"id": "p-1", "name": "Ada"}, "speaking": True}),
        ("caption_withdrawn", {"id": "p-1:1"}),
        ("speech", {"speaker": {"id": "p-1", "name": "Ada"}, "speaking": False}),
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
