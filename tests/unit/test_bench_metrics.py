"""The live benchmark's arithmetic: utterances from VAD, captions matched to them, latencies."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from bench.live import Recording, program
from bench.scoring import (
    CaptionRecord,
    Span,
    drift,
    final_delays,
    percentile,
    score,
    speech_segments,
)
from bench.speech import LEAD_S, speech_span, utterances
from tests.support.client import RATE, load_audio, silence
from tests.support.servers import TESTDATA

WINDOW_S = 0.032


def voiced(*runs: tuple[int, int], length: int = 200) -> np.ndarray:
    probabilities = np.zeros(length, dtype=np.float32)
    for first, last in runs:
        probabilities[first:last] = 0.9
    return probabilities


def test_pauses_shorter_than_the_endpoint_do_not_split_an_utterance() -> None:
    # Runs 10 windows apart (0.32 s) merge under a 0.6 s endpoint; 30 apart (0.96 s) do not.
    segments = speech_segments(voiced((5, 20), (30, 50), (80, 90)), WINDOW_S, 0.5, 0.6)
    assert segments == [
        Span(5 * WINDOW_S, 50 * WINDOW_S),
        Span(80 * WINDOW_S, 90 * WINDOW_S),
    ]


def test_speech_running_to_the_end_of_the_audio_is_an_utterance() -> None:
    assert speech_segments(voiced((190, 200)), WINDOW_S, 0.5, 0.6) == [
        Span(190 * WINDOW_S, 200 * WINDOW_S)
    ]
    assert speech_segments(voiced(), WINDOW_S, 0.5, 0.6) == []


def partial(start: float, end: float, at: float) -> CaptionRecord:
    return CaptionRecord(Span(start, end), False, at)


def final(start: float, end: float, at: float) -> CaptionRecord:
    return CaptionRecord(Span(start, end), True, at)


def test_each_utterance_gets_its_own_final_despite_padding_into_the_next() -> None:
    utterances = [Span(1.0, 3.0), Span(4.0, 6.0)]
    captions = [
        partial(0.8, 1.6, at=1.9),
        final(0.8, 4.2, at=3.9),  # padded with the trailing pause, touches the second one
        partial(3.8, 4.9, at=5.2),
        final(4.2, 6.8, at=7.1),
    ]
    first, second = score(utterances, captions)
    assert first.first_text_s == pytest.approx(0.9)
    assert first.final_latency_s == pytest.approx(0.9)
    assert second.first_text_s == pytest.approx(1.2)
    assert second.final_latency_s == pytest.approx(1.1)


def test_long_speech_finalized_in_pieces_counts_until_the_last_piece() -> None:
    (long,) = score([Span(0.0, 12.0)], [final(0.0, 5.0, 5.5), final(5.0, 12.6, 13.4)])
    assert long.first_text_s == pytest.approx(5.5)
    assert long.final_latency_s == pytest.approx(1.4)


def test_one_final_for_two_utterances_finalizes_both() -> None:
    both = score([Span(1.0, 2.0), Span(2.5, 4.0)], [final(0.9, 4.4, 5.0)])
    assert [s.final_latency_s for s in both] == pytest.approx([3.0, 1.0])


def test_an_utterance_with_only_partials_or_nothing_is_missed() -> None:
    scored = score(
        [Span(1.0, 2.0), Span(5.0, 6.0), Span(9.0, 10.0)],
        [final(0.9, 2.3, 2.8), partial(4.9, 5.6, 6.0)],
    )
    assert [s.final_at is None for s in scored] == [False, True, True]
    assert scored[1].first_text_s == pytest.approx(1.0)
    assert scored[2].first_text_s is None


def test_percentiles_are_nearest_rank() -> None:
    values = [0.5, 0.1, 0.4, 0.2, 0.3]
    assert percentile(values, 50) == 0.3
    assert percentile(values, 95) == 0.5
    assert percentile([], 50) is None


def test_drift_is_the_growth_of_final_latency_over_the_run() -> None:
    # Final latency grows from 0.5 s by 0.25 s per minute over a five-minute run.
    utterances = [Span(t, t + 2.0) for t in range(0, 300, 10)]
    captions = [final(u.start, u.end, u.end + 0.5 + u.end / 240) for u in utterances]
    trend = drift(score(utterances, captions), run_start=0.0)
    assert trend.slope_s_per_min == pytest.approx(0.25)
    assert trend.first_minute_p50_s is not None and trend.last_minute_p50_s is not None
    assert trend.last_minute_p50_s - trend.first_minute_p50_s == pytest.approx(1.0, abs=0.1)
    flat = drift(score(utterances, [final(u.start, u.end, u.end + 0.7) for u in utterances]), 0)
    assert flat.slope_s_per_min == pytest.approx(0.0, abs=1e-9)


def test_a_program_repeats_the_recording_with_its_utterances_until_the_duration() -> None:
    recording = Recording("two seconds", silence(2.0), "hello world", [Span(0.5, 1.5)])
    said = program(recording, duration_s=10.0)
    period = 2.0 + 1.5  # the recording and the silence after it
    assert said.utterances == [
        Span(LEAD_S + k * period + 0.5, LEAD_S + k * period + 1.5) for k in range(3)
    ]
    assert said.reference == "hello world hello world hello world"
    assert said.seconds == pytest.approx(LEAD_S + 3 * 2.0 + 2 * 1.5 + 3.0)
    assert program(recording, duration_s=0).utterances == [Span(LEAD_S + 0.5, LEAD_S + 1.5)]


def test_utterances_of_a_real_recording_by_the_server_vad() -> None:
    audio = load_audio(TESTDATA / "jfk.flac")
    spans = utterances(audio, endpoint_pause_s=0.6)
    assert len(spans) >= 2  # the speech has long pauses
    assert all(later.start - earlier.end >= 0.6 for earlier, later in pairwise(spans))
    assert spans[0].start >= 0 and spans[-1].end <= audio.size / RATE
    assert speech_span(audio) == pytest.approx((spans[0].start, spans[-1].end))
    assert len(utterances(audio, endpoint_pause_s=5.0)) == 1


def test_each_final_is_timed_from_the_end_of_the_speech_it_covers() -> None:
    utterances = [Span(1.0, 12.0), Span(15.0, 16.0)]
    captions = [
        final(1.0, 6.0, at=7.0),  # a piece of continuous speech: its own end
        partial(6.0, 9.0, at=9.5),
        final(6.0, 12.8, at=13.5),  # padded past the speech: the speech's end
        final(13.0, 14.0, at=14.5),  # made up from silence: no delay
        final(14.8, 16.4, at=16.6),
    ]
    assert final_delays(utterances, captions) == pytest.approx([1.0, 1.5, 0.6])
