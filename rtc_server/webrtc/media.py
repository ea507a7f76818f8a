"""Received WebRTC audio → 16 kHz mono float32, with gaps filled and lag bounded."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from fractions import Fraction

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from rtc_server.asr.recognizer import SAMPLE_RATE, Audio
from rtc_server.observability import metrics

log = logging.getLogger(__name__)

MAX_GAP_FILL_S = 5.0  # longer gaps (a muted or paused sender) are not worth feeding to the VAD
PTS_TOLERANCE_S = 0.005


class AudioConverter:
    """Decoded frames (aiortc gives s16 stereo 48 kHz) to the recognizer's format.

    Frame timestamps reveal lost or late packets: a jump forward becomes silence, so the
    speaker's timeline stays true; a step back (a duplicate) is dropped.
    """

    def __init__(self) -> None:
        # Channels are averaged here, not by the resampler: its downmix adds 3 dB, which
        # clips loud speech when both channels carry the same (mono) microphone.
        self._resampler = av.AudioResampler(format="fltp", rate=SAMPLE_RATE)
        self._expected_time: float | None = None

    def convert(self, frame: av.AudioFrame) -> list[Audio]:
        chunks: list[Audio] = []
        frame_time = _seconds(frame)
        if frame_time is not None:
            if self._expected_time is not None:
                gap = frame_time - self._expected_time
                if gap < -PTS_TOLERANCE_S:
                    return chunks
                if gap > PTS_TOLERANCE_S:
                    filled = min(gap, MAX_GAP_FILL_S)
                    metrics.AUDIO_GAP_SECONDS.inc(filled)
                    chunks.append(np.zeros(int(filled * SAMPLE_RATE), dtype=np.float32))
            self._expected_time = frame_time + frame.samples / frame.sample_rate
        for resampled in self._resampler.resample(frame):
            chunks.append(resampled.to_ndarray().mean(axis=0, dtype=np.float32))
        return chunks


def _seconds(frame: av.AudioFrame) -> float | None:
    if frame.pts is None:
        return None
    time_base = frame.time_base or Fraction(1, frame.sample_rate)
    return float(frame.pts * time_base)


class LagMeter:
    """How far behind real time the frames we are handed are (their media time vs. wall time)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._origin: float | None = None

    def lag(self, media_time: float) -> float:
        now = self._clock()
        if self._origin is None:
            self._origin = now - media_time
        # A frame arriving early moves the origin so later lag is measured from the best case.
        self._origin = min(self._origin, now - media_time)
        return now - media_time - self._origin


class CatchUp:
    """Which frames to skip once the reader has fallen `max_lag_s` behind real time.

    It skips the backlog down to a quarter of the limit, then measures afresh: if the delay
    was steady rather than a queue, skipping could never shrink it, and must not go on.
    """

    def __init__(self, max_lag_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._max_lag_s = max_lag_s
        self._clock = clock
        self._meter = LagMeter(clock)
        self._to_skip_s = 0.0

    def skip(self, media_time: float, duration_s: float) -> bool:
        lag = self._meter.lag(media_time)
        if self._to_skip_s <= 0 and lag > self._max_lag_s:
            self._to_skip_s = lag - self._max_lag_s / 4
            log.warning("audio %.1f s behind real time: skipping to catch up", lag)
        if self._to_skip_s <= 0:
            return False
        self._to_skip_s -= duration_s
        if self._to_skip_s <= 0 or lag <= self._max_lag_s / 4:
            self._to_skip_s = 0.0
            self._meter = LagMeter(self._clock)
        metrics.AUDIO_DROPPED_SECONDS.inc(duration_s)
        return True


async def pump_audio(
    track: MediaStreamTrack, on_audio: Callable[[Audio], None], max_lag_s: float
) -> None:
    """Read the track until it ends, converting every frame and handing it to `on_audio`.

    aiortc's receive queue is unbounded: when we fall behind, `CatchUp` skips audio rather
    than letting captions drift further and further behind the speaker.
    """
    converter = AudioConverter()
    catch_up = CatchUp(max_lag_s)
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        if not isinstance(frame, av.AudioFrame):
            continue
        metrics.AUDIO_RECEIVED_SECONDS.inc(frame.samples / frame.sample_rate)
        media_time = _seconds(frame)
        if media_time is not None and catch_up.skip(media_time, frame.samples / frame.sample_rate):
            converter = AudioConverter()  # the skipped span is not a network gap
            continue
        for chunk in converter.convert(frame):
            on_audio(chunk)
