"""Streaming recognition for one speaker: push 16 kHz audio, iterate speech events.

The policy lives here; inference is behind `SpeechRecognizer`. Voice activity gates the model,
a pause ends an utterance with a final, and long speech without pauses is committed piece by
piece from the words two successive partial hypotheses agree on (LocalAgreement-2), so the
audio kept per speaker stays bounded and nobody waits long for a final.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from rtc_server.asr.recognizer import (
    SAMPLE_RATE,
    Audio,
    DecodeRequest,
    Hypothesis,
    Priority,
    SpeechRecognizer,
    Word,
)
from rtc_server.asr.text import (
    agreed_prefix,
    join_words,
    normalize_word,
    strip_repeated_start,
)
from rtc_server.asr.vad import WINDOW, StreamingVad
from rtc_server.observability import metrics
from rtc_server.tasks import BackgroundTasks

log = logging.getLogger(__name__)

RUN_SPAN_LIMIT_S = 2.0  # audio kept while deciding whether a sound is speech
RUN_BREAK_S = 0.25  # silence that breaks a run of speech-like windows before it counts
REUSE_MARGIN_S = 0.2  # a partial must have heard this far past the last voiced window
CONTEXT_GAP_S = 10.0  # a final this recent is the prompt for the speaker's next utterance
CONTEXT_CHARS = 200
MIN_COMMIT_WORDS = 3  # a final cut from ongoing speech has at least this many words
COMMIT_PAUSE_S = 0.3  # a silence this long inside speech is a boundary to commit at
# Punctuation that ends a sentence or a clause, with the full-width forms CJK text uses.
SENTENCE_END = (".", "!", "?", "\u3002", "\uff01", "\uff1f", "\u2026")
CLAUSE_END = (",", ";", ":", "\u3001", "\uff0c", "\uff1b", "\uff1a")


class SpeechEventType(enum.Enum):
    START_OF_SPEECH = "start_of_speech"
    PARTIAL = "partial"
    FINAL = "final"
    END_OF_SPEECH = "end_of_speech"


@dataclass(frozen=True)
class SpeechEvent:
    type: SpeechEventType
    utterance: int = 0
    text: str = ""  # a FINAL with empty text withdraws the utterance's partials
    language: str | None = None
    start: float = 0.0  # seconds since the start of the stream
    end: float = 0.0
    audio: Audio | None = field(default=None, repr=False)  # FINAL only: what was said
    interrupted: bool = False  # FINAL only: the speaker stopped being heard mid-utterance
    continued: bool = False  # FINAL only: cut from ongoing speech; the speaker went on


@dataclass(frozen=True)
class StreamOptions:
    vad_threshold: float = 0.5
    min_speech_s: float = 0.15
    endpoint_silence_s: float = 0.5
    preroll_s: float = 0.8
    partial_interval_s: float = 1.0
    min_partial_s: float = 0.8  # pre-roll included: about 0.3 s of speech
    commit_after_s: float = 5.0
    max_utterance_s: float = 15.0
    final_beam_size: int = 2
    agreement_margin_s: float = 1.0  # words this close to the live edge may still change


@dataclass
class _Utterance:
    number: int
    start_sample: int
    chunks: list[Audio]
    samples: int
    language: str | None  # None: on auto, every decode detects (see `language_id`)
    prompt: str | None  # the speaker's words just before (see `_context_prompt`)
    prompt_language: str | None
    previous_words: tuple[Word, ...] = ()
    shown_words: int = 0  # words in the latest partial shown: partials never shrink
    silent_windows: int = 0
    last_voiced: int = 0  # stream clock at the last window judged speech
    pauses: list[tuple[int, int]] = field(default_factory=list)  # stream clock, short silences
    latest_partial: _PartialDecode | None = None

    def audio(self) -> Audio:
        if len(self.chunks) > 1:
            self.chunks = [np.concatenate(self.chunks)]
        return self.chunks[0] if self.chunks else np.zeros(0, dtype=np.float32)

    @property
    def duration(self) -> float:
        return self.samples / SAMPLE_RATE

    def drop_before(self, seconds: float) -> None:
        cut = min(int(seconds * SAMPLE_RATE), self.samples)
        self.chunks = [self.audio()[cut:]]
        self.samples -= cut
        self.start_sample += cut


@dataclass(frozen=True)
class _PartialDecode:
    heard_until: int  # stream clock at the end of the audio it decodes
    decoding: asyncio.Future[Hypothesis | None]


@dataclass(frozen=True)
class _Final:
    """What a final caption needs once its text is known."""

    number: int
    start: float
    end: float
    audio: Audio
    prompt: str | None
    language: str | None
    interrupted: bool = False
    continued: bool = False


class RecognizeStream:
    """Feed with `push_audio` (cheap, never blocks), read events with `async for`."""

    def __init__(
        self,
        recognizer: SpeechRecognizer,
        language: str | None,
        options: StreamOptions | None = None,
        candidates: Callable[[], frozenset[str]] = frozenset,
    ) -> None:
        """`language`: what the speaker speaks, None for auto; then `candidates` gives the
        languages detection may choose from (empty: any)."""
        self._recognizer = recognizer
        self._language = language
        self._candidates = candidates
        self._spoken: str | None = language  # on auto: the language decided so far
        self._options = options or StreamOptions()
        self._vad = StreamingVad()
        self._events: asyncio.Queue[SpeechEvent | None] = asyncio.Queue()
        self._clock = 0  # samples pushed so far
        self._recent: Audio = np.zeros(0, dtype=np.float32)
        self._speech_windows = 0
        self._idle_silent_windows = 0
        self._run_started_at: int | None = None
        self._utterance: _Utterance | None = None
        self._numbers = 0
        self._partial_task: asyncio.Task[None] | None = None
        self._last_partial_at = 0
        self._last_final: asyncio.Task[None] | None = None
        self._last_final_number = 0
        self._finals_pending_since: deque[float] = deque()  # when each undelivered final ended
        self._context = ""  # the latest final's text
        self._context_language: str | None = None  # its language
        self._context_end = 0  # and the stream clock where its audio ended
        self._shown_partials: set[int] = set()
        self._tasks = BackgroundTasks()
        self._closed = False
        o = self._options
        self._min_speech_windows = max(1, round(o.min_speech_s * SAMPLE_RATE / WINDOW))
        self._endpoint_windows = max(1, round(o.endpoint_silence_s * SAMPLE_RATE / WINDOW))
        self._run_break_windows = max(1, round(RUN_BREAK_S * SAMPLE_RATE / WINDOW))
        self._recent_limit = int((o.preroll_s + RUN_SPAN_LIMIT_S) * SAMPLE_RATE)

    @property
    def time(self) -> float:
        return self._clock / SAMPLE_RATE

    @property
    def final_backlog_s(self) -> float:
        """How long the oldest final not yet out has waited since its speech ended."""
        pending = self._finals_pending_since
        return time.perf_counter() - pending[0] if pending else 0.0

    def push_audio(self, samples: Audio) -> None:
        if self._closed:
            return
        self._clock += samples.size
        if self._utterance is not None:
            self._utterance.chunks.append(samples)
            self._utterance.samples += samples.size
        else:
            self._recent = np.concatenate([self._recent, samples])[-self._recent_limit :]
        for probability in self._vad.process(samples):
            self._on_window(float(probability))
        utterance = self._utterance
        if utterance is None:
            return
        if utterance.duration >= self._options.max_utterance_s:
            self._end_utterance(continuing=True)
        elif (priority := self._partial_due(utterance)) is not None:
            self._start_partial(utterance, priority)

    @property
    def uncaptioned_speech_s(self) -> float:
        """How long the open utterance has gone on without any caption shown for it."""
        utterance = self._utterance
        if utterance is None or utterance.number in self._shown_partials:
            return 0.0
        return utterance.duration

    def flush(self, interrupted: bool = False) -> None:
        """End the current utterance now (the speaker went away or paused the microphone);
        `interrupted`: its audio stopped arriving, so its final may end mid-sentence."""
        if self._utterance is not None:
            self._end_utterance(continuing=False, interrupted=interrupted)

    async def end_input(self) -> None:
        """Flush, wait for the last final, then end the event iteration."""
        self.flush()
        self._closed = True
        if self._partial_task is not None:
            self._partial_task.cancel()
        if self._last_final is not None:
            await asyncio.gather(self._last_final, return_exceptions=True)
        self._events.put_nowait(None)

    async def aclose(self) -> None:
        """Stop at once, dropping work in progress."""
        self._closed = True
        await self._tasks.cancel_all()
        self._events.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[SpeechEvent]:
        while (event := await self._events.get()) is not None:
            yield event

    # Voice activity

    def _on_window(self, probability: float) -> None:
        threshold = self._options.vad_threshold
        is_speech = probability >= threshold
        is_silence = probability < threshold - 0.15
        utterance = self._utterance
        if utterance is None:
            # Hysteresis: uncertain windows neither start nor break a run of speech, so a
            # softly spoken first word still opens the utterance.
            if is_silence:
                self._idle_silent_windows += 1
                if self._idle_silent_windows >= self._run_break_windows:
                    self._speech_windows, self._run_started_at = 0, None
                return
            self._idle_silent_windows = 0
            if self._run_started_at is None:
                self._run_started_at = self._clock - WINDOW
            if is_speech:
                self._speech_windows += 1
                if self._speech_windows >= self._min_speech_windows:
                    self._begin_utterance()
            return
        if is_silence:
            utterance.silent_windows += 1
            if utterance.silent_windows >= self._endpoint_windows:
                self._end_utterance(continuing=False)
        elif is_speech:
            if self._clock - WINDOW - utterance.last_voiced >= COMMIT_PAUSE_S * SAMPLE_RATE:
                utterance.pauses.append((utterance.last_voiced, self._clock - WINDOW))
            utterance.silent_windows = 0
            utterance.last_voiced = self._clock

    def _context_prompt(self) -> str | None:
        """The speaker's latest words, when recent: conditioned on them, Whisper keeps names,
        casing and punctuation consistent across utterances and hears a sentence's first word
        in context."""
        if not self._context or self._clock - self._context_end > CONTEXT_GAP_S * SAMPLE_RATE:
            return None
        context = self._context
        if len(context) > CONTEXT_CHARS:
            context = context[-CONTEXT_CHARS:].split(" ", 1)[-1]
        return context

    def _begin_utterance(self, emit_start: bool = True) -> None:
        audio = np.zeros(0, dtype=np.float32)
        if emit_start and self._run_started_at is not None:
            keep = self._clock - self._run_started_at + int(self._options.preroll_s * SAMPLE_RATE)
            audio = self._recent[-keep:]
        self._recent = np.zeros(0, dtype=np.float32)
        self._speech_windows, self._run_started_at = 0, None
        self._numbers += 1
        self._utterance = _Utterance(
            number=self._numbers,
            start_sample=self._clock - audio.size,
            chunks=[audio],
            samples=audio.size,
            language=self._language,
            prompt=self._context_prompt(),
            prompt_language=self._context_language,
            last_voiced=self._clock,
        )
        # The first partial goes out as soon as there is enough audio, not an interval later.
        self._last_partial_at = self._clock - int(self._options.partial_interval_s * SAMPLE_RATE)
        if emit_start:
            self._emit(SpeechEvent(SpeechEventType.START_OF_SPEECH, self._numbers))

    def _end_utterance(self, continuing: bool, interrupted: bool = False) -> None:
        """Close the open utterance with a final; `continuing` starts the next one at once
        (the speaker is still talking but the utterance reached its length cap)."""
        utterance = self._utterance
        assert utterance is not None
        self._utterance = None
        request = self._request(utterance, beam_size=self._options.final_beam_size)
        partial = utterance.latest_partial
        reusable = partial is not None and partial.heard_until >= utterance.last_voiced + int(
            REUSE_MARGIN_S * SAMPLE_RATE
        )
        start = utterance.start_sample / SAMPLE_RATE
        final = _Final(
            number=utterance.number,
            start=start,
            end=start + utterance.duration,
            audio=request.audio,
            prompt=utterance.prompt,
            language=utterance.language,
            interrupted=interrupted,
            continued=continuing,
        )
        if partial is not None and reusable:
            decoding = self._final_from_partial(partial.decoding, request)
        else:
            # Same key: a partial of this stream still waiting for a worker is dropped.
            decoding = self._recognizer.recognize(request, Priority.FINAL, key=self)
        self._queue_final(final, decoding, speech_end=min(utterance.last_voiced, self._clock))
        if continuing:
            self._begin_utterance(emit_start=False)
        else:
            self._emit(SpeechEvent(SpeechEventType.END_OF_SPEECH, utterance.number, end=self.time))

    async def _final_from_partial(
        self, partial: asyncio.Future[Hypothesis | None], request: DecodeRequest
    ) -> Hypothesis | None:
        """The latest partial already heard every voiced sample: its text is the final, with
        no second decode. Only if that partial was shed does a final decode run."""
        hypothesis = await asyncio.shield(partial)
        if hypothesis is not None:
            return hypothesis
        return await self._recognizer.recognize(request, Priority.FINAL, key=self)

    # Partials and LocalAgreement commits

    def _partial_due(self, utterance: _Utterance) -> Priority | None:
        """Whether to decode now, and how urgently: a decode that has heard the speaker pause
        may well become the final (see `_final_from_partial`), so it need not wait for the
        partial interval and goes ahead of other speakers' partials."""
        if self._partial_task is not None or utterance.duration < self._options.min_partial_s:
            return None
        if self._pause_unheard(utterance):
            return Priority.SPECULATIVE
        interval = int(self._options.partial_interval_s * SAMPLE_RATE)
        return Priority.PARTIAL if self._clock - self._last_partial_at >= interval else None

    def _pause_unheard(self, utterance: _Utterance) -> bool:
        """The speaker has paused and no decode has heard the end of the speech yet."""
        heard_enough = utterance.last_voiced + int(REUSE_MARGIN_S * SAMPLE_RATE)
        latest = utterance.latest_partial
        return self._clock >= heard_enough and (latest is None or latest.heard_until < heard_enough)

    def _request(self, utterance: _Utterance, **options: Any) -> DecodeRequest:
        return DecodeRequest(
            audio=utterance.audio(),
            language=utterance.language,
            prompt=utterance.prompt,
            prompt_language=utterance.prompt_language,
            candidates=self._candidates() if utterance.language is None else frozenset(),
            current_language=self._spoken,
            **options,
        )

    def _start_partial(self, utterance: _Utterance, priority: Priority) -> None:
        self._last_partial_at = self._clock
        request = self._request(
            utterance, word_timestamps=utterance.duration >= self._options.commit_after_s / 2
        )
        decoding = self._tasks.spawn(self._recognizer.recognize(request, priority, key=self))
        utterance.latest_partial = _PartialDecode(self._clock, decoding)
        self._partial_task = self._tasks.spawn(self._run_partial(utterance, request, decoding))

    async def _run_partial(
        self,
        utterance: _Utterance,
        request: DecodeRequest,
        decoding: asyncio.Future[Hypothesis | None],
    ) -> None:
        number = utterance.number
        start = utterance.start_sample / SAMPLE_RATE
        end = start + request.audio.size / SAMPLE_RATE  # of the audio decoded: never beyond
        try:
            # Shielded: a final may be waiting on this same decode (`_final_from_partial`),
            # and cancelling this partial must not cancel it.
            hypothesis = await asyncio.shield(decoding)
        finally:
            self._partial_task = None
        if hypothesis is None or number <= self._last_final_number:
            return  # superseded, or its final is already out
        text = hypothesis.text
        still_open = self._utterance is utterance and utterance.number == number
        if still_open:
            duration = request.audio.size / SAMPLE_RATE
            if hypothesis.words and duration >= self._options.commit_after_s:
                rest = self._commit_agreed(utterance, hypothesis, duration)
                number, start = utterance.number, utterance.start_sample / SAMPLE_RATE
                text = join_words([word.text for word in rest])
            elif hypothesis.words:
                utterance.previous_words = hypothesis.words  # to agree with at the next one
        if text and request.prompt:
            text = strip_repeated_start(request.prompt, text)
        shown = len(text.split())
        if still_open and shown < utterance.shown_words:
            return  # a hypothesis that lost words at the live edge: the longer one stays
        if still_open:
            utterance.shown_words = shown
        # A partial that finishes after its utterance ended still shows, until the final lands.
        if text:
            self._shown_partials.add(number)
            self._emit(
                SpeechEvent(
                    SpeechEventType.PARTIAL,
                    number,
                    text=text,
                    language=hypothesis.language,
                    start=start,
                    end=end,
                )
            )

    def _commit_agreed(
        self, utterance: _Utterance, hypothesis: Hypothesis, duration: float
    ) -> tuple[Word, ...]:
        """Emit as a final the words two hypotheses in a row agree on, up to the last boundary
        (`commit_boundary`) safely behind the live edge; drop their audio. Returns the words
        still provisional."""
        words = hypothesis.words
        agreed = agreed_prefix(
            [normalize_word(w.text) for w in utterance.previous_words],
            [normalize_word(w.text) for w in words],
        )
        utterance.previous_words = words
        edge = duration - self._options.agreement_margin_s
        while agreed and words[agreed - 1].end > edge:
            agreed -= 1
        origin = utterance.start_sample
        pauses = [
            ((p0 - origin) / SAMPLE_RATE, (p1 - origin) / SAMPLE_RATE)
            for p0, p1 in utterance.pauses
            if p0 >= origin
        ]
        commit, cut = commit_boundary(words[:agreed], words[agreed:], pauses)
        if commit == 0:
            return words
        committed, rest = words[:commit], words[commit:]
        text = join_words([word.text for word in committed])
        start = utterance.start_sample / SAMPLE_RATE
        final = _Final(
            number=utterance.number,
            start=start,
            end=start + cut,
            audio=utterance.audio()[: int(cut * SAMPLE_RATE)],
            prompt=utterance.prompt,
            language=hypothesis.language,
            continued=True,
        )
        self._queue_final(
            final,
            _ready(replace(hypothesis, text=text, words=committed)),
            speech_end=utterance.start_sample + int(cut * SAMPLE_RATE),
        )
        # The rest continues as a new utterance that sees the committed text as its prompt.
        utterance.drop_before(cut)
        utterance.pauses = [p for p in utterance.pauses if p[0] >= utterance.start_sample]
        utterance.latest_partial = None  # it heard the committed words too
        self._numbers += 1
        utterance.number = self._numbers
        utterance.prompt, utterance.prompt_language = text, hypothesis.language
        utterance.shown_words = 0
        utterance.previous_words = tuple(Word(w.text, w.start - cut, w.end - cut) for w in rest)
        return rest

    # Finals, emitted strictly in order

    def _queue_final(
        self, final: _Final, decoding: Awaitable[Hypothesis | None], speech_end: int
    ) -> None:
        """`speech_end`: the stream clock at the last word's end. Audio arrives in real time,
        so that moment was as long ago as the audio pushed since."""
        previous = self._last_final
        spoken_at = time.perf_counter() - (self._clock - speech_end) / SAMPLE_RATE
        self._finals_pending_since.append(spoken_at)
        self._last_final = self._tasks.spawn(self._emit_final(final, decoding, previous, spoken_at))

    async def _emit_final(
        self,
        final: _Final,
        decoding: Awaitable[Hypothesis | None],
        previous: asyncio.Task[None] | None,
        spoken_at: float,
    ) -> None:
        try:
            hypothesis = await decoding
        except Exception:
            log.exception("final decode failed; the utterance is withdrawn")
            hypothesis = None
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        self._finals_pending_since.popleft()  # decoded, and every earlier final is out
        text = hypothesis.text if hypothesis else ""
        if text and final.prompt:
            text = strip_repeated_start(final.prompt, text)
        self._last_final_number = final.number
        language = (hypothesis.language if hypothesis else None) or final.language
        if text:
            self._context, self._context_end = text, int(final.end * SAMPLE_RATE)
            self._context_language = language
            if hypothesis is not None and hypothesis.language_decided:
                self._keep_language(hypothesis.language)
        if not text and final.number not in self._shown_partials:
            return
        self._shown_partials.discard(final.number)
        self._emit(
            SpeechEvent(
                SpeechEventType.FINAL,
                final.number,
                text=text,
                language=language,
                start=final.start,
                end=final.end,
                audio=final.audio,
                interrupted=final.interrupted,
                continued=final.continued,
            )
        )
        metrics.FINAL_DELAY.observe(time.perf_counter() - spoken_at)

    def _keep_language(self, language: str) -> None:
        """A final decided `language` on enough evidence: the speaker's language from now on."""
        if self._language is not None or language == self._spoken:
            return
        if self._spoken is not None:
            metrics.LANGUAGE_SWITCHES.inc()
            log.info("speaker's language changed from %s to %s", self._spoken, language)
        self._spoken = language

    # Plumbing

    def _emit(self, event: SpeechEvent) -> None:
        self._events.put_nowait(event)


