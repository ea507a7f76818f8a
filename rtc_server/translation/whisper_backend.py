"""Offline translation: Whisper's own translate task (any language → English) on the audio."""

from __future__ import annotations

from collections.abc import Callable

from rtc_server.asr.recognizer import DecodeRequest, Priority, SpeechRecognizer
from rtc_server.translation.base import FailureKind, TranslationError, TranslationRequest


class WhisperTranslator:
    name = "whisper"

    def __init__(self, recognizer: SpeechRecognizer, multilingual: bool, beam_size: int) -> None:
        self._recognizer = recognizer
        self._multilingual = multilingual
        self._beam_size = beam_size

    @property
    def targets(self) -> list[str]:
        return ["en"] if self._multilingual else []

    def supports(self, target: str) -> bool:
        return self._multilingual and target == "en"

    def unavailable_reason(self, target: str) -> str:
        if not self._multilingual:
            return (
                "This server's speech model is English-only, so it cannot translate. "
                "Set RTC_WHISPER_MODEL=base to translate into English, or RTC_TRANSLATOR=openai "
                "with RTC_OPENAI_API_KEY (and RTC_OPENAI_BASE_URL for a local OpenAI-compatible "
                "server) for every language."
            )
        return (
            "This server translates offline, into English only. To translate into other "
            "languages, set RTC_TRANSLATOR=openai with RTC_OPENAI_API_KEY (and "
            "RTC_OPENAI_BASE_URL for a local OpenAI-compatible server)."
        )

    async def translate(
        self, request: TranslationRequest, target: str, on_text: Callable[[str], None]
    ) -> str:
        if request.audio is None or request.audio.size == 0:
            raise TranslationError(FailureKind.REFUSED, "no audio to translate from")
        decode = DecodeRequest(
            audio=request.audio,
            language=request.source_language or None,
            task="translate",
            beam_size=self._beam_size,
        )
        hypothesis = await self._recognizer.recognize(decode, Priority.TRANSLATE)
        text = hypothesis.text if hypothesis else ""
        on_text(text)
        return text
