"""Rooms: who is in them, and every caption routed to every participant in its language."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from rtc_server.asr.stream import SpeechEvent, SpeechEventType
from rtc_server.observability import metrics
from rtc_server.signaling.messages import (
    ParticipantInfo,
    ProtocolError,
    Resume,
    Speaker,
    server_message,
)
from rtc_server.storage.store import StoredCaption, TranscriptStore
from rtc_server.tasks import BackgroundTasks, start_task
from rtc_server.translation.base import TranslationRequest
from rtc_server.translation.sentences import WAIT_S, Piece, Sentence, SentenceAssembler
from rtc_server.translation.service import TranslationService, TranslationStats
from rtc_server.webrtc.caption_channel import CaptionChannel
from rtc_server.webrtc.relay import RoomAudio

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Participant:
    id: str
    name: str
    language: str  # spoken: a code or "auto"
    caption_language: str | None
    send_signal: Callable[[str], None]  # a message on this participant's WebSocket
    hand_over: Callable[[], None]  # its connection lets go of it (held) for a resuming one
    captions: CaptionChannel = field(default_factory=CaptionChannel)
    audio_origin_ms: int = 0  # server wall clock (Unix ms) at the start of its audio; 0: none
    resume_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    streams: int = 0  # speech streams so far (one per connection)

    @property
    def info(self) -> ParticipantInfo:
        return ParticipantInfo(
            id=self.id,
            name=self.name,
            language=self.language,
            caption_language=self.caption_language,
        )

    @property
    def speaker(self) -> Speaker:
        return Speaker(id=self.id, name=self.name)


@dataclass
class _FinalCaption:
    """A finished caption as kept for late joiners, with the translations made of it."""

    body: dict[str, Any]
    translations: dict[str, dict[str, Any]] = field(default_factory=dict)
    part_of: str | None = None  # the caption whose translation covers this one's text too


class Room:
    def __init__(
        self,
        room_id: str,
        translator: TranslationService,
        history_size: int,
        audio_slots: int,
        transcripts: TranscriptStore,
        history: Iterable[StoredCaption] = (),
    ) -> None:
        self.id = room_id
        self._transcripts = transcripts
        self.audio = RoomAudio(audio_slots)
        self.participants: dict[str, Participant] = {}
        self._translator = translator
        self._history: deque[_FinalCaption] = deque(
            (_FinalCaption(c.body, dict(c.translations)) for c in history), maxlen=history_size
        )
        for caption in list(self._history):
            for translation in caption.translations.values():
                self._mark_covered(translation)
        self._context: dict[str, deque[str]] = {}  # speaker → its latest sentences
        self._sentences: dict[str, SentenceAssembler] = {}  # speaker → pieces waiting
        self._sentence_timers: dict[str, asyncio.TimerHandle] = {}
        self._history_translations: dict[str, asyncio.Task[None]] = {}  # by listener
        self._tasks = BackgroundTasks()
        self.translation_stats = TranslationStats()

    # Membership

    def broadcast(self, message: str, exclude: Participant | None = None) -> None:
        for participant in list(self.participants.values()):
            if participant is not exclude:
                participant.send_signal(message)

    def languages_in_use(self) -> frozenset[str]:
        """Languages people here said they speak or read: what a speaker on auto may speak."""
        spoken = {p.language for p in self.participants.values() if p.language != "auto"}
        read = {p.caption_language for p in self.participants.values() if p.caption_language}
        return frozenset(spoken | read)

    def participant_list(self) -> list[ParticipantInfo]:
        return [p.info for p in self.participants.values()]

    def add(self, participant: Participant) -> None:
        self.participants[participant.id] = participant
        self.broadcast(
            server_message("participant_joined", participant=participant.info), participant
        )
        # The newcomer gets the list in its `joined` message.
        roster = server_message("participants", participants=self.participant_list())
        self.broadcast(roster, participant)

    def remove(self, participant: Participant, reason: str) -> None:
        if self.participants.pop(participant.id, None) is None:
            return
        self.audio.remove(participant.id)
        self._translate_waiting(participant)
        self._context.pop(participant.id, None)
        self._sentences.pop(participant.id, None)
        history = self._history_translations.pop(participant.id, None)
        if history is not None:
            history.cancel()
        self.broadcast(
            server_message("participant_left", participant=participant.info, reason=reason)
        )
        self.broadcast(server_message("participants", participants=self.participant_list()))

    def set_caption_language(self, participant: Participant, language: str | None) -> None:
        participant.caption_language = language
        participant.send_signal(server_message("caption_language", language=language))
        self.broadcast(server_message("participants", participants=self.participant_list()))
        self.check_translation(participant)
        self._resend_history(participant)

    def _resend_history(self, participant: Participant) -> None:
        """The earlier captions in the participant's new caption language: the translations
        kept at once, the missing ones as they are made, one at a time, newest first."""
        running = self._history_translations.pop(participant.id, None)
        if running is not None:
            running.cancel()
        target = participant.caption_language
        if target is None or not self._translator.can_translate_to(target):
            return
        missing: list[list[_FinalCaption]] = []  # sentences: their pieces, in order
        pieces: dict[str, list[_FinalCaption]] = {}  # the earlier pieces of each sentence
        for caption in list(self._history):
            translation = caption.translations.get(target)
            if caption.part_of is not None:
                pieces.setdefault(caption.part_of, []).append(caption)
            elif translation is not None:
                participant.captions.send("translation", {**translation, "history": True})
            elif caption.body["language"] not in (None, target):
                missing.append([*pieces.get(caption.body["id"], []), caption])
        if missing:
            self._history_translations[participant.id] = self._tasks.spawn(
                self._translate_history(missing[::-1], target)
            )

    async def _translate_history(self, sentences: list[list[_FinalCaption]], target: str) -> None:
        for sentence in sentences:
            last = sentence[-1].body
            request = TranslationRequest(
                caption_id=last["id"],
                text=" ".join(caption.body["text"] for caption in sentence),
                source_language=last["language"],
                covers=tuple(c.body["id"] for c in sentence) if len(sentence) > 1 else (),
            )
            speaker = Speaker.model_validate(last["speaker"])
            await self._translate(request, target, speaker, time.perf_counter(), history=True)

    def check_translation(self, participant: Participant) -> None:
        language = participant.caption_language
        if language is not None and not self._translator.can_translate_to(language):
            participant.send_signal(
                server_message(
                    "notice",
                    code="translation_unavailable",
                    message=self._translator.unavailable_reason(language),
                    language=language,
                )
            )

    def replay_history(self, participant: Participant) -> None:
        """Bring a participant whose caption channel just opened up to date."""
        for caption in list(self._history):
            participant.captions.send("caption", {**caption.body, "history": True})
            translation = caption.translations.get(participant.caption_language or "")
            if translation is not None:
                participant.captions.send("translation", {**translation, "history": True})

    # Captions

    def publish(self, speaker: Participant, event: SpeechEvent, stream: int = 1) -> None:
        # A resumed speaker's new stream counts utterances from 0 again: keep ids unique.
        utterance = f"{event.utterance}" if stream == 1 else f"{stream}.{event.utterance}"
        caption_id = f"{speaker.id}:{utterance}"
        if event.type in (SpeechEventType.START_OF_SPEECH, SpeechEventType.END_OF_SPEECH):
            speaking = event.type is SpeechEventType.START_OF_SPEECH
            self._send_all(
                "speech", {"speaker": speaker.speaker.model_dump(), "speaking": speaking}
            )
            return
        if event.type is SpeechEventType.FINAL and not event.text:
            self._send_all("caption_withdrawn", {"id": caption_id})
            return
        final = event.type is SpeechEventType.FINAL
        body = {
            "id": caption_id,
            "speaker": speaker.speaker.model_dump(),
            "language": event.language,
            "text": event.text,
            "final": final,
            "start": round(event.start, 2),
            "end": round(event.end, 2),
            "origin": speaker.audio_origin_ms,
        }
        if event.interrupted:
            body["interrupted"] = True
        if event.continued:
            body["continued"] = True
        metrics.CAPTIONS.labels("final" if final else "partial").inc()
        if not final:
            self._send_all("caption", body, provisional=True)
            return
        self._history.append(_FinalCaption(body))
        # Sent once written (a fraction of a millisecond, off the event loop): whatever a
        # listener saw survives a crash. Writes finish in order, so sends keep their order.
        written = self._transcripts.add_caption(self.id, body)
        written.add_done_callback(lambda _: self._send_final(speaker, event, body))

    def _send_final(self, speaker: Participant, event: SpeechEvent, body: dict[str, Any]) -> None:
        """A final that is written: to everyone, then, once its sentence is whole, to the
        translator (`sentences`)."""
        self._send_all("caption", body)
        piece = Piece(body["id"], event.text, event.language or "", event.continued, event.audio)
        assembler = self._sentences.setdefault(speaker.id, SentenceAssembler())
        for sentence in assembler.add(piece):
            self._translate_sentence(speaker, sentence)
        timer = self._sentence_timers.pop(speaker.id, None)
        if timer is not None:
            timer.cancel()
        if assembler.waiting:
            self._sentence_timers[speaker.id] = asyncio.get_running_loop().call_later(
                WAIT_S, self._translate_waiting, speaker
            )

    def _translate_waiting(self, speaker: Participant) -> None:
        """The pieces of an unfinished sentence waited long enough: translate them as they are."""
        timer = self._sentence_timers.pop(speaker.id, None)
        if timer is not None:
            timer.cancel()
        assembler = self._sentences.get(speaker.id)
        for sentence in assembler.flush() if assembler else []:
            self._translate_sentence(speaker, sentence)

    def _translate_sentence(self, speaker: Participant, sentence: Sentence) -> None:
        context = self._context.setdefault(speaker.id, deque(maxlen=20))
        request = TranslationRequest(
            caption_id=sentence.caption_id,
            text=sentence.text,
            source_language=sentence.language,
            audio=sentence.audio,
            context=tuple(context),
            covers=sentence.covers if len(sentence.pieces) > 1 else (),
        )
        context.append(sentence.text)
        final_at = time.perf_counter()
        for target in self._targets(sentence.language):
            self._tasks.spawn(self._translate(request, target, speaker.speaker, final_at))

    def _targets(self, source: str) -> set[str]:
        return {
            p.caption_language
            for p in self.participants.values()
            if p.caption_language
            and p.caption_language != source
            and self._translator.can_translate_to(p.caption_language)
        }

    async def _translate(
        self,
        request: TranslationRequest,
        target: str,
        speaker: Speaker,
        final_at: float,
        history: bool = False,
    ) -> None:
        base: dict[str, Any] = {
            "caption_id": request.caption_id,
            "speaker": speaker.model_dump(),
            "language": target,
            "source_language": request.source_language,
        }
        if request.covers:
            base["covers"] = list(request.covers)
        if history:
            base["history"] = True

        def send(body: dict[str, Any]) -> None:
            for participant in list(self.participants.values()):
                if participant.caption_language == target:
                    participant.captions.send("translation", body, provisional=not body["final"])

        def deliver(text: str, final: bool) -> None:
            body = {**base, "text": text, "final": final}
            if not final:
                send(body)
                return
            kept = {key: value for key, value in body.items() if key != "history"}
            for caption in reversed(self._history):  # recent captions come last
                if caption.body["id"] == request.caption_id:
                    caption.translations[target] = kept
                    break
            self._mark_covered(kept)

            def stored(_: object) -> None:
                send(body)
                metrics.TRANSLATION_DELIVERY.observe(time.perf_counter() - final_at)

            self._transcripts.add_translation(self.id, kept).add_done_callback(stored)

        await self._translator.translate(
            request, target, deliver, self._notify, self.translation_stats
        )

    def _mark_covered(self, translation: dict[str, Any]) -> None:
        """The earlier pieces a sentence's translation stands for need none of their own."""
        last = translation["caption_id"]
        earlier = set(translation.get("covers", ())) - {last}
        for caption in self._history:
            if caption.body["id"] in earlier:
                caption.part_of = last

    def _notify(self, code: str, message: str, language: str | None) -> None:
        """Tell the listeners a translation state concerns (all who need any translation)."""
        notice = server_message("notice", code=code, message=message, language=language)
        for participant in list(self.participants.values()):
            wanted = participant.caption_language
            if wanted is not None and (language is None or wanted == language):
                participant.send_signal(notice)

    def _send_all(self, kind: str, body: dict[str, Any], provisional: bool = False) -> None:
        for participant in list(self.participants.values()):
            participant.captions.send(kind, body, provisional=provisional)

    async def finish_translations(self) -> None:
        """Translate what waits for the rest of its sentence, and wait for the translations
        under way (of the last finals, at shutdown)."""
        for participant in list(self.participants.values()):
            self._translate_waiting(participant)
        await self._tasks.wait_all()

    async def close(self) -> None:
        for timer in self._sentence_timers.values():
            timer.cancel()
        await self._tasks.cancel_all()