def commit_boundary(
    agreed: Sequence[Word], following: Sequence[Word], pauses: Sequence[tuple[float, float]] = ()
) -> tuple[int, float]:
    """How many of the `agreed` words to commit, and where to cut their audio: after the last
    sentence end among them, else the last clause end, else the last pause (a silence of
    `COMMIT_PAUSE_S` the voice activity detector heard, in `pauses`); (0, 0.0) (wait for more)
    when no boundary leaves at least `MIN_COMMIT_WORDS` words. Times are seconds from the
    start of the words' audio."""
    words = [*agreed, *following]

    # Word timestamps stretch a word over a silence beside it, so each heard pause belongs to
    # the boundary between two words nearest to it.
    gaps = [(a.end + b.start) / 2 for a, b in itertools.pairwise(words)]

    def nearest_gap(pause: tuple[float, float]) -> int:
        middle = (pause[0] + pause[1]) / 2
        return min(range(len(gaps)), key=lambda i: abs(gaps[i] - middle))

    def pause_after(index: int) -> tuple[float, float] | None:
        if index >= len(gaps):
            return None
        return next((p for p in pauses if nearest_gap(p) == index), None)

    def cut_after(index: int) -> float:
        pause = pause_after(index)
        if pause is not None:
            return (pause[0] + pause[1]) / 2
        if index + 1 < len(words):  # in the gap before the next word: no word in two captions
            return (words[index].end + words[index + 1].start) / 2
        return words[index].end

    def ends(index: int, punctuation: tuple[str, ...]) -> bool:
        return agreed[index].text.rstrip().endswith(punctuation)

    boundaries: tuple[Callable[[int], bool], ...] = (
        lambda i: ends(i, SENTENCE_END),
        lambda i: ends(i, CLAUSE_END),
        lambda i: pause_after(i) is not None,
    )
    for is_boundary in boundaries:
        for index in range(len(agreed) - 1, MIN_COMMIT_WORDS - 2, -1):
            if is_boundary(index):
                return index + 1, cut_after(index)
    return 0, 0.0


async def _ready(hypothesis: Hypothesis) -> Hypothesis:
    return hypothesis
