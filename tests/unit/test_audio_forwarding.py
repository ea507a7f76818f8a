"""Who is forwarded to whom, and how forwarded packets are paced: the relay without a network."""

from __future__ import annotations

import asyncio
import queue
from types import SimpleNamespace

import numpy as np
import pytest
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError

from rtc_server.webrtc.relay import FRAME_TICKS, MAX_QUEUED_PACKETS, ForwardedAudio, RoomAudio
from rtc_server.webrtc.speaker_selection import RecentSpeakers, assign_slots, level_dbfs

LOUD = -20.0
QUIET = -70.0
OPUS = SimpleNamespace(name="opus")


def talk(speakers: RecentSpeakers, speaker: str, start: float, seconds: float) -> None:
    for step in range(int(seconds / 0.02)):
        speakers.hear(speaker, LOUD, start + step * 0.02)


def test_a_talk_spurt_moves_its_speaker_to_the_front() -> None:
    speakers = RecentSpeakers()
    for name in "abcd":
        speakers.add(name)
    talk(speakers, "d", 0.0, 1.0)
    talk(speakers, "c", 2.0, 1.0)
    assert speakers.for_listener("x", 3) == ["c", "d", "a"]
    assert speakers.for_listener("c", 3) == ["d", "a", "b"]  # nobody hears themselves


def test_a_blip_shorter_than_a_spurt_moves_nobody() -> None:
    speakers = RecentSpeakers()
    for name in "ab":
        speakers.add(name)
    talk(speakers, "b", 0.0, 0.1)
    assert speakers.for_listener("x", 1) == ["a"]


def test_silence_and_quiet_noise_move_nobody() -> None:
    speakers = RecentSpeakers()
    for name in "ab":
        speakers.add(name)
    for step in range(200):
        assert not speakers.hear("b", QUIET, step * 0.02)
    assert speakers.for_listener("x", 1) == ["a"]


def test_people_talking_at_once_do_not_flap() -> None:
    speakers = RecentSpeakers()
    for name in "abc":
        speakers.add(name)
    changes = 0
    for step in range(500):  # a, b and c all talk for 10 s, interleaved frame by frame
        for name in "abc":
            changes += speakers.hear(name, LOUD, step * 0.02)
    assert changes <= 3  # each moved once, at the start of its spurt


def test_slots_keep_their_speaker_and_newcomers_take_freed_ones() -> None:
    assert assign_slots([None, None, None], ["a", "b"]) == ["a", "b", None]
    assert assign_slots(["a", "b", None], ["c", "b", "a"]) == ["a", "b", "c"]
    assert assign_slots(["a", "b", "c"], ["d", "c", "a"]) == ["a", "d", "c"]


def test_level_of_silence_and_of_a_full_scale_tone() -> None:
    assert level_dbfs(np.zeros(320, dtype=np.float32)) == -np.inf
    tone = np.sin(np.linspace(0, 40 * np.pi, 320, dtype=np.float32))
    assert level_dbfs(tone) == pytest.approx(-3.0, abs=0.1)


async def test_forwarded_timestamps_run_on_across_a_switch_of_speaker() -> None:
    slot = ForwardedAudio()
    slot.push("a", b"1", 1000)
    slot.push("a", b"2", 1960)
    slot.push("a", b"3", 3880)  # one packet lost: the gap is kept
    slot.push("b", b"4", 7_777_777)  # another speaker's timeline
    pts = [(await slot.recv()).pts for _ in range(4)]
    assert pts == [FRAME_TICKS, 2 * FRAME_TICKS, 4 * FRAME_TICKS, 5 * FRAME_TICKS]


async def test_a_listener_that_falls_behind_loses_the_oldest_packets() -> None:
    slot = ForwardedAudio()
    for number in range(MAX_QUEUED_PACKETS + 5):
        slot.push("a", bytes([number]), number * FRAME_TICKS)
    first = await slot.recv()
    assert bytes(first) == bytes([5])


async def test_a_stopped_slot_ends_its_sender() -> None:
    slot = ForwardedAudio()
    waiting = asyncio.ensure_future(slot.recv())
    await asyncio.sleep(0)
    slot.stop()
    with pytest.raises(MediaStreamError):
        await waiting


class FakeReceiver:
    """What the tap needs of aiortc's receiver: its decoder queue."""

    def __init__(self) -> None:
        self._RTCRtpReceiver__decoder_queue: queue.Queue[object] = queue.Queue()

    def receive(self, payload: bytes, timestamp: int) -> None:
        self._RTCRtpReceiver__decoder_queue.put((OPUS, JitterFrame(payload, timestamp)))


class Announcements:
    def __init__(self) -> None:
        self.latest: list[str | None] | None = None
        self.count = 0

    def __call__(self, speakers: list[str | None]) -> None:
        self.latest, self.count = speakers, self.count + 1


async def test_room_forwards_the_latest_speakers_into_each_listeners_slots() -> None:
    now = [0.0]
    audio = RoomAudio(slots=2, clock=lambda: now[0])
    receivers = {name: FakeReceiver() for name in "abc"}
    for name, receiver in receivers.items():
        audio.add_speaker(name, receiver)  # type: ignore[arg-type]
    slots = {name: [ForwardedAudio(), ForwardedAudio()] for name in "abl"}
    told = {name: Announcements() for name in slots}
    for name, listener_slots in slots.items():
        audio.add_listener(name, listener_slots, told[name])
    assert told["l"].latest == ["a", "b"]  # before anyone talks: in order of arrival
    assert told["a"].latest == ["b", "c"]

    speech = np.full(320, 0.1, dtype=np.float32)
    for _ in range(20):
        now[0] += 0.02
        audio.hear("c", speech)
    assert told["l"].latest == ["a", "c"]  # c took the slot of the least recent, b
    assert told["a"].latest == ["b", "c"]  # unchanged: a already heard c

    receivers["c"].receive(b"from c", 960)
    receivers["a"].receive(b"from a", 960)
    assert bytes(await slots["l"][1].recv()) == b"from c"
    assert bytes(await slots["a"][1].recv()) == b"from c"
    assert bytes(await slots["b"][0].recv()) == b"from a"

    audio.remove("c")
    assert told["l"].latest == ["a", "b"]
