"""The room's audio relay: each speaker's Opus packets forwarded as they arrived, never re-encoded.

Every listener has a fixed number of slots (one transceiver each, offered by the client); the
room fills them with the speakers who spoke most recently (`speaker_selection`). Joining,
leaving or switching speakers only changes which packets go into a slot: no renegotiation.
Each speaker's audio is decoded once, for recognition; its level, from that decode, drives the
selection.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
from aiortc import RTCRtpReceiver
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from rtc_server.asr.recognizer import Audio
from rtc_server.observability import metrics
from rtc_server.webrtc.aiortc_patches.opus_tap import OPUS_CLOCK_RATE, tap_receiver
from rtc_server.webrtc.speaker_selection import RecentSpeakers, assign_slots, level_dbfs

TIME_BASE = Fraction(1, OPUS_CLOCK_RATE)
FRAME_TICKS = 960  # 20 ms, the step assumed where a slot switches to another speaker
MAX_STEP_TICKS = OPUS_CLOCK_RATE  # a longer jump in one speaker's timestamps is a new timeline
MAX_QUEUED_PACKETS = 10  # 200 ms: a listener whose connection falls further behind loses audio


class ForwardedAudio(MediaStreamTrack):
    """One slot of a listener: the packets of whichever speaker fills it, for an RTCRtpSender
    (which sends `av.Packet`s as they are). Timestamps are renumbered to run on smoothly across
    a switch of speaker, as the browser's jitter buffer expects of one stream."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._packets: deque[tuple[str, bytes, int]] = deque()
        self._arrived = asyncio.Event()
        self._pts = 0
        self._previous: tuple[str, int] | None = None  # speaker and timestamp last sent

    def push(self, speaker_id: str, payload: bytes, timestamp: int) -> None:
        if len(self._packets) >= MAX_QUEUED_PACKETS:
            self._packets.popleft()
            metrics.FORWARDED_PACKETS_DROPPED.inc()
        self._packets.append((speaker_id, payload, timestamp))
        self._arrived.set()

    async def recv(self) -> av.Packet[Any]:
        while not self._packets:
            if self.readyState != "live":
                raise MediaStreamError
            self._arrived.clear()
            await self._arrived.wait()
        speaker_id, payload, timestamp = self._packets.popleft()
        step = FRAME_TICKS
        if (
            self._previous is not None
            and self._previous[0] == speaker_id
            and 0 < timestamp - self._previous[1] <= MAX_STEP_TICKS
        ):
            step = timestamp - self._previous[1]
        self._previous = (speaker_id, timestamp)
        self._pts += step
        packet = av.Packet(payload)
        packet.pts = self._pts
        packet.time_base = TIME_BASE
        metrics.FORWARDED_PACKETS.inc()
        return packet

    def stop(self) -> None:
        super().stop()
        self._arrived.set()


SlotsChanged = Callable[[list[str | None]], None]  # the speaker in each slot (None: empty)


@dataclass(eq=False)
class _Listener:
    slots: list[ForwardedAudio]
    on_change: SlotsChanged
    speakers: list[str | None] | None = None  # None: not announced yet


class RoomAudio:
    def __init__(self, slots: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.slots = slots  # per listener; 0: no relay
        self._clock = clock
        self._recent = RecentSpeakers()
        self._listeners: dict[str, _Listener] = {}
        self._routes: dict[str, list[ForwardedAudio]] = {}  # speaker → the slots it fills

    @property
    def enabled(self) -> bool:
        return self.slots > 0

    def add_speaker(self, speaker_id: str, receiver: RTCRtpReceiver) -> None:
        """Forward what `receiver` receives from now on, into the slots the speaker fills."""
        if not self.enabled:
            return
        self._recent.add(speaker_id)
        tap_receiver(
            receiver, lambda payload, timestamp: self._forward(speaker_id, payload, timestamp)
        )
        self._reassign()

    def hear(self, speaker_id: str, samples: Audio) -> None:
        """The speaker's decoded audio, for its level."""
        if self.enabled and self._recent.hear(speaker_id, level_dbfs(samples), self._clock()):
            self._reassign()

    def add_listener(
        self, listener_id: str, slots: list[ForwardedAudio], on_change: SlotsChanged
    ) -> None:
        self._listeners[listener_id] = _Listener(slots, on_change)
        self._reassign()

    def remove(self, participant_id: str) -> None:
        """The participant stops speaking and listening here (it left, or its connection ended)."""
        self._recent.remove(participant_id)
        self._listeners.pop(participant_id, None)
        self._reassign()

    def _forward(self, speaker_id: str, payload: bytes, timestamp: int) -> None:
        for slot in self._routes.get(speaker_id, ()):
            slot.push(speaker_id, payload, timestamp)

    def _reassign(self) -> None:
        routes: dict[str, list[ForwardedAudio]] = {}
        for listener_id, listener in self._listeners.items():
            chosen = self._recent.for_listener(listener_id, len(listener.slots))
            speakers = assign_slots(listener.speakers or [None] * len(listener.slots), chosen)
            for slot, speaker_id in zip(listener.slots, speakers, strict=True):
                if speaker_id is not None:
                    routes.setdefault(speaker_id, []).append(slot)
            if speakers != listener.speakers:
                listener.speakers = speakers
                listener.on_change(speakers)
        self._routes = routes
