"""Small pure pieces: audio conversion, text guards, message splitting, language codes."""

from __future__ import annotations

import json
from fractions import Fraction

import av
import numpy as np
import pytest

from rtc_server.asr.decode import window_frames
from rtc_server.asr.text import (
    agreed_prefix,
    collapse_repeats,
    is_low_confidence,
    normalize_word,
    overlap_length,
    strip_repeated_start,
)
from rtc_server.languages import display_name, from_whisper, normalize_language, to_whisper
from rtc_server.webrtc.caption_channel import (
    MAX_CHANNEL_MESSAGE_BYTES,
    CaptionChannel,
    split_message,
)
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


def test_decoding_loops_are_cut_and_real_repetition_kept() -> None:
    def words(text: str) -> str:
        return " ".join(collapse_repeats(text.split(), key=normalize_word))

    assert words("thank you thank you thank you thank you so much") == "thank you thank you so much"
    assert words("no no no no no") == "no no"
    assert words("ask not what your country can do for you ask what you can do") == (
        "ask not what your country can do for you ask what you can do"
    )


def test_chunk_joins_and_agreement() -> None:
    assert overlap_length(["for", "your", "country"], ["country", "and", "more"]) == 1
    assert overlap_length(["a", "b"], ["c"]) == 0
    assert strip_repeated_start("ask what you can do for", "for your country.") == "your country."
    assert strip_repeated_start("That is distant.", "Is distant, they said.") == "they said."
    # The same sentence again is said again, not an overlap.
    assert strip_repeated_start("It is far.", "It is far.") == "It is far."
    assert agreed_prefix(["and", "so", "my"], ["and", "so", "me", "fellow"]) == 2


@pytest.mark.parametrize(
    ("logprob", "no_speech", "text", "dropped"),
    [
        (-0.2, 0.1, "And so my fellow Americans.", False),
        (-1.2, 0.8, "Some words.", True),  # Whisper's own silence rule
        (-2.5, 0.0, "Garbled.", True),
        (-0.7, 0.4, "Thank you.", True),  # the classic silence phrase, unsure
        (-0.1, 0.05, "Thank you.", False),  # said clearly
    ],
)
def test_low_confidence_output_is_dropped(
    logprob: float, no_speech: float, text: str, dropped: bool
) -> None:
    assert is_low_confidence(logprob, no_speech, text) is dropped


def test_long_text_is_split_under_the_datagram_limit() -> None:
    body = {"v": 1, "type": "caption", "id": "p-1:1", "text": "Grüße aus Köln " * 300}
    pieces = list(split_message(body))
    assert len(pieces) > 1 and "".join(p["text"] for p in pieces) == body["text"]
    assert [p["part"] for p in pieces] == list(range(len(pieces)))
    assert {p["parts"] for p in pieces} == {len(pieces)}
    for piece in pieces:
        assert (
            len(json.dumps({**piece, "seq": 10**6}, ensure_ascii=False).encode())
            <= MAX_CHANNEL_MESSAGE_BYTES
        )


class FakeChannel:
    def __init__(self, buffered: int = 0) -> None:
        self.readyState = "open"
        self.bufferedAmount = buffered
        self.sent: list[dict[str, object]] = []

    def send(self, data: str) -> None:
        self.sent.append(json.loads(data))


def test_slow_listener_skips_partials_but_never_finals() -> None:
    channel = CaptionChannel()
    fake = FakeChannel(buffered=10**7)
    channel.attach(fake)
    assert channel.send("caption", {"text": "draft", "final": False}, provisional=True) is False
    assert channel.send("caption", {"text": "done", "final": True}) is True
    assert [m["text"] for m in fake.sent] == ["done"]
    assert fake.sent[0]["seq"] == 1 and fake.sent[0]["v"] == 1


@pytest.mark.parametrize(
    ("code", "expected"),
    [("pt-BR", "pt"), ("zh_Hans_CN", "zh"), ("EN", "en"), ("iw", "he"), ("nb", "no"), ("jv", "jv")],
)
def test_language_codes_are_normalized(code: str, expected: str) -> None:
    assert normalize_language(code) == expected


def test_whisper_codes_map_both_ways_and_have_names() -> None:
    assert to_whisper("jv") == "jw" and from_whisper("jw") == "jv"
    assert display_name("de") == "German" and display_name("yue") == "Cantonese"
    with pytest.raises(ValueError, match="unknown language"):
        normalize_language("xx-YY")


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


@pytest.mark.parametrize(
    ("seconds", "window_s"),
    [(0.5, 10), (3.0, 10), (8.0, 10), (8.5, 11), (12.3, 15), (27.5, 30), (40.0, 30)],
)
def test_encoder_window_fits_the_audio_with_room_after_it(seconds: float, window_s: int) -> None:
    assert window_frames(int(seconds * 16_000)) == window_s * 100