class RoomRegistry:
    """Rooms exist while they have participants; a room (re)opens with its stored history."""

    def __init__(
        self,
        translator: TranslationService,
        max_size: int,
        history_size: int,
        audio_slots: int,
        transcripts: TranscriptStore,
    ) -> None:
        self.transcripts = transcripts
        self.accepting = True  # false once the server is shutting down
        self._rooms: dict[str, Room] = {}
        self._opening: dict[str, asyncio.Future[Room]] = {}
        self._translator = translator
        self._max_size = max_size
        self._history_size = history_size
        self._audio_slots = audio_slots
        self._held: dict[str, asyncio.TimerHandle] = {}  # participant id → its departure

    async def join(self, room_id: str, participant: Participant) -> Room:
        if not self.accepting:
            raise ProtocolError("shutting_down", "the server is shutting down; join again shortly")
        room = self._rooms.get(room_id)
        if room is None:
            room = self._rooms.setdefault(room_id, await self._open(room_id))
        if len(room.participants) >= self._max_size:
            raise ProtocolError("room_full", f"room {room_id!r} is full ({self._max_size} people)")
        metrics.ROOMS.set(len(self._rooms))
        room.add(participant)
        return room

    async def _open(self, room_id: str) -> Room:
        """One history load per room, however many join at once while it runs."""
        opening = self._opening.get(room_id)
        if opening is None:
            opening = start_task(self._load(room_id))
            self._opening[room_id] = opening
            opening.add_done_callback(lambda _: self._opening.pop(room_id, None))
        return await asyncio.shield(opening)

    async def _load(self, room_id: str) -> Room:
        try:
            history = await self.transcripts.recent(room_id, self._history_size)
        except Exception:
            log.exception("room %s: history could not be read; it starts empty", room_id)
            history = []
        return Room(
            room_id,
            self._translator,
            self._history_size,
            self._audio_slots,
            self.transcripts,
            history,
        )

    def get(self, room_id: str) -> Room | None:
        return self._rooms.get(room_id)

    def hold(self, room: Room, participant: Participant, window_s: float, reason: str) -> None:
        """Keep a participant whose connection dropped in the room, resumable for `window_s`;
        the others see no change unless it does not come back (then it leaves for `reason`)."""
        participant.send_signal = _nowhere
        participant.captions.hold()
        room.audio.remove(participant.id)  # its tracks ended with its peer connection
        self._held[participant.id] = asyncio.get_running_loop().call_later(
            window_s, self.leave, room, participant, reason
        )

    def resume(
        self,
        room_id: str,
        request: Resume,
        send_signal: Callable[[str], None],
        hand_over: Callable[[], None],
    ) -> tuple[Room, Participant]:
        """Give a participant to a new connection, with a new resume token."""
        if not self.accepting:
            raise ProtocolError("shutting_down", "the server is shutting down; join again shortly")
        room = self._rooms.get(room_id)
        participant = room.participants.get(request.participant_id) if room else None
        valid = participant is not None and secrets.compare_digest(
            participant.resume_token.encode(), request.token.encode()
        )
        if valid and participant is not None and participant.id not in self._held:
            participant.hand_over()  # its old connection has not noticed it is gone
        departure = self._held.pop(request.participant_id, None) if valid else None
        if room is None or participant is None or departure is None:
            raise ProtocolError(
                "resume_failed",
                "there is no session to resume (unknown, expired or already resumed); "
                "join again without resume",
            )
        departure.cancel()
        participant.send_signal = send_signal
        participant.hand_over = hand_over
        participant.resume_token = secrets.token_urlsafe(24)
        return room, participant

    def leave(self, room: Room, participant: Participant, reason: str) -> None:
        departure = self._held.pop(participant.id, None)
        if departure is not None:
            departure.cancel()
        room.remove(participant, reason)
        if not room.participants and self._rooms.get(room.id) is room:
            del self._rooms[room.id]
            metrics.ROOMS.set(len(self._rooms))
            log.info("room %s closed; translation: %s", room.id, room.translation_stats.summary())

    def rooms(self) -> list[Room]:
        return list(self._rooms.values())

    async def close(self) -> None:
        for departure in self._held.values():
            departure.cancel()
        self._held.clear()
        for room in list(self._rooms.values()):
            await room.close()
        self._rooms.clear()


def _nowhere(message: str) -> None:
    """Where a held participant's signaling goes: its connection is gone."""
