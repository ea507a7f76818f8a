"""Capacity limits and overload: clear refusals when full; under more speech than the machine
decodes in real time, partials are shed and finals arrive late, never lost; then recovery."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import aiohttp
import numpy as np
import pytest

from tests.support.client import Peer, load_audio, silence
from tests.support.servers import TESTDATA, BackendProcess, metric, start_backend
from tests.support.transcripts import JFK, normalized_wer

pytestmark = pytest.mark.slow

OVERLOAD_SPEAKERS = 6
DELAY_NOTICE_S = 1.5


def notices(peer: Peer, code: str) -> list[dict[str, object]]:
    return [
        r.message
        for r in peer.signals
        if r.message["type"] == "notice" and r.message.get("code") == code
    ]


async def test_full_server_and_speaker_limit_refuse_clearly() -> None:
    env = {"RTC_MAX_SESSIONS": "2", "RTC_MAX_SPEAKERS": "1", "RTC_TRANSLATOR": "none"}
    room = f"full-{uuid.uuid4().hex[:8]}"
    with start_backend(env) as backend:
        async with Peer(backend.ws_url) as speaker, Peer(backend.ws_url) as second:
            await speaker.join(room, "Speaker")
            await speaker.connect(silence(1))
            await second.join(room, "Second")
            with pytest.raises(ConnectionError, match="too_many_speakers"):
                await second.connect(silence(1))
            await second.connect(None)  # listening stays open on the same connection
            async with aiohttp.ClientSession() as http, http.ws_connect(backend.ws_url) as third:
                refusal = await third.receive_json(timeout=10)
                assert refusal["type"] == "error" and refusal["code"] == "server_full"
                closing = await third.receive(timeout=10)
                assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            assert backend.health()["sessions"] == 2


@pytest.fixture(scope="module")
def busy_backend() -> Iterator[BackendProcess]:
    env = {
        "RTC_TRANSLATOR": "none",
        "RTC_AUDIO_RELAY": "false",
        "RTC_MAX_ROOM_SIZE": str(OVERLOAD_SPEAKERS + 1),
        "RTC_DELAY_NOTICE_S": str(DELAY_NOTICE_S),
        # One inference thread and frequent partials: six speakers are more than it decodes
        # in real time, on any machine this suite runs on.
        "RTC_WHISPER_CPU_THREADS": "1",
        "RTC_PARTIAL_INTERVAL_MS": "200",
    }
    with start_backend(env) as backend:
        yield backend


async def recognition_idle(backend: BackendProcess, timeout: float = 90) -> None:
    """Every decode done: no job waiting or running (a shed partial may leave an utterance
    with nothing shown, so the captions alone cannot tell a pending final from none)."""
    idle_polls, deadline = 0, asyncio.get_running_loop().time() + timeout
    while idle_polls < 3:
        assert asyncio.get_running_loop().time() < deadline, "recognition never caught up"
        busy = metric(backend, "rtc_asr_queue_jobs") or metric(backend, "rtc_asr_lag_seconds")
        idle_polls = 0 if busy else idle_polls + 1
        await asyncio.sleep(0.25)


async def speak(backend: BackendProcess, peers: list[Peer], room: str, speech: np.ndarray) -> None:
    for index, peer in enumerate(peers):
        await peer.join(room, f"Speaker {index}")
    # Everyone speaks the same recording at once: their pauses, and so their finals, coincide.
    await asyncio.gather(*(peer.connect(silence(0.1)) for peer in peers))
    for peer in peers:
        assert peer.track is not None
        peer.track.play(np.concatenate([silence(0.5), speech, silence(3)]))
    for peer in peers:
        track = peer.track
        assert track is not None
        await peer.wait_for(lambda t=track: t.finished_at, timeout=60)  # type: ignore[misc]
    await recognition_idle(backend)
    for peer in peers:
        await peer.wait_for(lambda p=peer: p.finals() and not p.open_utterances(), timeout=10)  # type: ignore[misc]


async def test_overload_sheds_partials_delays_finals_and_recovers(
    busy_backend: BackendProcess,
) -> None:
    speech = load_audio(TESTDATA / "jfk.flac")
    shed_before = metric(busy_backend, "rtc_asr_partials_shed_total")
    peers = [Peer(busy_backend.ws_url) for _ in range(OVERLOAD_SPEAKERS)]
    for peer in peers:
        await peer.__aenter__()
    try:
        await speak(busy_backend, peers, f"busy-{uuid.uuid4().hex[:8]}", speech)
        # Every speaker's whole speech arrived as finals, late or not.
        for peer in peers:
            assert normalized_wer(JFK, peer.transcript(peer.participant_id)) <= 0.25, (
                peer.transcript(peer.participant_id)
            )
        assert metric(busy_backend, "rtc_asr_partials_shed_total") > shed_before
        delayed = [peer for peer in peers if notices(peer, "captions_delayed")]
        assert delayed, "nobody was told that captions were late"
        for peer in delayed:
            await peer.wait_for(lambda p=peer: notices(p, "captions_on_time"), timeout=30)  # type: ignore[misc]
            assert notices(peer, "captions_delayed")[0]["delay_s"] > DELAY_NOTICE_S  # type: ignore[operator]
    finally:
        for peer in peers:
            await peer.close()
    # Load gone: a lone speaker is served on time again.
    async with Peer(busy_backend.ws_url) as alone:
        await speak(busy_backend, [alone], f"calm-{uuid.uuid4().hex[:8]}", speech)
        assert normalized_wer(JFK, alone.transcript()) <= 0.25
        assert not notices(alone, "captions_delayed")
    assert metric(busy_backend, "rtc_speakers") == 0
