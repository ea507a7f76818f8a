"""The hearing watch: a stall of incoming audio and long uncaptioned speech, each told once."""

from __future__ import annotations

from rtc_server.asr.hearing import AUDIO_STALL_S, UNCAPTIONED_SPEECH_S, Hearing, HearingWatch


def test_audio_that_stops_is_told_once_and_its_return_too() -> None:
    watch = HearingWatch()
    assert watch.check(0.5, 0) == []
    assert watch.check(AUDIO_STALL_S + 0.5, 0) == [Hearing.AUDIO_STOPPED]
    assert watch.check(AUDIO_STALL_S + 5, 0) == []
    assert watch.check(0.02, 0) == [Hearing.AUDIO_RESUMED]
    assert watch.check(0.02, 0) == []


def test_long_speech_without_a_caption_is_told_once_per_utterance() -> None:
    watch = HearingWatch()
    assert watch.check(0.02, UNCAPTIONED_SPEECH_S - 1) == []
    assert watch.check(0.02, UNCAPTIONED_SPEECH_S + 0.5) == [Hearing.SPEECH_UNCAPTIONED]
    assert watch.check(0.02, UNCAPTIONED_SPEECH_S + 3) == []
    assert watch.check(0.02, 0) == []  # a caption showed, or the utterance ended
    assert watch.check(0.02, UNCAPTIONED_SPEECH_S + 1) == [Hearing.SPEECH_UNCAPTIONED]
