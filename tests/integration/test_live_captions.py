"""Real recordings streamed in real time over loopback WebRTC to the real server and model."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.support.client import load_audio, noise, silence, speak_and_collect
from tests.support.servers import TESTDATA, BackendProcess
from tests.support.transcripts import JFK, LEFT, RIGHT, consecutive_duplicates, normalized_wer


@pytest.mark.slow
async def test_jfk_speech_becomes_partial_then_final_captions(backend: BackendProcess) -> None:
    speaker, delay = await speak_and_collect(backend, load_audio(TESTDATA / "jfk.flac"))
    text = speaker.transcript()
    wer = normalized_wer(JFK, text)
    print(f"\njfk: WER {wer:.3f}, end of speech → last final {delay:.2f} s\n  {text}")
    assert wer <= 0.15, text
    assert speaker.partials(), "no partial caption arrived before the finals"
    first_partial = min(r.at for r in speaker.captions if r.message["type"] == "caption")
    first_final = min(r.at for r in speaker.captions if r.message.get("final"))
    assert first_partial < first_final
    finals = speaker.finals()
    assert [f["start"] for f in finals] == sorted(f["start"] for f in finals)
    seqs = [r.message["seq"] for r in speaker.captions]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert not consecutive_duplicates(text)
    assert all(f["language"] == "en" for f in finals)
    # Wall-clock times: every caption of the speaker shares the origin of its audio, which is
    # when the test started sending (server and test share this machine's clock).
    assert speaker.track is not None and speaker.track.started_at is not None
    sent_at_ms = (speaker.track.started_at + time.time() - time.monotonic()) * 1000
    assert (
        len({r.message["origin"] for r in speaker.captions if r.message["type"] == "caption"}) == 1
    )
    assert abs(finals[0]["origin"] - sent_at_ms) < 1000


@pytest.mark.slow
@pytest.mark.parametrize(("channel", "reference"), [(0, LEFT), (1, RIGHT)])
async def test_each_channel_of_the_stereo_recording(
    backend: BackendProcess, channel: int, reference: str
) -> None:
    audio = load_audio(TESTDATA / "stereo_diarization.wav", channel=channel)
    speaker, delay = await speak_and_collect(backend, audio)
    text = speaker.transcript()
    wer = normalized_wer(reference, text)
    print(f"\nchannel {channel}: WER {wer:.3f}, end of speech → final {delay:.2f} s\n  {text}")
    assert wer <= 0.15, text
    assert speaker.partials()
    assert not consecutive_duplicates(text)


@pytest.mark.slow
async def test_silence_and_noise_produce_no_caption(backend: BackendProcess) -> None:
    audio = np.concatenate([silence(3), noise(3, level=0.02), silence(1), noise(2, level=0.1)])
    speaker, _ = await speak_and_collect(backend, audio)
    captions = [r.message for r in speaker.captions if r.message["type"] == "caption"]
    assert captions == []
