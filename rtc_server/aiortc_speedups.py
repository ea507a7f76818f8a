"""A vectorized stand-in for one hot pure-Python loop in aiortc.

aiortc computes the RFC 6465 audio level of every outgoing audio frame sample by sample in
Python; with the audio relay on, that loop alone took a fifth of the server's CPU in a room of
six. The replacement computes the same value with numpy.
"""

from __future__ import annotations

import math

import aiortc.rtp
import numpy as np
from av import AudioFrame

MAX_SAMPLE_VALUE = 32767
MIN_AUDIO_LEVEL = -127


def compute_audio_level_dbov(frame: AudioFrame) -> int:
    """Same result as `aiortc.rtp.compute_audio_level_dbov` (including its use of every
    value in the first plane), in a fraction of the time."""
    samples = np.frombuffer(memoryview(frame.planes[0]), dtype=np.int16).astype(np.float64)
    energy = float(np.dot(samples, samples))
    rms = math.sqrt(energy / (frame.samples * MAX_SAMPLE_VALUE * MAX_SAMPLE_VALUE))
    if rms <= 0:
        return MIN_AUDIO_LEVEL
    return round(min(max(20 * math.log10(rms), MIN_AUDIO_LEVEL), 0))


def install() -> None:
    aiortc.rtp.compute_audio_level_dbov = compute_audio_level_dbov
