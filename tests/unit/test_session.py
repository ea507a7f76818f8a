"""The session state machine with fakes around it: joining, leaving, being held and resumed,
one offer and one answer (never renegotiated), what teardown releases, and being told when the
transcript store cannot write."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack
from prometheus_client import REGISTRY

from rtc_server.asr.stream import SpeechEvent, SpeechEventType, StreamOptions
from rtc_server.rooms.errors import NothingToResume, RoomFull
from rtc_server.rooms.participant import AWAY
from rtc_server.rooms.registry import RoomRegistry
from rtc_server.runtime import Runtime
from rtc_server.settings import Settings
from rtc_server.signaling.messages import ClientMessage, ProtocolError, parse_client_message
from rtc_server.signaling.session import Session
from rtc_server.translation.service import TranslationService
from tests.support.fake_store import MemoryStore


class Client:
    """What one WebSocket would carry, and whether its session told it it has ended."""

    def __init__(self, runtime: Runtime) -> None:
        self.sent: list[dict[str, Any]] = []
        self.ended: list[Session] = []
        self.session = Session(lambda: runtime, self._send, self.ended.append)

    def _send(self, message: str) -> None:
        self.sent.append(json.loads(message))

    def types(self) -> list[str]:
        return [message["type"] for message in self.sent]

    def last(self, kind: str) -> dict[str, Any]:
        return next(m for m in reversed(self.sent) if m["type"] == kind)


@pytest.fixture
async def runtime() -> AsyncIterator[Runtime]:
    settings = Settings(recognition=False, resume_window_s=30, forward_speakers=2)
    translation = TranslationService(None)
    rooms = RoomRegistry(translation, 8, 50, settings.forward_speakers, MemoryStore())
    yield Runtime(settings, None, StreamOptions(), translation, rooms)  # type: ignore[arg-type]
    await rooms.close()


def message(**fields: Any) -> ClientMessage:
    return parse_client_message(json.dumps({"v": 1, **fields}))


def join(name: str, resume: dict[str, Any] | None = None) -> ClientMessage:
    return message(type="join", room="standup", name=name, resume=resume)


async def test_leave_answers_left_ends_the_session_and_empties_the_room(runtime: Runtime) -> None:
    client = Client(runtime)
    await client.session.handle(join("Ada"))
    assert client.types() == ["joined"]
    room = runtime.rooms.get("standup")
    assert room is not None and client.session.participant_id in room.participants

    await client.session.handle(message(type="leave"))
    assert client.types() == ["joined", "left"]
    assert client.session.closed and client.ended == [client.session]
    assert runtime.rooms.get("standup") is None
    with pytest.raises(ProtocolError) as ended:
        await client.session.handle(join("Ada"))
    assert ended.value.code == "not_joined"


async def test_a_dropped_connection_is_held_then_resumed_once(runtime: Runtime) -> None:
    first, other = Client(runtime), Client(runtime)
    await first.session.handle(join("Ada"))
    await other.session.handle(join("Bob"))
    joined = first.last("joined")
    await first.session.close("disconnected")
    room = runtime.rooms.get("standup")
    assert room is not None
    held = room.participants[joined["participant_id"]]
    assert held.connection is AWAY
    assert "participant_left" not in other.types()  # nobody sees a change while it is held

    resume = {"participant_id": joined["participant_id"], "token": joined["resume_token"]}
    second = Client(runtime)
    await second.session.handle(join("Ada", resume))
    assert second.last("joined")["resumed"] is True
    assert second.session.participant_id == joined["participant_id"]
    assert held.connection is second.session
    assert second.last("joined")["resume_token"] != joined["resume_token"]

    with pytest.raises(NothingToResume):  # the old token is spent
        await Client(runtime).session.handle(join("Ada", resume))


async def test_resuming_a_connection_that_still_looks_open_ends_the_old_one(
    runtime: Runtime,
) -> None:
    first = Client(runtime)
    await first.session.handle(join("Ada"))
    joined = first.last("joined")
    second = Client(runtime)
    resume = {"participant_id": joined["participant_id"], "token": joined["resume_token"]}
    await second.session.handle(join("Ada", resume))
    assert first.session.closed
    await first.session.close("disconnected")  # waits for the hand-over's close to finish
    assert first.ended == [first.session]
    room = runtime.rooms.get("standup")
    assert room is not None
    assert room.participants[joined["participant_id"]].connection is second.session


async def test_every_room_is_told_while_the_transcript_store_cannot_write(
    runtime: Runtime,
) -> None:
    ada, bob, cleo, dan = (Client(runtime) for _ in range(4))
    await ada.session.handle(join("Ada"))
    await bob.session.handle(message(type="join", room="retro", name="Bob"))
    health = runtime.rooms.transcripts.health
    gauge = lambda: REGISTRY.get_sample_value("rtc_transcript_store_healthy")  # noqa: E731

    health.set(False)
    assert gauge() == 0
    await cleo.session.handle(join("Cleo"))
    assert cleo.types() == ["joined", "notice"]  # told at once, not at the next change
    health.set(True)
    assert gauge() == 1
    await dan.session.handle(join("Dan"))

    for client in (ada, bob, cleo):
        paused, resumed = (m for m in client.sent if m["type"] == "notice")
        assert (paused["code"], resumed["code"]) == ("captions_paused", "captions_resumed")
        assert paused["language"] is None and "nothing said is lost" in paused["message"].lower()
    assert dan.types() == ["joined"]


async def browser_like_offer(receive_slots: int) -> tuple[RTCPeerConnection, str]:
    """A microphone section and receive-only sections, as the web app offers them."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver(AudioStreamTrack(), direction="sendrecv")
    for _ in range(receive_slots):
        pc.addTransceiver("audio", direction="recvonly")
    pc.createDataChannel("captions")
    await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


