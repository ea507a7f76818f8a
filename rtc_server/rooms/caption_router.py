"""A room's captions, in order: written, published to its listeners, translated by sentence.

Everything a room says on its data channels passes one queue, read by one task (started when
an item arrives, ended when the queue is empty, so an idle room holds no task): a final is
written to the transcript store before it is published (whatever a listener saw survives a
crash), and nothing published after it can overtake it. Translations run beside the queue and
come back through it, so they are written and published in the same order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from rtc_server.asr.stream import SpeechEvent, SpeechEventType
from rtc_server.observability import metrics
from rtc_server.rooms.bus import CaptionBus, CaptionDelivery
from rtc_server.rooms.participant import Participant
from rtc_server.rooms.transcript_bodies import restored, stored_body
from rtc_server.signaling.caption_messages import (
    Caption,
    CaptionWithdrawn,
    ChannelMessage,
    Speech,
    Translation,
)
from rtc_server.signaling.messages import Speaker
from rtc_server.storage.store import StoredCaption, TranscriptStore
from rtc_server.tasks import BackgroundTasks, start_task
from rtc_server.translation.base import TranslationRequest
from rtc_server.translation.sentences import WAIT_S, Piece, Sentence, SentenceAssembler
from rtc_server.translation.service import TranslationService, TranslationStats

log = logging.getLogger(__name__)

CONTEXT_SENTENCES = 20  # a speaker's earlier sentences given to the translator
Replayed = TypeVar("Replayed", Caption, Translation)


class Audience(Protocol):
    """Who the router's captions are for: the room's members."""

    def caption_languages(self) -> set[str]: ...

    def notify(self, code: str, message: str, language: str | None) -> None:
        """A translation notice to the listeners reading `language` (None: any translation)."""


@dataclass
class _FinalCaption:
    """A finished caption as kept for late joiners, with the translations made of it."""

    caption: Caption
    translations: dict[str, Translation] = field(default_factory=dict)  # by language
    part_of: str | None = None  # the caption whose translation covers this one's text too


# What passes the queue.


@dataclass(frozen=True)
class _Publish:
    delivery: CaptionDelivery


@dataclass(frozen=True)
class _Final:
    speaker: Speaker
    piece: Piece
    caption: Caption


@dataclass(frozen=True)
class _Translated:
    translation: Translation
    final_at: float  # perf_counter when its source final was published


@dataclass(frozen=True)
class _SentenceDue:
    speaker_id: str  # its waiting pieces waited long enough


@dataclass(frozen=True)
class _SpeakerLeft:
    speaker_id: str


_Item = _Publish | _Final | _Translated | _SentenceDue | _SpeakerLeft


class CaptionRouter:
    def __init__(
        self,
        room_id: str,
        audience: Audience,
        translator: TranslationService,
        transcripts: TranscriptStore,
        bus: CaptionBus,
        history_size: int,
        history: Iterable[StoredCaption] = (),
    ) -> None:
        self._room_id = room_id
        self._audience = audience
        self._translator = translator
        self._transcripts = transcripts
        self._bus = bus
        self._history: deque[_FinalCaption] = deque(
            (_FinalCaption(*kept) for kept in restored(room_id, history)), maxlen=history_size
        )
        for kept in list(self._history):
            for translation in kept.translations.values():
                self._mark_covered(translation)
        self._context: dict[str, deque[str]] = {}  # speaker → its latest sentences
        self._sentences: dict[str, tuple[Speaker, SentenceAssembler]] = {}  # pieces waiting
        self._sentence_timers: dict[str, asyncio.TimerHandle] = {}
        self._history_translations: dict[str, asyncio.Task[None]] = {}  # by listener
        self._translations = BackgroundTasks()
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._consumer: asyncio.Task[None] | None = None
        self.translation_stats = TranslationStats()

    # In: speech events, departures

    def publish(self, speaker: Participant, event: SpeechEvent, stream: int = 1) -> None:
        # A resumed speaker's new stream counts utterances from 0 again: keep ids unique.
        utterance = f"{event.utterance}" if stream == 1 else f"{stream}.{event.utterance}"
        caption_id = f"{speaker.id}:{utterance}"
        if event.type in (SpeechEventType.START_OF_SPEECH, SpeechEventType.END_OF_SPEECH):
            speaking = event.type is SpeechEventType.START_OF_SPEECH
            speech = Speech(speaker=speaker.speaker, speaking=speaking)
            self._put(_Publish(CaptionDelivery(speech)))
            return
        if event.type is SpeechEventType.FINAL and not event.text:
            self._put(_Publish(CaptionDelivery(CaptionWithdrawn(id=caption_id))))
            return
        final = event.type is SpeechEventType.FINAL
        caption = Caption(
            id=caption_id,
            speaker=speaker.speaker,
            language=event.language or "",  # recognition always names one
            text=event.text,
            final=final,
            start=round(event.start, 2),
            end=round(event.end, 2),
            origin=speaker.audio_origin_ms,
            interrupted=event.interrupted,
            continued=event.continued,
        )
        metrics.CAPTIONS.labels("final" if final else "partial").inc()
        if not final:
            self._put(_Publish(CaptionDelivery(caption, provisional=True)))
            return
        piece = Piece(caption_id, event.text, caption.language, event.continued, event.audio)
        self._put(_Final(speaker.speaker, piece, caption))

    def speaker_left(self, speaker_id: str) -> None:
        """Its unfinished sentence is translated as it is, after its last finals."""
        self._put(_SpeakerLeft(speaker_id))

    def listener_left(self, listener_id: str) -> None:
        history = self._history_translations.pop(listener_id, None)
        if history is not None:
            history.cancel()

    # The one consumer

    def _put(self, item: _Item) -> None:
        self._queue.put_nowait(item)
        if self._consumer is None or self._consumer.done():
            self._consumer = start_task(self._consume())

    async def _consume(self) -> None:
        while not self._queue.empty():
            item = self._queue.get_nowait()
            try:
                await self._handle(item)
            except Exception:
                log.exception("room %s: a caption could not be routed", self._room_id)
            finally:
                self._queue.task_done()

    async def _handle(self, item: _Item) -> None:
        match item:
            case _Publish(delivery):
                self._bus.publish(self._room_id, delivery)
            case _Final(speaker, piece, caption):
                self._history.append(_FinalCaption(caption))
                await self._transcripts.add_caption(self._room_id, stored_body(caption))
                self._bus.publish(self._room_id, CaptionDelivery(caption))
                self._add_piece(speaker, piece)
            case _Translated(translation, final_at):
                self._keep_translation(translation)
                await self._transcripts.add_translation(self._room_id, stored_body(translation))
                delivery = CaptionDelivery(translation, caption_language=translation.language)
                self._bus.publish(self._room_id, delivery)
                metrics.TRANSLATION_DELIVERY.observe(time.perf_counter() - final_at)
            case _SentenceDue(speaker_id):
                self._translate_waiting(speaker_id)
            case _SpeakerLeft(speaker_id):
                self._translate_waiting(speaker_id)
                self._context.pop(speaker_id, None)
                self._sentences.pop(speaker_id, None)

    # Sentences and their translations

    def _add_piece(self, speaker: Speaker, piece: Piece) -> None:
        """A published final: once its sentence is whole, to the translator (`sentences`)."""
        _, assembler = self._sentences.setdefault(speaker.id, (speaker, SentenceAssembler()))
        for sentence in assembler.add(piece):
            self._translate_sentence(speaker, sentence)
        timer = self._sentence_timers.pop(speaker.id, None)
        if timer is not None:
            timer.cancel()
        if assembler.waiting:
            self._sentence_timers[speaker.id] = asyncio.get_running_loop().call_later(
                WAIT_S, self._put, _SentenceDue(speaker.id)
            )

    def _translate_waiting(self, speaker_id: str) -> None:
        """The pieces of an unfinished sentence waited long enough: translate them as they are."""
        timer = self._sentence_timers.pop(speaker_id, None)
        if timer is not None:
            timer.cancel()
        waiting = self._sentences.get(speaker_id)
        if waiting is None:
            return
        speaker, assembler = waiting
        for sentence in assembler.flush():
            self._translate_sentence(speaker, sentence)

    def _translate_sentence(self, speaker: Speaker, sentence: Sentence) -> None:
        context = self._context.setdefault(speaker.id, deque(maxlen=CONTEXT_SENTENCES))
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
            self._translations.spawn(self._translate(request, target, speaker, final_at))

    def _targets(self, source: str) -> set[str]:
        return {
            language
            for language in self._audience.caption_languages()
            if language != source and self._translator.can_translate_to(language)
        }

    async def _translate(
        self,
        request: TranslationRequest,
        target: str,
        speaker: Speaker,
        final_at: float,
        history: bool = False,
    ) -> None:
        base = Translation(  # each delivery: this, with its text so far
            caption_id=request.caption_id,
            speaker=speaker,
            language=target,
            source_language=request.source_language,
            covers=list(request.covers) or None,
            text="",
            final=False,
            history=history,
        )

        def deliver(text: str, final: bool) -> None:
            translation = base.model_copy(update={"text": text, "final": final})
            if final:
                self._put(_Translated(translation, final_at))
            else:
                partial = CaptionDelivery(translation, True, caption_language=target)
                self._put(_Publish(partial))

        await self._translator.translate(
            request, target, deliver, self._audience.notify, self.translation_stats
        )

    def _keep_translation(self, translation: Translation) -> None:
        for kept in reversed(self._history):  # recent captions come last
            if kept.caption.id == translation.caption_id:
                kept.translations[translation.language] = translation
                break
        self._mark_covered(translation)

    def _mark_covered(self, translation: Translation) -> None:
        """The earlier pieces a sentence's translation stands for need none of their own."""
        last = translation.caption_id
        earlier = set(translation.covers or ()) - {last}
        for kept in self._history:
            if kept.caption.id in earlier:
                kept.part_of = last

    def remember(self, message: ChannelMessage) -> None:
        """Keep a final or translation another instance published, as if made here (once: a
        final written just before this room read its history may also arrive live)."""
        if isinstance(message, Caption) and message.final:
            if all(kept.caption.id != message.id for kept in self._history):
                self._history.append(_FinalCaption(message))
        elif isinstance(message, Translation) and message.final:
            self._keep_translation(message)

    # History, for one listener

    def replay_history(self, participant: Participant) -> None:
        """Bring a participant whose caption channel just opened up to date."""
        for kept in list(self._history):
            participant.captions.send(_as_history(kept.caption))
            translation = kept.translations.get(participant.caption_language or "")
            if translation is not None:
                participant.captions.send(_as_history(translation))

    def resend_history(self, participant: Participant) -> None:
        """The earlier captions in the participant's new caption language: the translations
        kept at once, the missing ones as they are made, one at a time, newest first."""
        self.listener_left(participant.id)  # a new switch cancels the previous re-send
        target = participant.caption_language
        if target is None or not self._translator.can_translate_to(target):
            return
        missing: list[list[_FinalCaption]] = []  # sentences: their pieces, in order
        pieces: dict[str, list[_FinalCaption]] = {}  # the earlier pieces of each sentence
        for kept in list(self._history):
            translation = kept.translations.get(target)
            if kept.part_of is not None:
                pieces.setdefault(kept.part_of, []).append(kept)
            elif translation is not None:
                participant.captions.send(_as_history(translation))
            elif kept.caption.language not in ("", target):
                missing.append([*pieces.get(kept.caption.id, []), kept])
        if missing:
            self._history_translations[participant.id] = self._translations.spawn(
                self._translate_history(missing[::-1], target)
            )

    async def _translate_history(self, sentences: list[list[_FinalCaption]], target: str) -> None:
        for sentence in sentences:
            last = sentence[-1].caption
            request = TranslationRequest(
                caption_id=last.id,
                text=" ".join(kept.caption.text for kept in sentence),
                source_language=last.language,
                covers=tuple(kept.caption.id for kept in sentence) if len(sentence) > 1 else (),
            )
            await self._translate(request, target, last.speaker, time.perf_counter(), history=True)

    # End

    async def finish(self) -> None:
        """Route everything queued, translate what waits for the rest of its sentence, and
        wait for the translations under way (of the last finals, at shutdown)."""
        await self._queue.join()
        for speaker_id in list(self._sentences):
            self._translate_waiting(speaker_id)
        await self._translations.wait_all()
        await self._queue.join()

    async def close(self) -> None:
        """Stop at once (shutdown, after `finish`)."""
        for timer in self._sentence_timers.values():
            timer.cancel()
        await self._translations.cancel_all()
        if self._consumer is not None:
            self._consumer.cancel()
            await asyncio.gather(self._consumer, return_exceptions=True)


def _as_history(message: Replayed) -> Replayed:
    """Sent again for a late joiner or a new caption language, not live."""
    return message.model_copy(update={"history": True})
