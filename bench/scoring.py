"""From spoken utterances and received captions to latency figures: pure functions, no I/O.

Times are seconds on one clock (the benchmark's monotonic clock). A caption's `start`/`end`
(seconds of the speaker's audio, as the server counts them) are put on that clock by adding
the moment the speaker's first sample went out.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Span:
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start

    def overlap(self, other: Span) -> float:
        return max(0.0, min(self.end, other.end) - max(self.start, other.start))


@dataclass(frozen=True)
class CaptionRecord:
    """One `caption` message: the audio it covers and when it arrived."""

    span: Span
    final: bool
    at: float
    text: str = ""
    language: str | None = None


@dataclass(frozen=True)
class Scored:
    """One spoken utterance: when its first text and its (last) final caption arrived."""

    span: Span
    first_text_at: float | None
    final_at: float | None

    @property
    def first_text_s(self) -> float | None:
        return None if self.first_text_at is None else self.first_text_at - self.span.start

    @property
    def final_latency_s(self) -> float | None:
        return None if self.final_at is None else self.final_at - self.span.end


def speech_segments(
    probabilities: npt.NDArray[np.float32], window_s: float, threshold: float, merge_gap_s: float
) -> list[Span]:
    """Runs of voiced VAD windows, joined when the pause between them is shorter than
    `merge_gap_s` (the server's endpoint pause: a shorter pause does not end an utterance)."""
    voiced = np.append(probabilities >= threshold, False)
    segments: list[Span] = []
    start: int | None = None
    for index, is_voiced in enumerate(voiced):
        if is_voiced and start is None:
            start = index
        elif not is_voiced and start is not None:
            span = Span(start * window_s, index * window_s)
            if segments and span.start - segments[-1].end < merge_gap_s:
                span = Span(segments[-1].start, span.end)
                segments.pop()
            segments.append(span)
            start = None
    return segments


def _owners(caption: Span, utterances: Sequence[Span]) -> list[int]:
    """The utterances a caption speaks for: the one it overlaps most, and every utterance it
    covers at least half of (a caption that merges two sentences is the final of both)."""
    overlaps = [caption.overlap(u) for u in utterances]
    if not overlaps or max(overlaps) <= 0:
        return []
    best = overlaps.index(max(overlaps))
    return [
        i
        for i, (u, o) in enumerate(zip(utterances, overlaps, strict=True))
        if i == best or (o > 0 and o >= u.duration / 2)
    ]


def score(utterances: Sequence[Span], captions: Iterable[CaptionRecord]) -> list[Scored]:
    """Match captions to utterances by the audio they cover.

    An utterance's final latency runs to the last final that speaks for it (long speech may be
    finalized in several pieces); it has no final (missed) when none does. Its first text is
    the earliest caption, partial or final, that speaks for it.
    """
    first: list[float | None] = [None] * len(utterances)
    final: list[float | None] = [None] * len(utterances)
    for caption in captions:
        for i in _owners(caption.span, utterances):
            earliest = first[i]
            first[i] = caption.at if earliest is None else min(earliest, caption.at)
            latest = final[i]
            if caption.final:
                final[i] = caption.at if latest is None else max(latest, caption.at)
    return [Scored(u, f, e) for u, f, e in zip(utterances, first, final, strict=True)]


def final_delays(utterances: Sequence[Span], captions: Iterable[CaptionRecord]) -> list[float]:
    """For each final caption: from the end of the speech it covers to its arrival.

    Continuous speech is one utterance finalized in pieces: each piece covers speech up to its
    own end. A final that covers no speech (text made up from silence) has no delay."""
    delays = []
    for caption in captions:
        covered = [u.end for u in utterances if caption.final and caption.span.overlap(u) > 0]
        if covered:
            delays.append(caption.at - min(caption.span.end, max(covered)))
    return delays


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0-100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Drift:
    slope_s_per_min: float | None  # least-squares slope of final latency over the run
    first_minute_p50_s: float | None
    last_minute_p50_s: float | None


def drift(scored: Sequence[Scored], run_start: float) -> Drift:
    """Whether final latency grows over a run: by slope, and first minute against last."""
    points = [
        (s.span.end - run_start, latency)
        for s in scored
        if (latency := s.final_latency_s) is not None
    ]
    if len(points) < 3:
        return Drift(None, None, None)
    times = [t for t, _ in points]
    if max(times) - min(times) < 1:
        return Drift(None, None, None)
    slope = statistics.linear_regression(times, [v for _, v in points]).slope * 60
    if max(times) < 120:  # no separate first and last minute
        return Drift(slope, None, None)
    last_from = max(times) - 60
    first_minute = [v for t, v in points if t < 60]
    last_minute = [v for t, v in points if t >= last_from]
    return Drift(
        slope,
        statistics.median(first_minute) if first_minute else None,
        statistics.median(last_minute) if last_minute else None,
    )
