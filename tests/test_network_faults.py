"""Bad networks: lost and late audio packets."""

from __future__ import annotations

import time
import uuid

import numpy as np
import pytest

from tests.client import NetworkFaults, Peer, load_audio, silence
from tests.conftest import normalized_wer
from tests.servers import TESTDATA, BackendProcess

JFK = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
TRAILING_SILENCE_S = 3.0
QUIET_S = 10.0


@pytest.mark.slow
@pytest.mark.parametrize(("loss", "max_wer"), [(0.05, 0.25), (0.15, 0.5)])
async def test_captions_survive_packet_loss_and_jitter(
    backend: BackendProcess, loss: float, max_wer: float
) -> None:
    audio = load_audio(TESTDATA / "jfk.flac")
    faults = NetworkFaults(loss=loss, jitter=0.1)
    async with Peer(backend.ws_url, faults=faults) as speaker:
        joined = await speaker.join(f"test-{uuid.uuid4().hex[:8]}", "Speaker", language="en")
        assert joined["type"] == "joined", joined
        await speaker.connect(np.concatenate([silence(0.5), audio, silence(TRAILING_SILENCE_S)]))
        assert speaker.track is not None
        seconds = audio.size / 48_000 + 0.5 + TRAILING_SILENCE_S
        await speaker.wait_for(
            lambda: (
                speaker.track.started_at  # type: ignore[union-attr]
                and time.monotonic() - speaker.track.started_at > seconds
            ),
            timeout=seconds + 60,
        )
        speech_end_s = 0.5 + audio.size / 48_000
        # Done when a final reaches the end of the speech, or when nothing more comes.
        await speaker.wait_for(
            lambda: (
                speaker.finals()
                and not speaker.open_utterances()
                and (
                    speaker.finals()[-1]["end"] >= speech_end_s - 1.0
                    or time.monotonic() - speaker.captions[-1].at > QUIET_S
                )
            ),
            timeout=60,
        )
        text = speaker.transcript()
        wer = normalized_wer(JFK, text)
        counts = speaker.fault_counts
        print(f"\nloss {loss:.0%}: {counts}, WER {wer:.3f}\n  {text}")
        # The faults really happened, at about the rate asked for.
        assert counts["dropped"] / counts["sent"] == pytest.approx(loss, abs=0.05)
        assert counts["delayed"] > 0
        assert wer <= max_wer, text
