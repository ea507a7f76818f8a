"""Whose voices a room forwards: the few who spoke most recently, switching as people take turns.

A browser gets at most N relayed voices (`RTC_FORWARD_SPEAKERS`), so a 40-person room does not
send 39 streams to everyone. Each speaker's level comes from the one decode of its audio (for
recognition). A talk spurt (loud for `SPURT_START_S`) moves its speaker to the front; someone
who keeps talking stays in front while others start and stop, so simultaneous speakers do not
flap. Silence (a muted microphone, comfort noise) never moves anyone.
"""

from __future__ import annotations

import math

import numpy as np

from rtc_server.asr.recognizer import Audio

SPEECH_DBFS = -45.0  # RMS over a 20 ms frame; speech sits around -35 to -15, silence far below
SPURT_START_S = 0.2  # loud this long (with gaps under SPURT_GAP_S) before it counts as talking
SPURT_GAP_S = 0.6  # a pause longer than this ends a spurt; the next one moves its speaker again


def level_dbfs(samples: Audio) -> float:
    """RMS level of float samples in [-1, 1], in dBFS (-inf for digital silence)."""
    if samples.size == 0:
        return -math.inf
    energy = float(np.dot(samples, samples)) / samples.size
    return 10 * math.log10(energy) if energy > 0 else -math.inf


class _Spurt:
    def __init__(self) -> None:
        self.started: float | None = None  # when the current run of loud audio began
        self.last_loud = -math.inf
        self.counted = False  # this spurt already moved its speaker to the front


class RecentSpeakers:
    """Speakers ordered by when they last started talking, most recent first."""

    def __init__(self) -> None:
        self._order: list[str] = []
        self._spurts: dict[str, _Spurt] = {}

    def add(self, speaker_id: str) -> None:
        """A new speaker goes last until it talks."""
        if speaker_id not in self._spurts:
            self._spurts[speaker_id] = _Spurt()
            self._order.append(speaker_id)

    def remove(self, speaker_id: str) -> None:
        if self._spurts.pop(speaker_id, None) is not None:
            self._order.remove(speaker_id)

    def hear(self, speaker_id: str, level: float, now: float) -> bool:
        """Account `level` heard from the speaker at `now` (seconds); True if the order changed."""
        spurt = self._spurts.get(speaker_id)
        if spurt is None or level < SPEECH_DBFS:
            return False
        if now - spurt.last_loud > SPURT_GAP_S:
            spurt.started, spurt.counted = now, False
        spurt.last_loud = now
        assert spurt.started is not None
        if spurt.counted or now - spurt.started < SPURT_START_S:
            return False
        spurt.counted = True
        if self._order[0] == speaker_id:
            return False
        self._order.remove(speaker_id)
        self._order.insert(0, speaker_id)
        return True

    def for_listener(self, listener_id: str, count: int) -> list[str]:
        """The `count` most recent speakers other than the listener."""
        return [s for s in self._order if s != listener_id][:count]


def assign_slots(current: list[str | None], chosen: list[str]) -> list[str | None]:
    """Put the chosen speakers into a listener's slots, leaving each already placed where it is
    (a switch costs the browser a moment of audio), newcomers into the freed slots."""
    keep = set(chosen)
    slots = [source if source in keep else None for source in current]
    placed = set(slots)
    newcomers = iter(source for source in chosen if source not in placed)
    return [source if source is not None else next(newcomers, None) for source in slots]
