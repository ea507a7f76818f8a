"""Audio from aiortc made ready for the recognizer: conversion, gaps, lag, catching up."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from rtc_server.webrtc.media import AudioConverter, CatchUp, LagMeter


def frame(pts: int, samples: int = 960, value: int = 1000) -> av.AudioFrame:
    """What aiortc's Opus decoder hands over: s16, stereo, 48 kHz, 20 ms."""
    data = np.full((1, samples * 2), value, dtype=np.int16)
    audio = av.AudioFrame.from_ndarray(data, format="s16", layout="stereo")
    audio.sample_rate = 48_000
    audio.pts = pts
    audio.time_base = Fraction(1, 48_000)
    return audio


def test_frames_become_16k_mono_float32() -> None:
    converter = AudioConverter()
    out = np.concatenate(
        [c for pts in range(0, 960 * 50, 960) for c in converter.convert(frame(pts))]
    )
    assert out.dtype == np.float32
    assert abs(out.size - 16_000) <= 400  # one second (the resampler holds a few samples back)
    assert np.allclose(out[100:-100], 1000 / 32768, atol=1e-3)


def test_a_gap_in_timestamps_is_filled_with_silence_and_duplicates_dropped() -> None:
    converter = AudioConverter()
    converter.convert(frame(0))
    gap = converter.convert(frame(960 + 48_000))  # one second missing
    assert gap[0].size == 16_000 and not gap[0].any()
    assert converter.convert(frame(960)) == []  # late duplicate of the past


def test_lag_meter_measures_from_the_best_arrival() -> None:
    now = [100.0]
    meter = LagMeter(clock=lambda: now[0])
    assert meter.lag(0.0) == 0
    now[0] = 101.0
    assert meter.lag(1.0) == pytest.approx(0.0)
    now[0] = 104.0
    assert meter.lag(2.0) == pytest.approx(2.0)  # the frame of t=2 s arrived 2 s late


def test_catch_up_skips_a_backlog_then_resumes() -> None:
    now = [0.0]
    catch_up = CatchUp(max_lag_s=2.0, clock=lambda: now[0])
    assert catch_up.skip(0.0, 0.02) is False
    now[0] = 3.0  # stalled for 3 s: 150 frames are queued and now arrive at once
    skipped = [catch_up.skip(0.02 * i, 0.02) for i in range(1, 151)]
    assert skipped[0] and not skipped[-1]
    assert 0.02 * sum(skipped) <= 3.0 - 0.5 + 0.05  # down to a quarter of the limit


def test_catch_up_never_skips_forever_under_steady_delay() -> None:
    now = [0.0]
    catch_up = CatchUp(max_lag_s=2.0, clock=lambda: now[0])
    delivered = 0
    for i in range(1000):  # every frame arrives 3 s late, at real-time pace
        media = 0.02 * i
        now[0] = media + (3.0 if i else 0.0)
        delivered += not catch_up.skip(media, 0.02)
    assert delivered > 850  # one bounded skip, then audio flows again
