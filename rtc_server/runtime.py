"""What every session shares once the speech model is loaded: built in `app.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rtc_server.asr.recognizer import SpeechRecognizer
from rtc_server.asr.stream import RecognizeStream, StreamOptions
from rtc_server.observability import metrics
from rtc_server.rooms.registry import RoomRegistry
from rtc_server.settings import Settings
from rtc_server.translation.service import TranslationService


class SpeakerSeats:
    """Microphones being transcribed. Recognition is the scarce resource: past the limit the
    server would fall behind everyone, so one more is refused while listening stays open."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._holders: set[object] = set()

    def claim(self, holder: object) -> bool:
        if holder not in self._holders and len(self._holders) >= self.limit:
            return False
        self._holders.add(holder)
        metrics.SPEAKERS.set(len(self._holders))
        return True

    def release(self, holder: object) -> None:
        self._holders.discard(holder)
        metrics.SPEAKERS.set(len(self._holders))

    def __len__(self) -> int:
        return len(self._holders)

    def __contains__(self, holder: object) -> bool:
        return holder in self._holders


@dataclass
class Runtime:
    settings: Settings
    recognizer: SpeechRecognizer
    stream_options: StreamOptions
    translation: TranslationService
    rooms: RoomRegistry
    speakers: SpeakerSeats = field(init=False)

    def __post_init__(self) -> None:
        self.speakers = SpeakerSeats(self.settings.max_speakers)

    def speech_stream(
        self, language: str, room_languages: Callable[[], frozenset[str]]
    ) -> RecognizeStream | None:
        """A new speaker's recognition (none when it is off: the media path alone). On
        "auto", the language is detected among those offered and those used in the room."""
        if not self.settings.recognition:
            return None
        offered = frozenset(self.settings.languages)
        return RecognizeStream(
            self.recognizer,
            None if language == "auto" else language,
            self.stream_options,
            candidates=lambda: offered | room_languages(),
        )
