"""Offline translation: Whisper's translate task turns foreign speech into English."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rtc_server.asr.model import resolve_model
from rtc_server.asr.recognizer import SAMPLE_RATE
from rtc_server.asr.whisper_engine import WhisperEngine
from rtc_server.settings import Settings
from rtc_server.translation.base import TranslationRequest
from rtc_server.translation.whisper_backend import WhisperTranslator
from tests.support.client import load_audio, synthesize

# Synthetic speech is hard on a small model: plain sentences, spoken slowly.
SPEECH = {
    "de": ("Wir trinken jeden Morgen Kaffee mit Milch.", {"morning", "coffee", "milk"}),
    "es": ("Buenos días. Hoy hace mucho calor en la ciudad.", {"morning", "today", "heat", "hot"}),
}


@pytest.fixture(scope="module")
async def engine() -> AsyncIterator[WhisperEngine]:
    settings = Settings()
    choice = resolve_model("base", settings.model_cache_dir)
    whisper = WhisperEngine.load(choice, "cpu", "int8", 0, 1)
    whisper.start()
    yield whisper
    await whisper.stop()


@pytest.mark.parametrize("language", sorted(SPEECH))
async def test_foreign_speech_is_translated_to_english(
    engine: WhisperEngine, language: str, tmp_path: Path
) -> None:
    text, keywords = SPEECH[language]
    audio = load_audio(synthesize(language, text, tmp_path), rate=SAMPLE_RATE)
    translator = WhisperTranslator(engine, engine.multilingual, beam_size=2)
    streamed: list[str] = []
    request = TranslationRequest("p-1:1", text, language, audio=audio.astype("float32") / 32768)
    english = await translator.translate(request, "en", streamed.append)
    print(f"\n{language}: {english}")
    found = {word for word in keywords if word in english.lower()}
    assert len(found) >= 2, english
    assert streamed == [english]


def test_only_english_is_offered_offline(engine: WhisperEngine) -> None:
    translator = WhisperTranslator(engine, engine.multilingual, beam_size=1)
    assert translator.targets == ["en"]
    assert translator.supports("en") and not translator.supports("fr")
    assert "English" in translator.unavailable_reason("fr")
