"""A speaker is told within seconds when the server stops hearing or captioning them."""

from __future__ import annotations

import time
import uuid

import numpy as np
import pytest

from rtc_server.asr.hearing import AUDIO_STALL_S
from tests.support.client import Peer, load_audio, silence
from tests.support.servers import TESTDATA, BackendProcess


@pytest.mark.slow
async def test_media_that_stops_mid_sentence_is_told_and_the_sentence_ends_interrupted(
    backend: BackendProcess,
) -> None:
    room = f"hearing-{uuid.uuid4().hex[:6]}"
    async with Peer(backend.ws_url) as reader, Peer(backend.ws_url) as speaker:
        await reader.join(room, "Reader")
        await reader.connect(None)
        await speaker.join(room, "Speaker")
        await speaker.connect(np.concatenate([silence(0.5), load_audio(TESTDATA / "jfk.flac")]))
        await reader.wait_for(lambda: reader.partials(), timeout=30)
        vanished_at = time.monotonic()
        speaker.vanish_media()  # the WebSocket stays; no packet reaches the server any more
        notice = await speaker.wait_for(
            lambda: next(
                (
                    s
                    for s in speaker.signals
                    if s.message["type"] == "notice" and s.message["code"] == "audio_not_arriving"
                ),
                None,
            ),
            timeout=10,
        )
        assert notice.at - vanished_at < AUDIO_STALL_S + 2  # told within seconds, not 15-30
        await reader.wait_for(lambda: not reader.open_utterances(), timeout=20)
        last = reader.finals(speaker.participant_id)[-1]
        assert last["interrupted"] is True and last["text"]
