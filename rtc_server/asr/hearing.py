"""Telling a speaker, within seconds, that the server is not hearing them or not captioning them.

Browsers keep sending packets while muted (silence), so audio that stops arriving on a connected
peer means the media path broke (a dead TURN relay, a sender gone quiet), not a muted
microphone. Speech that the speaker's own VAD hears but that yields no caption for several
seconds (a wrong microphone, music, a language the model misses) is told too. Both notices
invite a reconnect; the web app offers it in one click.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

AUDIO_STALL_S = 3.0  # no audio for this long on a live connection: not heard
UNCAPTIONED_SPEECH_S = 8.0  # speech this long with no caption shown for it


class Hearing(Enum):
    AUDIO_STOPPED = "audio_not_arriving"
    AUDIO_RESUMED = "audio_arriving"
    SPEECH_UNCAPTIONED = "speech_not_captioned"


MESSAGES = {
    Hearing.AUDIO_STOPPED: "the server has stopped receiving your microphone: "
    "your words are not reaching anyone; reconnect to try again",
    Hearing.AUDIO_RESUMED: "your microphone is reaching the server again",
    Hearing.SPEECH_UNCAPTIONED: "you seem to be speaking, but nothing could be captioned: "
    "check the microphone and the language you speak, or reconnect",
}


@dataclass
class HearingWatch:
    """Turns what the server measures of one speaker into notices, each said once."""

    stall_s: float = AUDIO_STALL_S
    uncaptioned_s: float = UNCAPTIONED_SPEECH_S
    _stopped: bool = False
    _told_uncaptioned: bool = False

    def check(self, audio_idle_s: float, uncaptioned_speech_s: float) -> list[Hearing]:
        """`audio_idle_s`: since audio last arrived; `uncaptioned_speech_s`: speech heard
        without a caption so far (0 once one is shown)."""
        told: list[Hearing] = []
        if not self._stopped and audio_idle_s > self.stall_s:
            self._stopped = True
            told.append(Hearing.AUDIO_STOPPED)
        elif self._stopped and audio_idle_s < self.stall_s:
            self._stopped = False
            told.append(Hearing.AUDIO_RESUMED)
        if uncaptioned_speech_s < self.uncaptioned_s:
            self._told_uncaptioned = False
        elif not self._told_uncaptioned:
            self._told_uncaptioned = True
            told.append(Hearing.SPEECH_UNCAPTIONED)
        return told
