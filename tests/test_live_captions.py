"""Real recordings streamed in real time over loopback WebRTC to the real server and model."""

from __future__ import annotations

import itertools
import re
import time
import uuid

import numpy as np
import pytest

from tests.client import Peer, load_audio, noise, silence
from tests.conftest import normalized_wer
from tests.servers import TESTDATA, BackendProcess

JFK = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
LEFT = (
    "He began a confused complaint against the wizard, "
    "who had vanished behind the curtain on the left."
)
RIGHT = "The horizon seems extremely distant."
TRAILING_SILENCE_S = 3.0


def room() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def consecutive_duplicates(text: str) -> list[str]:
    words = re.findall(r"[\w']+", text.lower())
    return [a for a, b in itertools.pairwise(words) if a == b]


async def speak_and_collect(
    backend: BackendProcess, audio: np.ndarray, language: str = "en"
) -> tuple[Peer, float]:
    """Stream `audio` and return the client once the final caption of the last speech is in,
    with the delay from the end of the speech audio to that final."""
    async with Peer(backend.ws_url) as speaker:
        joined = await speaker.join(room(), "Speaker", language=language)
        assert joined["type"] == "joined", joined
        await speaker.connect(np.concatenate([silence(0.5), audio, silence(TRAILING_SILENCE_S)]))
        assert speaker.track is not None
        speech_seconds = (audio.size / 48_000) + 0.5
        await speaker.wait_for(
            lambda: (
                speaker.track.started_at  # type: ignore[union-attr]
                and time.monotonic() - speaker.track.started_at
                > speech_seconds + TRAILING_SILENCE_S
            ),
            timeout=speech_seconds + 60,
        )
        await speaker.wait_for(lambda: not speaker.open_utterances(), timeout=30)
        speech_end = speaker.track.started_at + speech_seconds  # type: ignore[operator]
        last_final = max((r.at for r in speaker.captions if r.message.get("final")), default=0)
        return speaker, last_final - speech_end


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
