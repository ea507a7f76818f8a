"""SFU-style audio inside a room: every microphone relayed to every other participant."""

from __future__ import annotations

from typing import Protocol

from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack


class AudioListener(Protocol):
    participant_id: str

    def add_remote_audio(self, source_id: str, track: MediaStreamTrack) -> None: ...

    def remove_remote_audio(self, source_id: str) -> None: ...


class RoomAudio:
    """One relay per room. A received track can only be read once, so the recognizer also
    reads through the relay, beside the other participants' copies."""

    def __init__(self, relay_to_participants: bool) -> None:
        self._relay = MediaRelay()
        self._enabled = relay_to_participants
        self._sources: dict[str, MediaStreamTrack] = {}
        self._listeners: dict[str, AudioListener] = {}

    def for_recognition(self, track: MediaStreamTrack) -> MediaStreamTrack:
        return self._relay.subscribe(track, buffered=True)

    def add_source(self, participant_id: str, track: MediaStreamTrack) -> None:
        self._sources[participant_id] = track
        if not self._enabled:
            return
        for listener in list(self._listeners.values()):
            if listener.participant_id != participant_id:
                # Unbuffered: a listener that falls behind skips to the newest audio.
                listener.add_remote_audio(participant_id, self._relay.subscribe(track, False))

    def add_listener(self, listener: AudioListener) -> None:
        self._listeners[listener.participant_id] = listener
        if not self._enabled:
            return
        for source_id, track in list(self._sources.items()):
            if source_id != listener.participant_id:
                listener.add_remote_audio(source_id, self._relay.subscribe(track, False))

    def remove(self, participant_id: str) -> None:
        self._listeners.pop(participant_id, None)
        if self._sources.pop(participant_id, None) is None:
            return
        for listener in list(self._listeners.values()):
            listener.remove_remote_audio(participant_id)
