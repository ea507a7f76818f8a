"""One faster-whisper model shared by every stream, with a priority queue in front of it."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from faster_whisper import WhisperModel

from rtc_server.asr.decode import decode
from rtc_server.asr.model import ModelChoice, pick_compute_type, pick_device
from rtc_server.asr.recognizer import DecodeRequest, Hypothesis, Priority, Word
from rtc_server.asr.text import (
    collapse_repeats,
    is_low_confidence,
    join_words,
    normalize_word,
    split_words,
)
from rtc_server.observability import metrics
from rtc_server.tasks import start_task

log = logging.getLogger(__name__)


@dataclass(order=True)
class _Job:
    priority: Priority
    order: int
    request: DecodeRequest = field(compare=False)
    future: asyncio.Future[Hypothesis | None] = field(compare=False)
    key: object | None = field(compare=False, default=None)
    queued_at: float = field(compare=False, default_factory=time.monotonic)


class WhisperEngine:
    """Runs inference in worker threads (CTranslate2 releases the GIL), never on the event loop.

    Jobs wait in a priority heap; a partial request for a stream that already has one waiting
    replaces it, so partials can never pile up behind a slow model.
    """

    def __init__(self, model: WhisperModel, name: str, workers: int = 1) -> None:
        self.model = model
        self.name = name
        self._workers = workers
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="whisper")
        self._queue: asyncio.PriorityQueue[_Job] = asyncio.PriorityQueue()
        self._waiting_partials: dict[object, _Job] = {}
        self._unfinished: dict[int, float] = {}  # job order → when it was queued
        self._order = itertools.count()
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    def load(
        cls, choice: ModelChoice, device: str, compute_type: str, cpu_threads: int, workers: int
    ) -> WhisperEngine:
        device = pick_device(device)
        compute_type = pick_compute_type(compute_type, device)
        started = time.perf_counter()
        model = WhisperModel(
            choice.path_or_hub_name,
            device=device,
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            num_workers=workers,
        )
        log.info(
            "loaded Whisper %s on %s (%s) in %.1f s",
            choice.name,
            device,
            compute_type,
            time.perf_counter() - started,
        )
        return cls(model, choice.name, workers)

    @property
    def multilingual(self) -> bool:
        return bool(self.model.model.is_multilingual)

    def start(self) -> None:
        self._tasks = [start_task(self._work()) for _ in range(self._workers)]
        metrics.ASR_LAG.set_function(self.lag_s)

    def lag_s(self) -> float:
        """How long the oldest job still waiting or running has been in the engine."""
        oldest = min(self._unfinished.values(), default=None)
        return 0.0 if oldest is None else time.monotonic() - oldest

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # A decode already running finishes in its thread; wait for it off the event loop.
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)

    async def recognize(
        self, request: DecodeRequest, priority: Priority, key: object | None = None
    ) -> Hypothesis | None:
        future: asyncio.Future[Hypothesis | None] = asyncio.get_running_loop().create_future()
        job = _Job(priority, next(self._order), request, future, key)
        if key is not None:
            superseded = self._waiting_partials.pop(key, None)
            if superseded is not None and not superseded.future.done():
                superseded.future.set_result(None)
                self._unfinished.pop(superseded.order, None)
                metrics.ASR_PARTIALS_SHED.inc()
            if priority is Priority.PARTIAL:
                self._waiting_partials[key] = job
        self._queue.put_nowait(job)
        self._unfinished[job.order] = job.queued_at
        metrics.ASR_QUEUE.set(self._queue.qsize())
        return await future

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            job = await self._queue.get()
            metrics.ASR_QUEUE.set(self._queue.qsize())
            if job.key is not None and self._waiting_partials.get(job.key) is job:
                del self._waiting_partials[job.key]
            try:
                if job.future.done():  # superseded partial, or the caller went away
                    continue
                started = time.perf_counter()
                result = await loop.run_in_executor(self._executor, self._decode, job.request)
            except Exception as error:
                log.exception("Whisper inference failed")
                if not job.future.done():
                    job.future.set_exception(error)
                continue
            finally:
                self._unfinished.pop(job.order, None)
            metrics.ASR_SECONDS.labels(job.priority.name.lower()).observe(
                time.perf_counter() - started
            )
            if not job.future.done():
                job.future.set_result(result)

    def _decode(self, request: DecodeRequest) -> Hypothesis:
        decoded = decode(self.model, request)
        language, decided = decoded.language, decoded.language_decided
        if is_low_confidence(decoded.avg_logprob, decoded.no_speech_prob, decoded.text):
            return Hypothesis(text="", language=language, language_decided=False)
        words: list[Word] = []
        if request.word_timestamps:
            words = collapse_repeats(decoded.words, key=lambda word: normalize_word(word.text))
            text = join_words([word.text for word in words])
        else:
            text = join_words(collapse_repeats(split_words(decoded.text), key=normalize_word))
        return Hypothesis(text, language, tuple(words), language_decided=decided)
