"""What every session shares once the speech model is loaded: built in `app.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rtc_server.asr.recognizer import SpeechRecognizer
from rtc_server.asr.stream import StreamOptions
from rtc_server.rooms.registry import RoomRegistry
from rtc_server.settings import Settings
from rtc_server.translation.service import TranslationService

if TYPE_CHECKING:
    from rtc_server.signaling.session import Session


@dataclass
class Runtime:
    settings: Settings
    recognizer: SpeechRecognizer
    stream_options: StreamOptions
    translation: TranslationService
    rooms: RoomRegistry
    speakers: set[Session] = field(default_factory=set)  # sessions whose audio is transcribed
