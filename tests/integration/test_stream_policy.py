"""The streaming policy on recorded audio, without WebRTC."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import numpy as np
import pytest

from rtc_server.asr.model import resolve_model
from rtc_server.asr.recognizer import SAMPLE_RATE, DecodeRequest, Hypothesis, Priority
from rtc_server.asr.stream import RecognizeStream, SpeechEvent, SpeechEventType, StreamOptions
from rtc_server.asr.vad import WINDOW, StreamingVad
from rtc_server.asr.whisper_engine import WhisperEngine
from rtc_server.settings import Settings
from tests.support.recognize_stream import (
    CHUNK,
    ScriptedRecognizer,
    of_type,
    recording,
    stream_through,
)
from tests.support.transcripts import JFK, consecutive_duplicates, normalized_wer


@pytest.fixture(scope="module")
async def engine() -> AsyncIterator[WhisperEngine]:
    whisper = WhisperEngine.load(
        resolve_model("base", Settings().model_cache_dir), "cpu", "int8", 0, 1
    )
    whisper.start()
    yield whisper
    await whisper.stop()


@pytest.mark.slow
async def test_long_speech_is_committed_in_pieces_while_it_goes_on(engine: WhisperEngine) -> None:
    # A 2 s endpoint turns JFK's pauses into one long utterance: only agreement can commit it.
    options = StreamOptions(endpoint_silence_s=2.0, commit_after_s=4.0, max_utterance_s=12.0)
    audio = np.concatenate([recording("jfk.flac"), np.zeros(SAMPLE_RATE * 3, np.float32)])
    events = await stream_through(RecognizeStream(engine, "en", options), audio)
    finals = [(at, e) for at, e in events if e.type is SpeechEventType.FINAL]
    text = " ".join(e.text for _, e in finals)
    assert len(finals) >= 2, text
    assert finals[0][0] < 11.0, "nothing was committed before the speech ended"
    assert normalized_wer(JFK, text) <= 0.15, text
    assert not consecutive_duplicates(text), text
    assert [e.start for _, e in finals] == sorted(e.start for _, e in finals)
    assert all(e.end - e.start <= options.max_utterance_s + 0.1 for _, e in finals)


@pytest.mark.slow
async def test_pauses_end_utterances_with_partials_first(engine: WhisperEngine) -> None:
    audio = np.concatenate(
        [recording("stereo_diarization.wav", 0), np.zeros(SAMPLE_RATE * 2, np.float32)]
    )
    events = await stream_through(RecognizeStream(engine, None), audio)
    kinds = [e.type for _, e in events]
    assert kinds[0] is SpeechEventType.START_OF_SPEECH
    assert SpeechEventType.PARTIAL in kinds
    assert kinds.index(SpeechEventType.PARTIAL) < kinds.index(SpeechEventType.FINAL)
    assert kinds.count(SpeechEventType.START_OF_SPEECH) == kinds.count(
        SpeechEventType.END_OF_SPEECH
    )
    assert {e.language for e in of_type(events, SpeechEventType.FINAL)} == {"en"}  # detected


async def test_partials_are_coalesced_and_finals_never_dropped() -> None:
    recognizer = ScriptedRecognizer(delay=0.8)  # slower than the partial interval
    audio = np.concatenate([recording("jfk.flac"), np.zeros(SAMPLE_RATE, np.float32)])
    events = await stream_through(RecognizeStream(recognizer, "en"), audio)
    partial_calls = recognizer.calls.count(Priority.PARTIAL)
    assert partial_calls <= 11 / 0.8 + 1  # one at a time, never queued up
    assert recognizer.most_running <= 2  # at most one partial beside a final
    starts = of_type(events, SpeechEventType.START_OF_SPEECH)
    assert len(of_type(events, SpeechEventType.FINAL)) == len(starts) >= 3


async def test_final_reuses_a_partial_that_heard_everything() -> None:
    recognizer = ScriptedRecognizer()
    audio = np.concatenate(
        [recording("stereo_diarization.wav", 1), np.zeros(SAMPLE_RATE, np.float32)]
    )
    events = await stream_through(RecognizeStream(recognizer, "en"), audio)
    assert [e.text for e in of_type(events, SpeechEventType.FINAL)] == ["hello there"]
    assert Priority.FINAL not in recognizer.calls  # the last partial already covered the speech


async def test_empty_final_withdraws_what_was_shown() -> None:
    recognizer = ScriptedRecognizer()
    stream = RecognizeStream(recognizer, "en")
    audio = np.concatenate(
        [recording("stereo_diarization.wav", 1), np.zeros(SAMPLE_RATE, np.float32)]
    )

    async def first_partial_only(
        request: DecodeRequest, priority: Priority, key: object | None = None
    ) -> Hypothesis | None:
        recognizer.calls.append(priority)  # the first partial hears "uh", then nothing does
        return Hypothesis("uh" if len(recognizer.calls) == 1 else "", "en")

    recognizer.recognize = first_partial_only  # type: ignore[method-assign]
    stream._options = StreamOptions(partial_interval_s=0.3)
    events = await stream_through(stream, audio)
    finals = of_type(events, SpeechEventType.FINAL)
    assert of_type(events, SpeechEventType.PARTIAL)
    assert finals and finals[-1].text == ""


async def test_speaker_leaving_mid_decode_still_gets_its_final() -> None:
    """The final of an utterance cut short by the speaker leaving reuses the decode already
    running for the pause; stopping the partial must not cancel that decode."""
    recognizer = ScriptedRecognizer()
    stream = RecognizeStream(recognizer, "en")
    speech = recording("stereo_diarization.wav", 1)
    voiced = np.flatnonzero(StreamingVad().process(speech) >= 0.5)
    speech = speech[: (voiced[-1] + 1) * WINDOW]  # ends right after the last word
    events: list[SpeechEvent] = []

    async def collect() -> None:
        async for event in stream:
            events.append(event)

    reader = asyncio.ensure_future(collect())
    pause = np.zeros(int(SAMPLE_RATE * 0.3), np.float32)  # long enough to start that decode
    for index, piece in enumerate((speech, pause)):
        recognizer.delay = 1.0 if index else 0.0  # only the decode of the pause is slow
        for offset in range(0, piece.size, CHUNK):
            stream.push_audio(piece[offset : offset + CHUNK])
            await asyncio.sleep(0.001)
    assert recognizer.running == 1, "the decode that heard everything should be running"
    await stream.end_input()
    await reader
    assert [e.text for e in events if e.type is SpeechEventType.FINAL] == ["hello there"]
    assert Priority.FINAL not in recognizer.calls
