"""The encoder window sized to the audio."""

from __future__ import annotations

import pytest

from rtc_server.asr.decode import window_frames


@pytest.mark.parametrize(
    ("seconds", "window_s"),
    [(0.5, 10), (3.0, 10), (8.0, 10), (8.5, 11), (12.3, 15), (27.5, 30), (40.0, 30)],
)
def test_encoder_window_fits_the_audio_with_room_after_it(seconds: float, window_s: int) -> None:
    assert window_frames(int(seconds * 16_000)) == window_s * 100
