"""The seam between streaming policy and inference: requests in, hypotheses out."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

Audio = npt.NDArray[np.float32]
SAMPLE_RATE = 16_000


class Priority(enum.IntEnum):
    """Lower runs first: finals are never shed; a speculative final (a decode started at the
    first silence after speech, which becomes the final if the pause lasts) comes next, then
    translations, and partials last."""

    FINAL = 0
    SPECULATIVE = 1
    TRANSLATE = 2
    PARTIAL = 3


@dataclass(frozen=True)
class DecodeRequest:
    audio: Audio
    language: str | None = None  # None: detect (see `language_id`)
    task: Literal["transcribe", "translate"] = "transcribe"
    beam_size: int = 1
    word_timestamps: bool = False
    prompt: str | None = None
    prompt_language: str | None = None  # the prompt is used only for a decode in this language
    candidates: frozenset[str] = frozenset()  # detection: the languages expected (empty: any)
    current_language: str | None = None  # detection: the speaker's language so far


@dataclass(frozen=True)
class Word:
    text: str
    start: float  # seconds from the start of the request's audio
    end: float


@dataclass(frozen=True)
class Hypothesis:
    text: str
    language: str
    words: tuple[Word, ...] = field(default=())
    language_decided: bool = True  # False: detected on too little evidence to keep


class SpeechRecognizer(Protocol):
    """A shared recognizer. `key` identifies the stream: any newer request of a stream replaces
    its partial request that has not started yet (which then resolves to None)."""

    async def recognize(
        self, request: DecodeRequest, priority: Priority, key: object | None = None
    ) -> Hypothesis | None: ...
