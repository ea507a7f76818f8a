"""Streaming voice activity detection with the Silero model that ships inside faster-whisper."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from faster_whisper.vad import get_vad_model

from rtc_server.asr.recognizer import Audio

WINDOW = 512  # samples per Silero decision (32 ms at 16 kHz)
CONTEXT = 64  # samples of the previous window the model sees


class StreamingVad:
    """Speech probability per 32 ms window, keeping the model's recurrent state across calls.

    faster-whisper's own wrapper resets the state on every call, which is right for whole
    files but makes short live chunks look like the start of a recording each time.
    """

    def __init__(self) -> None:
        self._session = get_vad_model().session
        self._state_h = np.zeros((1, 1, 128), dtype=np.float32)
        self._state_c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def process(self, samples: Audio) -> npt.NDArray[np.float32]:
        """Feed audio; return one probability for every complete window now available."""
        audio = np.concatenate([self._pending, samples]) if self._pending.size else samples
        count = audio.size // WINDOW
        self._pending = audio[count * WINDOW :].copy()
        if count == 0:
            return np.zeros(0, dtype=np.float32)
        windows = audio[: count * WINDOW].reshape(count, WINDOW)
        previous = np.vstack([self._context[None, :], windows[:-1, -CONTEXT:]])
        batch = np.concatenate([previous, windows], axis=1).astype(np.float32, copy=False)
        output, self._state_h, self._state_c = self._session.run(
            None, {"input": batch, "h": self._state_h, "c": self._state_c}
        )
        self._context = windows[-1, -CONTEXT:].copy()
        return np.asarray(output, dtype=np.float32).reshape(-1)
