"""Where the speech in a recording is, by the same VAD the server uses (Silero, 32 ms windows)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bench.scoring import Span, speech_segments
from rtc_server.asr.recognizer import SAMPLE_RATE
from rtc_server.asr.vad import WINDOW, StreamingVad
from tests.support.client import RATE

LEAD_S = 0.5  # silence before the first words, so the connection has settled
WINDOW_S = WINDOW / SAMPLE_RATE
THRESHOLD = 0.5


def vad_probabilities(audio: npt.NDArray[np.int16]) -> npt.NDArray[np.float32]:
    """Speech probability per window of a 48 kHz int16 recording."""
    step = RATE // SAMPLE_RATE  # averaging each group of samples filters before decimating
    usable = audio[: audio.size - audio.size % step].reshape(-1, step)
    samples = (usable.mean(axis=1) / 32768).astype(np.float32)
    return StreamingVad().process(samples)


def speech_span(audio: npt.NDArray[np.int16]) -> tuple[float, float]:
    """Seconds from the start of the recording to its first and past its last speech."""
    voiced = np.flatnonzero(vad_probabilities(audio) >= THRESHOLD)
    return voiced[0] * WINDOW_S, (voiced[-1] + 1) * WINDOW_S


def utterances(audio: npt.NDArray[np.int16], endpoint_pause_s: float) -> list[Span]:
    """The recording's utterances as the server should end them (pauses ≥ its endpoint)."""
    return speech_segments(vad_probabilities(audio), WINDOW_S, THRESHOLD, endpoint_pause_s)
