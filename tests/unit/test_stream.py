"""The streaming policy with a scripted recognizer: what voice activity keeps from the model."""

from __future__ import annotations

import numpy as np

from rtc_server.asr.recognizer import SAMPLE_RATE
from rtc_server.asr.stream import RecognizeStream
from tests.support.recognize_stream import ScriptedRecognizer, stream_through


async def test_silence_and_noise_never_reach_the_recognizer() -> None:
    recognizer = ScriptedRecognizer()
    rng = np.random.default_rng(3)
    audio = np.concatenate(
        [
            np.zeros(SAMPLE_RATE * 2, np.float32),
            rng.normal(0, 0.02, SAMPLE_RATE * 3).astype(np.float32),
            rng.uniform(-0.3, 0.3, SAMPLE_RATE).astype(np.float32),
        ]
    )
    events = await stream_through(RecognizeStream(recognizer, "en"), audio, real_time=False)
    assert events == [] and recognizer.calls == []
