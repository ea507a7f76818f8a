"""While the transcript database is away, everyone is told their captions are paused; once it
is back, every final spoken meanwhile arrives, in order, and is in the transcript."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from urllib.request import urlopen

import numpy as np
import pytest

from tests.support.client import Peer, SpeechTrack, load_audio, silence
from tests.support.postgres import PostgresServer
from tests.support.servers import TESTDATA, start_backend

pytestmark = pytest.mark.slow

TRAILING_SILENCE_S = 3.0  # enough for the last words' final


def told(peer: Peer, code: str) -> bool:
    return any(r.message["type"] == "notice" and r.message["code"] == code for r in peer.signals)


def spoken(track: SpeechTrack) -> bool:
    return track.finished_at is not None


async def test_captions_pause_while_postgresql_is_away_and_nothing_is_lost(
    postgres: PostgresServer,
) -> None:
    room = f"outage-{uuid.uuid4().hex[:8]}"
    env = {"RTC_DATABASE_URL": postgres.create_database(), "RTC_TRANSLATOR": "none"}
    before = load_audio(TESTDATA / "stereo_diarization.wav", channel=0)
    during = load_audio(TESTDATA / "stereo_diarization.wav", channel=1)  # "… distant."
    with start_backend(env) as server:
        async with Peer(server.ws_url) as listener, Peer(server.ws_url) as speaker:
            await listener.join(room, "Listener")
            await listener.connect(None)
            await speaker.join(room, "Speaker")
            await speaker.connect(
                np.concatenate([silence(0.5), before, silence(TRAILING_SILENCE_S)])
            )
            track = speaker.track
            assert track is not None
            await listener.wait_for(
                lambda: spoken(track) and listener.finals() and not listener.open_utterances(),
                60,
            )
            kept = [f["id"] for f in listener.finals()]

            await asyncio.to_thread(postgres.stop)
            stopped_at = time.monotonic()
            try:
                track.play(np.concatenate([during, silence(TRAILING_SILENCE_S)]))
                for peer in (speaker, listener):
                    await peer.wait_for(lambda p=peer: told(p, "captions_paused"), 30)  # type: ignore[misc]
                paused_after = time.monotonic() - stopped_at
                await speaker.wait_for(lambda: spoken(track), 30)
                # Every final of that speech is due by now: it waits for its write.
                assert [f["id"] for f in listener.finals()] == kept
                assert [f["id"] for f in speaker.finals()] == kept
                health = await asyncio.to_thread(server.health)  # raises unless 200
                assert health["ready"] and health["transcript_store"] == "unavailable"
            finally:
                await asyncio.to_thread(postgres.start)
            restarted_at = time.monotonic()

            for peer in (speaker, listener):
                await peer.wait_for(
                    lambda p=peer: (  # type: ignore[misc]
                        told(p, "captions_resumed")
                        and len(p.finals()) > len(kept)
                        and not p.open_utterances()
                    ),
                    30,
                )
            resumed_after = time.monotonic() - restarted_at
            url = f"{server.base_url}/api/rooms/{room}/transcript"
            stored = json.loads(await asyncio.to_thread(lambda: urlopen(url).read()))["captions"]

    print(
        f"\ncaptions paused {paused_after:.2f} s after the stop, back {resumed_after:.2f} s after"
    )
    finals = listener.finals()
    assert [f["id"] for f in speaker.finals()] == [f["id"] for f in finals]
    assert [f["id"] for f in finals[: len(kept)]] == kept
    meanwhile = " ".join(f["text"] for f in finals[len(kept) :]).lower()
    assert "distant" in meanwhile
    spans = [(f["origin"] + f["start"] * 1000, f["origin"] + f["end"] * 1000) for f in finals]
    assert spans == sorted(spans)  # in the order they were spoken
    assert [(c["id"], c["text"]) for c in stored] == [(f["id"], f["text"]) for f in finals]
