"""Recorded audio pushed through a RecognizeStream as a microphone would push it, and a scripted
recognizer to stand in for the model."""

from __future__ import annotations

import asyncio
import time

import numpy as np

from rtc_server.asr.recognizer import SAMPLE_RATE, DecodeRequest, Hypothesis, Priority
from rtc_server.asr.stream import RecognizeStream, SpeechEvent, SpeechEventType
from tests.support.client import load_audio
from tests.support.servers import TESTDATA

CHUNK = 320  # 20 ms, as WebRTC delivers it


class ScriptedRecognizer:
    """Answers instantly or after `delay`, counting requests by priority."""

    def __init__(self, text: str = "hello there", delay: float = 0.0) -> None:
        self.text = text
        self.delay = delay
        self.calls: list[Priority] = []
        self.running = 0
        self.most_running = 0

    async def recognize(
        self, request: DecodeRequest, priority: Priority, key: object | None = None
    ) -> Hypothesis | None:
        self.calls.append(priority)
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.running -= 1
        return Hypothesis(self.text, "en")


def recording(name: str, channel: int | None = None) -> np.ndarray:
    return load_audio(TESTDATA / name, channel=channel, rate=SAMPLE_RATE).astype(np.float32) / 32768


async def stream_through(
    stream: RecognizeStream, audio: np.ndarray, real_time: bool = True
) -> list[tuple[float, SpeechEvent]]:
    """Push audio at the pace of a microphone; return (time since start, event) pairs."""
    events: list[tuple[float, SpeechEvent]] = []
    started = time.monotonic()

    async def collect() -> None:
        async for event in stream:
            events.append((time.monotonic() - started, event))

    reader = asyncio.ensure_future(collect())
    for offset in range(0, audio.size, CHUNK):
        stream.push_audio(audio[offset : offset + CHUNK])
        if real_time:
            await asyncio.sleep(
                max(0.0, started + (offset + CHUNK) / SAMPLE_RATE - time.monotonic())
            )
        else:
            await asyncio.sleep(0)
    await stream.end_input()
    await reader
    return events


def of_type(events: list[tuple[float, SpeechEvent]], kind: SpeechEventType) -> list[SpeechEvent]:
    return [event for _, event in events if event.type is kind]
