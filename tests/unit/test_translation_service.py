"""The translation service with the real `openai` client against a local compatible server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from openai import AsyncOpenAI

from rtc_server.translation.base import TranslationRequest
from rtc_server.translation.openai_backend import OpenAITranslator
from rtc_server.translation.service import RetryPolicy, TranslationService, TranslationStats
from tests.support.servers import FakeOpenAI, Fault, fake_translation


class Listener:
    """Collects what the service delivers and the notices it raises."""

    def __init__(self) -> None:
        self.partials: list[str] = []
        self.finals: list[str] = []
        self.notices: list[str] = []

    def deliver(self, text: str, final: bool) -> None:
        (self.finals if final else self.partials).append(text)

    def notify(self, code: str, message: str, language: str | None) -> None:
        self.notices.append(code)


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(word_delay_s=0.01) as server:
        yield server


def make_service(
    fake: FakeOpenAI, pause_s: float = 30.0, glossary: dict[str, str] | None = None
) -> TranslationService:
    client = AsyncOpenAI(base_url=fake.base_url, api_key="test", timeout=1.0, max_retries=0)
    translator = OpenAITranslator(client, "test-model", 0.0, glossary or {}, context_sentences=2)
    return TranslationService(
        translator, RetryPolicy(attempts=3, base_delay_s=0.05, pause_s=pause_s)
    )


def request(
    text: str = "Ask not what your country can do for you.", caption_id: str = "p-1:1"
) -> TranslationRequest:
    return TranslationRequest(
        caption_id=caption_id,
        text=text,
        source_language="en",
        context=("First sentence.", "Second sentence.", "Third sentence."),
    )


async def translate(
    service: TranslationService,
    listener: Listener,
    target: str = "de",
    req: TranslationRequest | None = None,
) -> None:
    await service.translate(
        req or request(), target, listener.deliver, listener.notify, TranslationStats()
    )


async def test_streams_partial_text_then_one_final(fake: FakeOpenAI) -> None:
    service, listener = make_service(fake), Listener()
    await translate(service, listener)
    expected = fake_translation("de", request().text)
    assert listener.finals == [expected]
    assert len(listener.partials) >= 3
    assert expected.startswith(listener.partials[0]) and listener.partials[-1] == expected
    assert [call.stream for call in fake.calls] == [True]


async def test_prompt_carries_context_glossary_and_asks_for_translation_only(
    fake: FakeOpenAI,
) -> None:
    service, listener = make_service(fake, glossary={"ComfyUI": "ComfyUI"}), Listener()
    await translate(service, listener)
    system = fake.calls[0].messages[0]["content"]
    assert "to German" in system and "translation" in system and "only" in system
    assert "ComfyUI → ComfyUI" in system
    assert "Second sentence." in system and "Third sentence." in system
    assert "First sentence." not in system  # only the last two, as configured
    assert fake.calls[0].messages[-1]["content"] == request().text


async def test_same_sentence_is_translated_once_per_language(fake: FakeOpenAI) -> None:
    service = make_service(fake)
    listeners = [Listener() for _ in range(4)]
    await asyncio.gather(
        *(translate(service, each, "de") for each in listeners[:2]),
        *(translate(service, each, "fr") for each in listeners[2:]),
    )
    await translate(service, Listener(), "de", request(caption_id="p-1:2"))  # cached
    assert sorted(call.target for call in fake.calls) == ["de", "fr"]
    assert [each.finals for each in listeners] == [[fake_translation("de", request().text)]] * 2 + [
        [fake_translation("fr", request().text)]
    ] * 2


async def test_no_call_when_source_is_already_the_target(fake: FakeOpenAI) -> None:
    service, listener = make_service(fake), Listener()
    await translate(service, listener, "en")
    assert fake.calls == [] and listener.finals == []


@pytest.mark.parametrize(
    "fault",
    [
        Fault("delay", seconds=1.5),  # beyond the 1 s client timeout
        Fault("status", status=500),
        Fault("status", status=503),
        Fault("drop"),
    ],
    ids=["timeout", "500", "503", "dropped-mid-stream"],
)
async def test_transient_failure_is_retried_and_delivered_once(
    fake: FakeOpenAI, fault: Fault
) -> None:
    service, listener = make_service(fake), Listener()
    fake.faults.append(fault)
    await translate(service, listener)
    assert listener.finals == [fake_translation("de", request().text)]
    assert len(fake.calls) == 2
    assert listener.notices == []


async def test_429_waits_for_retry_after(fake: FakeOpenAI) -> None:
    service, listener = make_service(fake), Listener()
    fake.faults.append(Fault("status", status=429, headers={"Retry-After": "1"}))
    await translate(service, listener)
    assert listener.finals == [fake_translation("de", request().text)]
    assert fake.calls[1].at - fake.calls[0].at >= 0.95


@pytest.mark.parametrize(
    "fault",
    [Fault("status", status=401), Fault("status", status=429, code="insufficient_quota")],
    ids=["invalid-key", "quota-exhausted"],
)
async def test_refusal_pauses_once_then_resumes_by_itself(fake: FakeOpenAI, fault: Fault) -> None:
    service, listener = make_service(fake, pause_s=0.5), Listener()
    fake.always = fault
    for index in range(3):
        await translate(service, listener, req=request(f"Sentence {index}.", f"p-1:{index}"))
    assert listener.finals == []
    assert listener.notices == ["translation_paused"]  # said once, not per caption
    assert len(fake.calls) == 1  # no retries against a refusal, no calls while paused
    fake.always = None
    await asyncio.sleep(0.6)
    await translate(service, listener, req=request("Back again.", "p-1:9"))
    assert listener.finals == [fake_translation("de", "Back again.")]
    assert listener.notices == ["translation_paused", "translation_resumed"]


async def test_unreachable_service_gives_up_within_bounds(fake: FakeOpenAI) -> None:
    fake.always = Fault("status", status=500)
    service, listener = make_service(fake), Listener()
    started = time.monotonic()
    await translate(service, listener)
    assert time.monotonic() - started < 3
    assert len(fake.calls) == 3 and listener.finals == []
    assert listener.notices == ["translation_paused"]
