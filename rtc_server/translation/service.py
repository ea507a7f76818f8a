"""Translation of final captions: once per target language, cached, retried, never blocking.

The service owns the failure policy so every backend behaves the same: transient failures are
retried with bounded backoff (honouring Retry-After); a refusal (bad key, no quota) pauses
translation, tells the listeners once, and a probe after a pause resumes it by itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from rtc_server.observability import metrics
from rtc_server.translation.base import (
    FailureKind,
    TranslationError,
    TranslationRequest,
    Translator,
)

log = logging.getLogger(__name__)

Deliver = Callable[[str, bool], None]  # (text so far, final)
Notify = Callable[[str, str, str | None], None]  # (code, message, language)

CACHE_SIZE = 2048
MAX_BACKOFF_S = 8.0


@dataclass
class TranslationStats:
    """Per-room figures, beside the process-wide Prometheus metrics."""

    calls: int = 0
    errors: int = 0
    completed: int = 0
    characters: int = 0
    first_text_s_total: float = 0.0
    complete_s_total: float = 0.0

    def record(self, characters: int, first_text_s: float, complete_s: float) -> None:
        self.completed += 1
        self.characters += characters
        self.first_text_s_total += first_text_s
        self.complete_s_total += complete_s

    def summary(self) -> dict[str, float | int]:
        done = max(self.completed, 1)
        return {
            "calls": self.calls,
            "errors": self.errors,
            "completed": self.completed,
            "characters": self.characters,
            "mean_first_text_s": round(self.first_text_s_total / done, 3),
            "mean_complete_s": round(self.complete_s_total / done, 3),
        }


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # first try plus retries
    base_delay_s: float = 0.5
    pause_s: float = 30.0  # after a refusal, how long before the next request probes again


class TranslationService:
    def __init__(self, translator: Translator | None, policy: RetryPolicy | None = None) -> None:
        self._translator = translator
        self._policy = policy or RetryPolicy()
        self._cache: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self._in_flight: dict[tuple[str, str], asyncio.Future[str | None]] = {}
        self._paused_until: float | None = None
        self._pause_reason = ""
        self._told_paused: set[Notify] = set()

    @property
    def backend(self) -> str:
        return self._translator.name if self._translator else "none"

    @property
    def targets(self) -> list[str]:
        return self._translator.targets if self._translator else []

    def can_translate_to(self, target: str) -> bool:
        return self._translator is not None and self._translator.supports(target)

    def unavailable_reason(self, target: str) -> str:
        if self._translator is None:
            return (
                "Translation is turned off on this server (RTC_TRANSLATOR=none), so captions stay "
                "in the language spoken. To translate, set RTC_TRANSLATOR=openai with "
                "RTC_OPENAI_API_KEY (and RTC_OPENAI_BASE_URL for a local OpenAI-compatible server)."
            )
        return self._translator.unavailable_reason(target)

    async def translate(
        self,
        request: TranslationRequest,
        target: str,
        deliver: Deliver,
        notify: Notify,
        stats: TranslationStats,
    ) -> None:
        """Translate `request` into `target`, streaming through `deliver`. Never raises for a
        backend failure: the caption simply stays untranslated."""
        if self._translator is None or request.source_language == target or not request.text:
            return
        cache_key = (request.source_language, target, request.text)
        cached = self._cache.get(cache_key)
        if cached is not None:
            self._cache.move_to_end(cache_key)
            deliver(cached, True)
            return
        flight_key = (request.caption_id, target)
        pending = self._in_flight.get(flight_key)
        if pending is not None:  # the same caption asked twice: share one call
            text = await asyncio.shield(pending)
            if text is not None:
                deliver(text, True)
            return
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._in_flight[flight_key] = future
        try:
            text = await self._with_retries(
                self._translator, request, target, deliver, notify, stats
            )
            future.set_result(text)
        except BaseException:
            future.set_result(None)
            raise
        finally:
            del self._in_flight[flight_key]
        if text is not None:
            self._cache[cache_key] = text
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
            deliver(text, True)

    async def _with_retries(
        self,
        translator: Translator,
        request: TranslationRequest,
        target: str,
        deliver: Deliver,
        notify: Notify,
        stats: TranslationStats,
    ) -> str | None:
        if self._paused_until is not None and time.monotonic() < self._paused_until:
            metrics.TRANSLATIONS_FAILED.labels("paused").inc()
            self._tell_paused(notify)
            return None
        for attempt in range(self._policy.attempts):
            stats.calls += 1
            try:
                text = await self._attempt(translator, request, target, deliver, stats)
            except TranslationError as error:
                stats.errors += 1
                metrics.TRANSLATION_CALLS.labels(translator.name, error.kind.value).inc()
                if error.kind is FailureKind.REFUSED:
                    metrics.TRANSLATIONS_FAILED.labels("refused").inc()
                    self._pause(str(error), notify)
                    return None
                if attempt + 1 == self._policy.attempts:
                    log.warning(
                        "translation to %s failed after %d tries: %s", target, attempt + 1, error
                    )
                    metrics.TRANSLATIONS_FAILED.labels("gave_up").inc()
                    self._pause(str(error), notify)
                    return None
                delay = error.retry_after or self._policy.base_delay_s * 2**attempt
                await asyncio.sleep(min(delay, MAX_BACKOFF_S))
                continue
            metrics.TRANSLATION_CALLS.labels(translator.name, "ok").inc()
            self._resume()
            return text
        return None

    async def _attempt(
        self,
        translator: Translator,
        request: TranslationRequest,
        target: str,
        deliver: Deliver,
        stats: TranslationStats,
    ) -> str:
        started = time.perf_counter()
        first_text_after: list[float] = []

        def on_text(text: str) -> None:
            if not first_text_after:
                first_text_after.append(time.perf_counter() - started)
                metrics.TRANSLATION_FIRST_TOKEN.labels(translator.name).observe(first_text_after[0])
            deliver(text, False)

        text = await translator.translate(request, target, on_text)
        elapsed = time.perf_counter() - started
        metrics.TRANSLATION_SECONDS.labels(translator.name).observe(elapsed)
        metrics.TRANSLATION_CHARACTERS.labels(translator.name, "in").inc(len(request.text))
        metrics.TRANSLATION_CHARACTERS.labels(translator.name, "out").inc(len(text))
        stats.record(
            len(request.text), first_text_after[0] if first_text_after else elapsed, elapsed
        )
        return text

    def _pause(self, reason: str, notify: Notify) -> None:
        self._paused_until = time.monotonic() + self._policy.pause_s
        self._pause_reason = reason
        self._tell_paused(notify)

    def _tell_paused(self, notify: Notify) -> None:
        if notify in self._told_paused:
            return
        self._told_paused.add(notify)
        notify(
            "translation_paused",
            f"Translation is paused ({self._pause_reason}); captions continue untranslated "
            "and translation resumes by itself when the service recovers.",
            None,
        )

    def _resume(self) -> None:
        self._paused_until = None
        told, self._told_paused = self._told_paused, set()
        for notify in told:
            notify("translation_resumed", "Translation has resumed.", None)
