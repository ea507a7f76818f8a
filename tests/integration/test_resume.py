"""A client whose connection drops takes its session back: same identity, no lost or
repeated captions, no leave/join churn for the others."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from tests.support.client import Peer, load_audio, silence, wait_until_spoken
from tests.support.servers import TESTDATA, BackendProcess, start_backend
from tests.support.transcripts import JFK, normalized_wer

HORIZON = "The horizon seems extremely distant."
RESUME_WINDOW_S = 20.0


@pytest.fixture(scope="module")
def resuming_backend() -> Iterator[BackendProcess]:
    env = {"RTC_RESUME_WINDOW_S": str(RESUME_WINDOW_S), "RTC_TRANSLATOR": "none"}
    with start_backend(env) as process:
        yield process


def room() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def repeated(peer: Peer) -> list[Any]:
    """Caption messages delivered more than once: by seq, by caption id, by final text."""
    messages = [r.message for r in peer.captions]
    finals = [m for m in messages if m["type"] == "caption" and m["final"]]
    counts = Counter(
        [("seq", m["seq"]) for m in messages]
        + [("id", m["id"], m["part"]) for m in finals]
        + [("text", m["text"]) for m in finals]
    )
    return [key for key, count in counts.items() if count > 1]


@pytest.mark.slow
async def test_a_dropped_speaker_resumes_its_session(resuming_backend: BackendProcess) -> None:
    backend, name = resuming_backend, room()
    first = load_audio(TESTDATA / "jfk.flac")
    second = load_audio(TESTDATA / "stereo_diarization.wav", channel=1)
    async with Peer(backend.ws_url) as listener, Peer(backend.ws_url) as speaker:
        assert (await listener.join(name, "Listener"))["type"] == "joined"
        await listener.connect(None)
        joined = await speaker.join(name, "Speaker")
        speaker_id = joined["participant_id"]
        await speaker.connect(np.concatenate([silence(0.5), first, silence(0.3)]))
        await listener.expect("participant_joined")
        # Cut a second before the speech ends: its last final cannot be out yet.
        await wait_until_spoken(speaker, 0.5 + first.size / 48_000 - 1.0)
        await speaker.cut()
        cut_at = time.monotonic()
        await asyncio.sleep(1.0)

        rejoined = await speaker.reconnect(name, "Speaker")
        assert rejoined["type"] == "joined", rejoined
        assert rejoined["resumed"] is True
        assert rejoined["participant_id"] == speaker_id
        assert [p["id"] for p in rejoined["participants"]].count(speaker_id) == 1
        await speaker.connect(np.concatenate([silence(0.5), second, silence(3.0)]))
        await wait_until_spoken(speaker, 3.5 + second.size / 48_000)
        for peer in (listener, speaker):
            await peer.wait_for(
                lambda p=peer: "distant" in p.transcript().lower() and not p.open_utterances(),  # type: ignore[misc]
                30,
            )
        await asyncio.sleep(2.0)  # anything repeated would come now

    print(f"\nlistener: {listener.transcript()}\nspeaker:  {speaker.transcript()}")
    # The others saw no churn: the speaker never left, never joined again.
    churn = [
        r.message
        for r in listener.signals
        if r.message["type"] in ("participant_left", "participant_joined")
    ]
    assert [m["type"] for m in churn] == ["participant_joined"]
    # Both parts arrived, under one speaker id, to both clients, each caption once.
    for peer in (listener, speaker):
        finals = peer.finals()
        assert {f["speaker"]["id"] for f in finals} == {speaker_id}
        # The cut loses the last second of the first sentence, and whatever audio the
        # server had received but not yet read.
        assert normalized_wer(f"{JFK} {HORIZON}", peer.transcript()) <= 0.4, peer.transcript()
        assert not repeated(peer), repeated(peer)
    # The speaker's last words before the cut reached it after the resume, exactly once.
    replayed = [
        r.message["text"]
        for r in speaker.captions
        if r.at > cut_at
        and r.message["type"] == "caption"
        and r.message["final"]
        and not {"horizon", "distant"} & set(r.message["text"].lower().split())
    ]
    assert replayed, speaker.transcript()
    seqs = [r.message["seq"] for r in speaker.captions]
    assert seqs == sorted(seqs)


@pytest.mark.slow
async def test_bad_or_expired_resume_is_refused(resuming_backend: BackendProcess) -> None:
    backend, name = resuming_backend, room()
    async with Peer(backend.ws_url) as listener, Peer(backend.ws_url) as dropped:
        assert (await listener.join(name, "Listener"))["type"] == "joined"
        assert (await dropped.join(name, "Dropped"))["type"] == "joined"
        await dropped.cut()
        dropped_at = time.monotonic()
        async with Peer(backend.ws_url) as impostor:
            forged = {"participant_id": dropped.participant_id, "token": "guess", "last_seq": 0}
            refused = await impostor.join(name, "Impostor", resume=forged)
            assert refused["type"] == "error" and refused["code"] == "resume_failed"
            assert "guess" not in refused["message"]
            fresh = await impostor.join(name, "Impostor")  # the same connection joins anew
            assert fresh["type"] == "joined" and fresh["resumed"] is False
        left = await listener.expect("participant_left", timeout=RESUME_WINDOW_S + 5)
        assert left["participant"]["id"] == dropped.participant_id
        assert time.monotonic() - dropped_at >= RESUME_WINDOW_S - 1
        late = await dropped.reconnect(name, "Dropped")
        assert late["type"] == "error" and late["code"] == "resume_failed"


@pytest.mark.slow
async def test_resume_takes_over_a_connection_the_server_still_thinks_open(
    resuming_backend: BackendProcess,
) -> None:
    """A client that changed networks comes back before its old socket times out."""
    backend, name = resuming_backend, room()
    async with Peer(backend.ws_url) as listener, Peer(backend.ws_url) as old:
        assert (await listener.join(name, "Listener"))["type"] == "joined"
        assert (await old.join(name, "Roamer"))["type"] == "joined"
        await listener.expect("participant_joined")
        async with Peer(backend.ws_url) as new:
            new.participant_id, new.resume_token = old.participant_id, old.resume_token
            resumed = await new.resume(name, "Roamer")
            assert resumed["type"] == "joined" and resumed["resumed"] is True
            assert resumed["participant_id"] == old.participant_id
            assert resumed["resume_token"] != old.resume_token
            await old.wait_for(lambda: old.ws.closed, 10)  # the server let go of the old one
            await new.connect(None)
            await asyncio.sleep(1.0)
            assert new.signal("error") is None
            await new.send({"v": 1, "type": "leave"})
            left = await listener.expect("participant_left")
            assert left["participant"]["id"] == old.participant_id and left["reason"] == "left"
        churn = [r.message["type"] for r in listener.signals if "participant_" in r.message["type"]]
        assert churn == ["participant_joined", "participant_left"]  # no churn in between
