"""A room: who is in it, what they are told, and its captions' router and audio relay."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from aiortc import RTCRtpReceiver

from rtc_server.asr.recognizer import Audio
from rtc_server.rooms.bus import CaptionBus, CaptionDelivery
from rtc_server.rooms.caption_router import CaptionRouter
from rtc_server.rooms.participant import Participant
from rtc_server.signaling.messages import ParticipantInfo
from rtc_server.signaling.server_messages import (
    CaptionLanguage,
    LeaveReason,
    Notice,
    ParticipantJoined,
    ParticipantLeft,
    Participants,
    ServerMessage,
    encode,
)
from rtc_server.storage.store import StoredCaption, TranscriptStore
from rtc_server.translation.service import TranslationService
from rtc_server.webrtc.relay import ForwardedAudio, SlotsChanged


class AudioForwarder(Protocol):
    """The room's audio relay: each speaker's packets into its listeners' slots."""

    slots: int  # per listener; 0: no relay

    @property
    def enabled(self) -> bool: ...

    def add_speaker(self, speaker_id: str, receiver: RTCRtpReceiver) -> None: ...

    def hear(self, speaker_id: str, samples: Audio) -> None: ...

    def add_listener(
        self, listener_id: str, slots: list[ForwardedAudio], on_change: SlotsChanged
    ) -> None: ...

    def remove(self, participant_id: str) -> None: ...


class Room:
    def __init__(
        self,
        room_id: str,
        audio: AudioForwarder,
        translator: TranslationService,
        transcripts: TranscriptStore,
        bus: CaptionBus,
        history_size: int,
        history: Iterable[StoredCaption] = (),
        other_readers: Callable[[], frozenset[str]] = frozenset,
    ) -> None:
        self.id = room_id
        self.audio = audio
        self.participants: dict[str, Participant] = {}
        self._translator = translator
        self._other_readers = other_readers  # on a cluster's other instances
        self.captions = CaptionRouter(
            room_id, self, translator, transcripts, bus, history_size, history
        )
        self._unsubscribe: Callable[[], None] = bus.subscribe(room_id, self._deliver)

    def broadcast(self, message: ServerMessage, exclude: Participant | None = None) -> None:
        text = encode(message)  # once for everyone
        for participant in list(self.participants.values()):
            if participant is not exclude:
                participant.connection.send(text)

    def languages_in_use(self) -> frozenset[str]:
        """Languages people here said they speak or read: what a speaker on auto may speak."""
        spoken = {p.language for p in self.participants.values() if p.language != "auto"}
        return frozenset(spoken | self.caption_languages())

    def caption_languages(self) -> set[str]:
        """What the room's captions are translated into: for its readers here and elsewhere."""
        return self.readers_here() | self._other_readers()

    def readers_here(self) -> set[str]:
        return {p.caption_language for p in self.participants.values() if p.caption_language}

    def participant_list(self) -> list[ParticipantInfo]:
        """The meeting: everyone but captions-only viewers, who may be a lecture's thousand."""
        return [p.info for p in self.participants.values() if not p.captions_only]

    def meeting_size(self) -> int:
        return sum(not p.captions_only for p in self.participants.values())

    def add(self, participant: Participant) -> None:
        self.participants[participant.id] = participant
        if participant.captions_only:
            return
        self.broadcast(ParticipantJoined(participant=participant.info), participant)
        # The newcomer gets the list in its `joined` message.
        self.broadcast(Participants(participants=self.participant_list()), participant)

    def remove(self, participant: Participant, reason: LeaveReason) -> None:
        if self.participants.pop(participant.id, None) is None:
            return
        self.audio.remove(participant.id)
        self.captions.speaker_left(participant.id)
        self.captions.listener_left(participant.id)
        if participant.captions_only:
            return
        self.broadcast(ParticipantLeft(participant=participant.info, reason=reason))
        self.broadcast(Participants(participants=self.participant_list()))

    def set_caption_language(self, participant: Participant, language: str | None) -> None:
        participant.caption_language = language
        participant.send_signal(CaptionLanguage(language=language))
        if not participant.captions_only:
            self.broadcast(Participants(participants=self.participant_list()))
        self.check_translation(participant)
        self.captions.resend_history(participant)

    def check_translation(self, participant: Participant) -> None:
        language = participant.caption_language
        if language is not None and not self._translator.can_translate_to(language):
            participant.send_signal(
                Notice(
                    code="translation_unavailable",
                    message=self._translator.unavailable_reason(language),
                    language=language,
                )
            )

    def notify(self, code: str, message: str, language: str | None) -> None:
        """Tell the listeners a translation state concerns (all who need any translation)."""
        notice = encode(Notice(code=code, message=message, language=language))
        for participant in list(self.participants.values()):
            wanted = participant.caption_language
            if wanted is not None and (language is None or wanted == language):
                participant.connection.send(notice)

    def _deliver(self, delivery: CaptionDelivery) -> None:
        """The room's captions, from the bus, to the members here who read them."""
        if delivery.remote:
            self.captions.remember(delivery.message)  # for those who join here later
        wanted = delivery.caption_language
        for participant in list(self.participants.values()):
            if wanted is None or participant.caption_language == wanted:
                participant.captions.send(delivery.message, delivery.provisional)

    def retire(self) -> None:
        """The last member left: stop delivering here. Captions still on their way (a
        leaving speaker's last words) are written all the same."""
        self._unsubscribe()

    async def close(self) -> None:
        self.retire()
        await self.captions.close()