async def test_one_offer_gets_one_answer_and_the_server_never_renegotiates(
    runtime: Runtime,
) -> None:
    client = Client(runtime)
    await client.session.handle(join("Ada"))
    browser, sdp = await browser_like_offer(receive_slots=3)
    try:
        await client.session.handle(message(type="offer", sdp=sdp))
        answer = client.last("answer")["sdp"]
        directions = [
            line.removeprefix("a=")
            for line in answer.splitlines()
            if line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive")
        ]
        # The microphone's section carries one relayed voice back, the first receive-only
        # one another: RTC_FORWARD_SPEAKERS (2) in all; the third receives nothing.
        assert directions == ["sendrecv", "sendonly", "inactive", "inactive"]
        assert client.last("audio_tracks")["tracks"] == []  # no one else speaks yet
        assert client.session in runtime.speakers

        with pytest.raises(ProtocolError) as again:
            await client.session.handle(message(type="offer", sdp=sdp))
        assert again.value.code == "already_offered"
        assert "offer" not in client.types()

        await client.session.close("left")
        assert client.session not in runtime.speakers
        assert client.ended == [client.session]
    finally:
        await browser.close()


async def test_an_offer_that_cannot_be_applied_gives_back_the_speaker_slot(
    runtime: Runtime,
) -> None:
    client = Client(runtime)
    await client.session.handle(join("Ada"))
    _, sdp = await browser_like_offer(receive_slots=0)
    unusable = re.sub(r"(m=audio \d+ UDP/TLS/RTP/SAVPF)[0-9 ]+", r"\1 103", sdp)
    unusable = re.sub(r"a=(rtpmap|fmtp|rtcp-fb):\d+ [^\r\n]*\r\n", "", unusable)
    unusable = unusable.replace("a=sendrecv\r\n", "a=sendrecv\r\na=rtpmap:103 ISAC/16000\r\n")
    with pytest.raises(ProtocolError) as refused:
        await client.session.handle(message(type="offer", sdp=unusable))
    assert refused.value.code == "bad_sdp"
    assert client.session not in runtime.speakers

    browser, sdp = await browser_like_offer(receive_slots=0)  # and a good offer still works
    try:
        await client.session.handle(message(type="offer", sdp=sdp))
        assert "answer" in client.types()
    finally:
        await client.session.close("left")
        await browser.close()


async def test_a_second_microphone_offer_section_is_refused_before_anything_starts(
    runtime: Runtime,
) -> None:
    client = Client(runtime)
    await client.session.handle(join("Ada"))
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver(AudioStreamTrack(), direction="sendrecv")
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    try:
        with pytest.raises(ProtocolError) as refused:
            await client.session.handle(message(type="offer", sdp=pc.localDescription.sdp))
        assert refused.value.code == "bad_sdp"
        assert client.session not in runtime.speakers
    finally:
        await pc.close()


