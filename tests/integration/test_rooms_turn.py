"""Conference rooms through a real coturn: relay-only ICE, captions per language, shared audio."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator

import numpy as np
import pytest

from rtc_server.webrtc.ice import turn_credentials
from tests.support.client import Peer, load_audio, selected_pair, silence
from tests.support.servers import (
    TESTDATA,
    BackendProcess,
    FakeOpenAI,
    fake_translation,
    free_port,
    metric,
    start_backend,
    translating_env,
)
from tests.support.turn_server import SECRET, start_turnserver, stop

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    if shutil.which("turnserver") is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "coturn"], check=True)
    binary = shutil.which("turnserver")
    assert binary is not None
    workdir = tmp_path_factory.mktemp("coturn")
    # Loopback stands in for the network: its peers must be allowed explicitly.
    proc, port = start_turnserver(
        binary, workdir, SECRET, "--realm=rooms.test", "--allow-loopback-peers",
        "--allowed-peer-ip=127.0.0.1",
    )  # fmt: skip
    yield port
    stop(proc)


@pytest.fixture(scope="module")
def relay_backend(coturn: int, openai_server: FakeOpenAI) -> Iterator[BackendProcess]:
    env = {
        "RTC_TURN_URLS": f"turn:127.0.0.1:{coturn}?transport=udp",
        "RTC_TURN_SECRET": SECRET,
        "RTC_ICE_RELAY_ONLY": "true",
        "RTC_BROWSER_ICE_RELAY_ONLY": "true",  # relay to relay: the strictest path
        **translating_env(openai_server),
        "RTC_MAX_ROOM_SIZE": "3",
        "RTC_ICE_CONNECT_TIMEOUT_S": "8",
    }
    with start_backend(env) as process:
        yield process


async def join_relayed(
    backend: BackendProcess, peer: Peer, room: str, name: str, captions: str
) -> float:
    joined = await peer.join(room, name, language="en", caption_language=captions)
    assert joined["type"] == "joined", joined
    assert joined["ice_transport_policy"] == "relay"
    started = time.monotonic()
    await peer.connect(silence(0.2), ice_servers=joined["ice_servers"], relay_only=True)
    return time.monotonic() - started


def loudest(frames: list[np.ndarray]) -> int:
    return max((int(np.abs(frame).max()) for frame in frames), default=0)


async def test_three_participants_relayed_through_turn(relay_backend: BackendProcess) -> None:
    room = f"room-{uuid.uuid4().hex[:8]}"
    speeches = {
        "Ada": load_audio(TESTDATA / "jfk.flac"),
        "Bob": load_audio(TESTDATA / "stereo_diarization.wav", channel=0),
        "Cleo": load_audio(TESTDATA / "stereo_diarization.wav", channel=1),
    }
    caption_languages = {"Ada": "de", "Bob": "fr", "Cleo": "en"}
    peers = {name: Peer(relay_backend.ws_url) for name in speeches}
    for peer in peers.values():
        await peer.__aenter__()
    try:
        join_times = [
            await join_relayed(relay_backend, peers[name], room, name, caption_languages[name])
            for name in speeches
        ]
        rounded = [round(t, 2) for t in join_times]
        print(f"\njoin (offer → data channel open) through TURN: {rounded} s")
        for peer in peers.values():
            assert selected_pair(peer) == ("relay", "relay")
        ids = {name: peer.participant_id for name, peer in peers.items()}
        for peer in peers.values():
            await peer.wait_for(
                lambda p=peer: (
                    (
                        p.signal("participants")
                        and len([s for s in p.signals if s.message["type"] == "participant_joined"])
                        >= (2 if p is peers["Ada"] else 1)
                    )
                    or p is peers["Cleo"]
                ),
                timeout=20,
            )

        for name, audio in speeches.items():  # each speaks in turn
            speaker = peers[name]
            assert speaker.track is not None
            track = speaker.track
            track.play(np.concatenate([audio, silence(2.5)]))
            for other in peers.values():
                await other.wait_for(
                    lambda o=other, n=name, t=track: (
                        o.finals(ids[n]) and not o.open_utterances() and t.finished_at
                    ),
                    timeout=60,
                )

        for listener_name, listener in peers.items():
            wanted = caption_languages[listener_name]
            for speaker_name in speeches:
                finals = listener.finals(ids[speaker_name])
                assert finals, f"{listener_name} got nothing from {speaker_name}"
                assert all(f["speaker"]["name"] == speaker_name for f in finals)
                if wanted == "en":
                    continue
                await listener.wait_for(
                    lambda peer=listener, f=finals: (
                        {t["caption_id"] for t in peer.translations()} >= {c["id"] for c in f}
                    ),
                    timeout=30,
                )
                by_id = {t["caption_id"]: t for t in listener.translations()}
                for final in finals:
                    assert by_id[final["id"]]["text"] == fake_translation(wanted, final["text"])
            assert peers["Cleo"].translations() == []
            for speaker_name in speeches:
                if speaker_name != listener_name:
                    assert loudest(listener.audio_frames.get(ids[speaker_name], [])) > 1000, (
                        f"{listener_name} heard no audio from {speaker_name}"
                    )
    finally:
        for peer in peers.values():
            await peer.close()


async def test_full_room_refuses_the_next_participant(relay_backend: BackendProcess) -> None:
    room = f"full-{uuid.uuid4().hex[:8]}"
    peers = [Peer(relay_backend.ws_url) for _ in range(4)]
    for peer in peers:
        await peer.__aenter__()
    try:
        for index, peer in enumerate(peers[:3]):
            assert (await peer.join(room, f"P{index}"))["type"] == "joined"
        refused = await peers[3].join(room, "Fourth")
        assert refused["type"] == "error" and refused["code"] == "room_full"
        assert "full" in refused["message"]
        await peers[0].send({"v": 1, "type": "leave"})
        await peers[0].expect("left")
        assert (await peers[3].join(room, "Fourth"))["type"] == "joined"
    finally:
        for peer in peers:
            await peer.close()


@pytest.mark.parametrize("credentials", ["expired", "wrongly-signed"])
async def test_bad_turn_credentials_fail_clearly(
    relay_backend: BackendProcess, credentials: str, coturn: int
) -> None:
    if credentials == "expired":
        username, password = turn_credentials(SECRET, "late", ttl_s=-60)
    else:
        username, password = turn_credentials("not-the-secret", "forger", ttl_s=3600)
    servers = [{"urls": [f"turn:127.0.0.1:{coturn}"], "username": username, "credential": password}]
    async with Peer(relay_backend.ws_url) as peer:
        await peer.join(f"bad-{uuid.uuid4().hex[:8]}", "Forger")
        started = time.monotonic()
        with pytest.raises(ConnectionError, match="connection_failed"):
            await peer.connect(silence(0.2), ice_servers=servers, relay_only=True, timeout=30)
        assert time.monotonic() - started < 15  # the server's 8 s limit, not a hang
        assert peer.pc is not None
        assert " typ relay" not in peer.pc.localDescription.sdp  # coturn refused to allocate
        await peer.wait_for(
            lambda: peer.ws.closed, timeout=5
        )  # the server hung up after saying why


async def test_join_time_without_relay(backend: BackendProcess) -> None:
    async with Peer(backend.ws_url) as peer:
        await peer.join(f"direct-{uuid.uuid4().hex[:8]}", "Direct")
        started = time.monotonic()
        await peer.connect(silence(0.2))
        print(f"\njoin (offer → data channel open) direct: {time.monotonic() - started:.2f} s")
        assert selected_pair(peer) == ("host", "host")


@pytest.mark.parametrize("fault", ["refused", "unreachable"])
async def test_a_server_without_its_turn_relay_says_why_within_seconds(
    coturn: int, fault: str
) -> None:
    """The server may only relay, and its TURN server refuses its credentials (a wrong
    RTC_TURN_SECRET) or does not answer: the participant is told at once, with the cause."""
    port = coturn if fault == "refused" else free_port()
    env = {
        "RTC_TURN_URLS": f"turn:127.0.0.1:{port}?transport=udp",
        "RTC_TURN_SECRET": "not-the-secret" if fault == "refused" else SECRET,
        "RTC_ICE_RELAY_ONLY": "true",
        "RTC_TRANSLATOR": "none",
    }
    with start_backend(env) as backend:
        async with Peer(backend.ws_url) as peer:
            await peer.join(f"turnless-{uuid.uuid4().hex[:8]}", "Ada")
            started = time.monotonic()
            with pytest.raises(ConnectionError, match="connection_failed"):
                await peer.connect(silence(0.2), timeout=30)
            told_after = time.monotonic() - started
            error = peer.signal("error")
            assert error is not None
            print(f"\nTURN {fault}: told after {told_after:.1f} s: {error['message']}")
            assert error["cause"] == f"turn_{fault}", error
            assert "TURN" in error["message"]
            # Gathering gives up on an unanswering TURN server after 5 s.
            assert told_after < (3 if fault == "refused" else 8)
            await peer.wait_for(lambda: peer.ws.closed, timeout=10)
        assert metric(backend, "rtc_turn_problems_total", reason=f"turn_{fault}") >= 1
        assert "RTC_TURN_SECRET" in backend.log()  # the operator's warning says what to check
