"""Bad input gets a clear error; the server keeps serving and leaks nothing."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pytest
from aiortc import RTCPeerConnection

from tests.support.client import Peer, load_audio, silence
from tests.support.servers import TESTDATA, BackendProcess, metric, settle


def room() -> str:
    return f"bad-{uuid.uuid4().hex[:8]}"


async def error_after(peer: Peer, raw: str | dict[str, object]) -> dict[str, object]:
    start = len(peer.signals)
    await peer.send(raw)
    return await peer.expect("error", after=start)


@pytest.fixture
async def baseline(backend: BackendProcess) -> float:
    await settle(backend, float("inf"))
    return metric(backend, "rtc_asyncio_tasks")


async def assert_still_serves(backend: BackendProcess) -> None:
    async with Peer(backend.ws_url) as peer:
        joined = await peer.join(room(), "After")
        assert joined["type"] == "joined"
        await peer.connect(silence(1))


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_json"),
        ({"v": 1, "type": "dance"}, "unknown_type"),
        ({"v": 7, "type": "join", "room": "r", "name": "n"}, "unsupported_version"),
        ({"v": 1, "type": "join", "room": "no spaces", "name": "n"}, "bad_message"),
        ({"v": 1, "type": "join", "room": "r", "name": "n", "language": "klingon"}, "bad_message"),
        ({"v": 1, "type": "join", "room": "r", "name": ""}, "bad_message"),
        ({"v": 1, "type": "offer", "sdp": "v=0"}, "not_joined"),
        (
            {"v": 1, "type": "candidate", "candidate": "candidate:1 1 udp 1 1.2.3.4 5 typ host"},
            "not_joined",
        ),
        (json.dumps({"v": 1, "type": "ping", "pad": "x" * 70_000}), "too_large"),
    ],
)
async def test_bad_message_gets_an_error_and_the_connection_stays_open(
    backend: BackendProcess, raw: str | dict[str, object], code: str
) -> None:
    async with Peer(backend.ws_url) as peer:
        error = await error_after(peer, raw)
        assert error["code"] == code
        assert error["message"]
        start = len(peer.signals)
        await peer.send({"v": 1, "type": "ping"})
        await peer.expect("pong", after=start)


async def test_protocol_mistakes_after_join(backend: BackendProcess, baseline: float) -> None:
    async with Peer(backend.ws_url) as peer:
        assert (await peer.join(room(), "Mistaken"))["type"] == "joined"
        assert (await error_after(peer, {"v": 1, "type": "join", "room": "x", "name": "y"}))[
            "code"
        ] == "already_joined"
        candidate = {
            "v": 1,
            "type": "candidate",
            "candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host",
            "sdp_mid": "0",
            "sdp_mline_index": 0,
        }
        assert (await error_after(peer, candidate))["code"] == "no_offer"
        assert (await error_after(peer, {"v": 1, "type": "offer", "sdp": "garbage"}))[
            "code"
        ] == "bad_sdp"
        no_audio = RTCPeerConnection()
        no_audio.createDataChannel("captions")
        await no_audio.setLocalDescription(await no_audio.createOffer())
        assert (
            await error_after(peer, {"v": 1, "type": "offer", "sdp": no_audio.localDescription.sdp})
        )["code"] == "no_audio"
        await no_audio.close()
        await peer.connect(silence(1))
        assert (
            await error_after(peer, {"v": 1, "type": "offer", "sdp": peer.pc.localDescription.sdp})
        )[  # type: ignore[union-attr]
            "code"
        ] == "already_offered"
        assert (await error_after(peer, {**candidate, "candidate": "candidate:nonsense"}))[
            "code"
        ] == "bad_candidate"
        start = len(peer.signals)
        await peer.send({"v": 1, "type": "leave"})
        await peer.expect("left", after=start)
    await settle(backend, baseline)
    await assert_still_serves(backend)
    await settle(backend, baseline)


async def test_binary_frame_is_refused_politely(backend: BackendProcess) -> None:
    async with Peer(backend.ws_url) as peer:
        await peer.ws.send_bytes(b"\x00\x01")
        assert (await peer.expect("error"))["code"] == "bad_json"


@pytest.mark.slow
async def test_speaker_vanishing_mid_utterance(backend: BackendProcess, baseline: float) -> None:
    shared = room()
    async with Peer(backend.ws_url) as listener:
        await listener.join(shared, "Listener")
        await listener.connect(None)
        speaker = Peer(backend.ws_url)
        await speaker.__aenter__()
        await speaker.join(shared, "Vanishing")
        speech = load_audio(TESTDATA / "jfk.flac")
        await speaker.connect(np.concatenate([silence(0.5), speech]))
        await listener.wait_for(lambda: listener.partials(), timeout=30)
        # Gone without a word: WebSocket and peer connection drop at once.
        await speaker.close()
        left = await listener.expect("participant_left", timeout=30)
        assert left["participant"]["id"] == speaker.participant_id
        await listener.wait_for(lambda: not listener.open_utterances(), timeout=30)
        roster = [s.message for s in listener.signals if s.message["type"] == "participants"][-1]
        assert [p["id"] for p in roster["participants"]] == [listener.participant_id]
    await settle(backend, baseline)
    await assert_still_serves(backend)
    await settle(backend, baseline)
