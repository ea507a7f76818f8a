"""One speaker's audio, from its WebRTC track to caption events: decoding, recognition,
delay and hearing notices, and the last words when it stops.

What it hears goes to `on_audio` too (the room's relay measures levels there); each speech
event goes to `publish`; what the speaker should be told goes to `notify`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiortc.mediastreams import MediaStreamTrack

from rtc_server.asr.hearing import MESSAGES, Hearing, HearingWatch
from rtc_server.asr.recognizer import Audio
from rtc_server.asr.stream import RecognizeStream, SpeechEvent
from rtc_server.observability import metrics
from rtc_server.tasks import BackgroundTasks
from rtc_server.webrtc.media import pump_audio

log = logging.getLogger(__name__)

CHECK_INTERVAL_S = 0.5
Notify = Callable[[str, str, float | None], None]  # code, message, delay in seconds (or None)


class Transcriber:
    def __init__(
        self,
        stream: RecognizeStream | None,  # None: the media path alone (benchmarks)
        on_audio: Callable[[Audio], None],
        publish: Callable[[SpeechEvent], None],
        notify: Notify,
        connected: Callable[[], bool],
    ) -> None:
        self._stream = stream
        self._on_audio = on_audio
        self._publish = publish
        self._notify = notify
        self._connected = connected
        self._tasks = BackgroundTasks()
        self._pump: asyncio.Task[None] | None = None
        self._publisher: asyncio.Task[None] | None = None
        self._audio_arrived_at: float | None = None  # monotonic time of the latest audio

    def start(self, track: MediaStreamTrack, max_lag_s: float, delay_notice_s: float) -> None:
        self._pump = self._tasks.spawn(pump_audio(track, self._hear, max_lag_s))
        self._tasks.spawn(self._watch_hearing())
        if self._stream is not None:
            self._publisher = self._tasks.spawn(self._publish_events(self._stream))
            self._tasks.spawn(self._report_delay(self._stream, delay_notice_s))

    def _hear(self, chunk: Audio) -> None:
        self._audio_arrived_at = time.monotonic()
        self._on_audio(chunk)
        if self._stream is not None:
            self._stream.push_audio(chunk)

    async def _publish_events(self, stream: RecognizeStream) -> None:
        async for event in stream:
            self._publish(event)

    async def _report_delay(self, stream: RecognizeStream, threshold_s: float) -> None:
        """When recognition falls behind (more speech than the machine decodes in real time),
        partials are shed first; once finals themselves wait, the speaker is told, and told
        again when they are back on time. Finals are late, never dropped."""
        delayed = False
        while True:
            await asyncio.sleep(CHECK_INTERVAL_S)
            backlog = stream.final_backlog_s
            if not delayed and backlog > threshold_s:
                delayed = True
                metrics.DELAY_NOTICES.inc()
                message = "the server is busy: your captions are running late"
                self._notify("captions_delayed", message, round(backlog, 1))
            elif delayed and backlog < threshold_s / 2:
                delayed = False
                self._notify("captions_on_time", "your captions are on time again", None)

    async def _watch_hearing(self) -> None:
        """Tell the speaker at once when its audio stops arriving (and end the sentence it
        was in, marked interrupted) or its speech yields no caption; see `hearing`."""
        watch = HearingWatch()
        stream = self._stream
        while True:
            await asyncio.sleep(CHECK_INTERVAL_S)
            if not self._connected() or self._audio_arrived_at is None:
                continue  # before the first audio, or once the connection itself is in doubt
            idle_s = time.monotonic() - self._audio_arrived_at
            uncaptioned_s = stream.uncaptioned_speech_s if stream is not None else 0.0
            for told in watch.check(idle_s, uncaptioned_s):
                if told is Hearing.AUDIO_STOPPED:
                    log.warning("no audio for %.1f s", idle_s)
                    if stream is not None:
                        stream.flush(interrupted=True)
                metrics.HEARING_NOTICES.labels(told.value).inc()
                self._notify(told.value, MESSAGES[told], None)

    async def finish(self, timeout_s: float) -> None:
        """Stop reading audio; the last words are still published (or withdrawn) within
        `timeout_s`. Then nothing more runs."""
        stream, pump, publisher = self._stream, self._pump, self._publisher
        self._stream = self._pump = self._publisher = None
        if pump is not None:
            pump.cancel()
        if stream is not None and publisher is not None:
            try:
                await asyncio.wait_for(stream.end_input(), timeout_s)
                await asyncio.wait_for(publisher, timeout_s)
            except TimeoutError:
                log.warning("last final did not finish in time")
            await stream.aclose()
        await self._tasks.cancel_all()