async def test_a_store_that_does_not_hold_captions_never_says_they_are_paused(
    runtime: Runtime,
) -> None:
    """SQLite logs a write that fails and the captions go on: nobody is told they wait."""
    health = runtime.rooms.transcripts.health
    health.holds_writes = False
    ada, bob = Client(runtime), Client(runtime)
    await ada.session.handle(join("Ada"))
    health.set(False)
    await bob.session.handle(join("Bob"))
    health.set(True)
    assert "notice" not in ada.types() + bob.types()


async def test_a_captions_only_viewer_reads_history_and_live_captions_on_its_websocket(
    runtime: Runtime,
) -> None:
    speaker, viewer = Client(runtime), Client(runtime)
    await speaker.session.handle(join("Ada"))
    room = runtime.rooms.get("standup")
    assert room is not None
    ada = room.participants[speaker.session.participant_id]

    async def say(utterance: int, text: str) -> None:
        room.captions.publish(ada, SpeechEvent(SpeechEventType.FINAL, utterance, text, "en"))
        await asyncio.sleep(0.1)  # the router delivers from its own task

    await say(0, "Good morning.")
    told_before = len(speaker.sent)
    await viewer.session.handle(
        message(type="join", room="standup", name="Lecture hall", captions_only=True)
    )
    assert viewer.last("joined")["audio_slots"] == 0
    assert [p["name"] for p in viewer.last("joined")["participants"]] == ["Ada"]
    # An audience is not announced to the meeting, however large it grows.
    assert speaker.types()[told_before:] == []
    await say(1, "Let us begin.")
    captions = [m for m in viewer.sent if m["type"] == "caption"]
    assert [(c["text"], c.get("history", False), c["seq"]) for c in captions] == [
        ("Good morning.", True, 1),
        ("Let us begin.", False, 2),
    ]
    assert viewer.types()[:2] == ["joined", "caption"]  # the history right after `joined`

    with pytest.raises(ProtocolError) as refused:
        await viewer.session.handle(message(type="offer", sdp="v=0"))
    assert refused.value.code == "captions_only"


async def test_a_resumed_captions_only_viewer_gets_what_it_missed(runtime: Runtime) -> None:
    speaker, viewer = Client(runtime), Client(runtime)
    await speaker.session.handle(join("Ada"))
    await viewer.session.handle(
        message(type="join", room="standup", name="Viewer", captions_only=True)
    )
    joined = viewer.last("joined")
    room = runtime.rooms.get("standup")
    assert room is not None
    ada = room.participants[speaker.session.participant_id]
    await viewer.session.close("disconnected")
    room.captions.publish(ada, SpeechEvent(SpeechEventType.FINAL, 0, "Missed.", "en"))
    await asyncio.sleep(0.1)

    back = Client(runtime)
    resume = {"participant_id": joined["participant_id"], "token": joined["resume_token"]}
    await back.session.handle(
        message(type="join", room="standup", name="Viewer", captions_only=True, resume=resume)
    )
    assert [(m["type"], m.get("text"), m.get("seq")) for m in back.sent[1:]] == [
        ("caption", "Missed.", 1)
    ]


async def test_captions_only_viewers_do_not_fill_the_meeting(runtime: Runtime) -> None:
    """The room size (8 here) limits the meeting; a lecture's audience is counted apart."""
    members = [Client(runtime) for _ in range(8)]
    viewers = [Client(runtime) for _ in range(20)]
    for number, viewer in enumerate(viewers):
        await viewer.session.handle(
            message(type="join", room="standup", name=f"V{number}", captions_only=True)
        )
        assert viewer.last("joined")
    for number, member in enumerate(members):
        await member.session.handle(join(f"M{number}"))
        assert len(member.last("joined")["participants"]) == number + 1
    with pytest.raises(RoomFull):
        await Client(runtime).session.handle(join("Ninth"))
    told = [len(member.sent) for member in members]
    for viewer in viewers[:10]:
        await viewer.session.handle(message(type="leave"))
    assert [len(member.sent) for member in members] == told  # nobody is told they left
