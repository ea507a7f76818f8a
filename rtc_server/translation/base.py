"""The translator seam: one backend per module, all behind this interface."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from rtc_server.asr.recognizer import Audio


@dataclass(frozen=True)
class TranslationRequest:
    caption_id: str
    text: str
    source_language: str
    audio: Audio | None = field(default=None, repr=False)  # for backends that listen
    context: tuple[str, ...] = ()  # the speaker's previous sentences, oldest first
    covers: tuple[str, ...] = ()  # the captions whose text this is, when more than one


class FailureKind(enum.Enum):
    TRANSIENT = "transient"  # timeout, 429, 5xx, dropped connection: retry with backoff
    REFUSED = "refused"  # invalid key, exhausted quota: pause until the backend recovers


class TranslationError(Exception):
    def __init__(self, kind: FailureKind, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after


class Translator(Protocol):
    name: str

    def supports(self, target: str) -> bool: ...

    def unavailable_reason(self, target: str) -> str: ...

    @property
    def targets(self) -> list[str]:
        """Languages it can produce; ["*"] for any."""
        ...

    async def translate(
        self, request: TranslationRequest, target: str, on_text: Callable[[str], None]
    ) -> str:
        """Translate, calling `on_text` with the text so far while it streams; return the whole
        translation. Raise TranslationError on failure."""
        ...
