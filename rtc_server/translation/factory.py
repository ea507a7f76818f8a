"""Choose and build the translation backend the settings ask for."""

from __future__ import annotations

from openai import AsyncOpenAI

from rtc_server.asr.whisper_engine import WhisperEngine
from rtc_server.settings import Settings
from rtc_server.translation.base import Translator
from rtc_server.translation.openai_backend import OpenAITranslator
from rtc_server.translation.service import RetryPolicy, TranslationService
from rtc_server.translation.whisper_backend import WhisperTranslator


def build_translator(settings: Settings, engine: WhisperEngine) -> Translator | None:
    choice = settings.translator
    if choice == "auto":
        choice = "openai" if settings.openai_api_key is not None else "whisper"
    if choice == "openai":
        assert settings.openai_api_key is not None  # checked when settings load
        client = AsyncOpenAI(
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,
            timeout=settings.openai_timeout_s,
            max_retries=0,  # the service retries, with its own policy
        )
        return OpenAITranslator(
            client,
            settings.openai_model,
            settings.openai_temperature,
            settings.glossary,
            settings.translation_context,
        )
    if choice == "whisper":
        return WhisperTranslator(engine, engine.multilingual, settings.final_beam_size)
    return None


def build_translation_service(settings: Settings, engine: WhisperEngine) -> TranslationService:
    policy = RetryPolicy(
        attempts=settings.openai_max_retries + 1, pause_s=settings.translation_retry_pause_s
    )
    return TranslationService(build_translator(settings, engine), policy)
