"""A speaker's finals grouped into whole sentences for translation.

Long speech reaches the room as several finals ("and so my fellow Americans," then "ask not
what your country can do for you."). Translated one by one, the pieces come out as nonsense
("Guten Morgen" → "2,5"), so pieces wait for the rest of their sentence and the sentence is
translated once; that translation stands for all its pieces (`covers`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rtc_server.asr.recognizer import Audio
from rtc_server.asr.stream import SENTENCE_END

MIN_SENTENCE_WORDS = 3  # a shorter piece that ends in a pause still waits for the next one
MAX_SENTENCE_WORDS = 60  # a sentence this long is translated even if it has not ended
WAIT_S = 4.0  # how long pieces wait for the rest of their sentence before going alone


@dataclass(frozen=True)
class Piece:
    caption_id: str
    text: str
    language: str
    continued: bool  # cut from ongoing speech: the speaker went on
    audio: Audio | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Sentence:
    pieces: tuple[Piece, ...]

    @property
    def caption_id(self) -> str:
        """The caption its translation is attached to: the last piece."""
        return self.pieces[-1].caption_id

    @property
    def covers(self) -> tuple[str, ...]:
        return tuple(piece.caption_id for piece in self.pieces)

    @property
    def language(self) -> str:
        return self.pieces[0].language

    @property
    def text(self) -> str:
        return " ".join(piece.text.strip() for piece in self.pieces)

    @property
    def audio(self) -> Audio | None:
        audio = [piece.audio for piece in self.pieces if piece.audio is not None]
        return np.concatenate(audio) if audio else None


class SentenceAssembler:
    """One speaker's pieces in, whole sentences out. `flush` (after `WAIT_S` without a new
    piece, or when the speaker leaves) lets a waiting fragment go alone."""

    def __init__(self) -> None:
        self._waiting: list[Piece] = []

    @property
    def waiting(self) -> bool:
        return bool(self._waiting)

    def add(self, piece: Piece) -> list[Sentence]:
        ready: list[Sentence] = []
        if self._waiting and self._waiting[0].language != piece.language:
            ready += self.flush()  # a sentence does not change language
        self._waiting.append(piece)
        words = sum(len(p.text.split()) for p in self._waiting)
        ended = piece.text.rstrip().endswith(SENTENCE_END)
        paused = not piece.continued and words >= MIN_SENTENCE_WORDS
        if ended or paused or words >= MAX_SENTENCE_WORDS:
            ready += self.flush()
        return ready

    def flush(self) -> list[Sentence]:
        waiting, self._waiting = self._waiting, []
        return [Sentence(tuple(waiting))] if waiting else []
