"""Every open room, by name: joining, holding a dropped participant, resuming, leaving."""

from __future__ import annotations

import asyncio
import logging
import secrets

from rtc_server.observability import metrics
from rtc_server.rooms.bus import CaptionBus, LocalCaptionBus
from rtc_server.rooms.errors import NotAccepting, NothingToResume, RoomFull
from rtc_server.rooms.hosting import Hosting, SingleInstance
from rtc_server.rooms.membership import Room
from rtc_server.rooms.participant import AWAY, Connection, Participant
from rtc_server.signaling.server_messages import ErrorMessage, LeaveReason, Notice
from rtc_server.storage.store import TranscriptStore
from rtc_server.tasks import start_task
from rtc_server.translation.service import TranslationService
from rtc_server.webrtc.relay import RoomAudio

log = logging.getLogger(__name__)

CAPTIONS_PAUSED = Notice(
    code="captions_paused",
    message="Captions are paused: the transcript database is unavailable. Nothing said is "
    "lost; the captions resume by themselves when it is back.",
    language=None,
)
CAPTIONS_RESUMED = Notice(
    code="captions_resumed",
    message="The transcript database is back: captions resume, with what was said meanwhile.",
    language=None,
)


class RoomRegistry:
    """Rooms exist while they have participants; a room (re)opens with its stored history."""

    def __init__(
        self,
        translator: TranslationService,
        max_size: int,
        history_size: int,
        audio_slots: int,
        transcripts: TranscriptStore,
        bus: CaptionBus | None = None,
        hosting: Hosting | None = None,
    ) -> None:
        self.transcripts = transcripts
        self.accepting = True  # false once the server is shutting down
        self._bus = bus or LocalCaptionBus()
        self._hosting = hosting or SingleInstance()
        self._rooms: dict[str, Room] = {}
        self._opening: dict[str, asyncio.Task[Room]] = {}
        self._translator = translator
        self._max_size = max_size
        self._history_size = history_size
        self._audio_slots = audio_slots
        self._held: dict[str, asyncio.TimerHandle] = {}  # participant id → its departure
        # Finals wait for their write, so a store that cannot write pauses every room.
        self._unwatch_store = transcripts.health.on_change(self._store_health_changed)
        metrics.TRANSCRIPT_STORE_HEALTHY.set(transcripts.health.healthy)

    async def join(self, room_id: str, participant: Participant) -> Room:
        self._check_accepting()
        room = self._rooms.get(room_id)
        if room is None:
            room = self._rooms.setdefault(room_id, await self._open(room_id))
        if not participant.captions_only and room.meeting_size() >= self._max_size:
            raise RoomFull(f"room {room_id!r} is full ({self._max_size} people)")
        metrics.ROOMS.set(len(self._rooms))
        room.add(participant)
        return room

    def _check_accepting(self) -> None:
        if not self.accepting:
            raise NotAccepting("the server is shutting down; join again shortly")

    async def _open(self, room_id: str) -> Room:
        """One history load per room, however many join at once while it runs."""
        opening = self._opening.get(room_id)
        if opening is None:
            opening = self._opening[room_id] = start_task(self._load(room_id))
        return await asyncio.shield(opening)

    async def _load(self, room_id: str) -> Room:
        try:
            history = await self.transcripts.recent(room_id, self._history_size)
        except Exception:
            log.exception("room %s: history could not be read; it starts empty", room_id)
            history = []
        finally:
            del self._opening[room_id]
        return Room(
            room_id,
            RoomAudio(self._audio_slots),
            self._translator,
            self.transcripts,
            self._bus,
            self._history_size,
            history,
            other_readers=lambda: self._hosting.other_readers(room_id),
        )

    def _store_health_changed(self, healthy: bool) -> None:
        metrics.TRANSCRIPT_STORE_HEALTHY.set(healthy)
        if not self.transcripts.health.holds_writes:
            return  # captions go on (unsaved, logged): "paused" would not be true
        for room in self._rooms.values():
            room.broadcast(CAPTIONS_RESUMED if healthy else CAPTIONS_PAUSED)

    def check_captions_paused(self, participant: Participant) -> None:
        """Tell someone (re)joining during an outage of the store why no caption comes."""
        health = self.transcripts.health
        if health.holds_writes and not health.healthy:
            participant.send_signal(CAPTIONS_PAUSED)

    def get(self, room_id: str) -> Room | None:
        return self._rooms.get(room_id)

    def hold(
        self, room: Room, participant: Participant, window_s: float, reason: LeaveReason
    ) -> None:
        """Keep a participant whose connection dropped in the room, resumable for `window_s`;
        the others see no change unless it does not come back (then it leaves for `reason`)."""
        participant.connection = AWAY
        participant.captions.hold()
        room.audio.remove(participant.id)  # its tracks ended with its peer connection
        self._held[participant.id] = asyncio.get_running_loop().call_later(
            window_s, self.leave, room, participant, reason
        )

    def resume(
        self, room_id: str, participant_id: str, token: str, connection: Connection
    ) -> tuple[Room, Participant]:
        """Give a participant to a new connection, with a new resume token."""
        self._check_accepting()
        room = self._rooms.get(room_id)
        participant = room.participants.get(participant_id) if room else None
        valid = participant is not None and secrets.compare_digest(
            participant.resume_token.encode(), token.encode()
        )
        if valid and participant is not None and participant.id not in self._held:
            participant.connection.hand_over()  # its old connection has not noticed it is gone
        departure = self._held.pop(participant_id, None) if valid else None
        if room is None or participant is None or departure is None:
            raise NothingToResume(
                "there is no session to resume (unknown, expired or already resumed); "
                "join again without resume"
            )
        departure.cancel()
        participant.connection = connection
        participant.resume_token = secrets.token_urlsafe(24)
        return room, participant

    def leave(self, room: Room, participant: Participant, reason: LeaveReason) -> None:
        departure = self._held.pop(participant.id, None)
        if departure is not None:
            departure.cancel()
        room.remove(participant, reason)
        if not room.participants and self._rooms.get(room.id) is room:
            del self._rooms[room.id]
            metrics.ROOMS.set(len(self._rooms))
            stats = room.captions.translation_stats.summary()
            log.info("room %s closed; translation: %s", room.id, stats)
            room.retire()
            self._hosting.room_closed(room.id)

    def reader_languages(self) -> dict[str, set[str]]:
        """Each open room's caption languages read on this instance."""
        return {room.id: room.readers_here() for room in self._rooms.values()}

    def evict(self, room_id: str, message: str) -> None:
        """The room is hosted on another instance now: its members here reconnect there."""
        room = self._rooms.get(room_id)
        if room is None:
            return
        for participant in list(room.participants.values()):
            if participant.away:
                self.leave(room, participant, "shutdown")
            else:
                participant.connection.end(ErrorMessage(code="room_moving", message=message))

    def rooms(self) -> list[Room]:
        return list(self._rooms.values())

    async def close(self) -> None:
        self._unwatch_store()
        for departure in self._held.values():
            departure.cancel()
        self._held.clear()
        for room in list(self._rooms.values()):
            await room.close()
        self._rooms.clear()
