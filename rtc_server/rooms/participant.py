"""A person in a room, and the connection that currently carries them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Protocol

from rtc_server.signaling.messages import ParticipantInfo, Speaker
from rtc_server.signaling.server_messages import ServerMessage, encode
from rtc_server.webrtc.caption_channel import CaptionChannel


class Connection(Protocol):
    """The signaling connection a participant is reached through."""

    def send(self, message: str) -> None:
        """A message's JSON text on its WebSocket."""

    def hand_over(self) -> None:
        """Let go of the participant at once: a new connection resumes it."""

    def end(self, message: ServerMessage) -> None:
        """Tell the client why (an error it reconnects after) and hang up."""


class _Away:
    """A held participant's connection: it is gone, so messages go nowhere."""

    def send(self, message: str) -> None:
        pass

    def end(self, message: ServerMessage) -> None:
        pass

    def hand_over(self) -> None:
        pass


AWAY: Connection = _Away()


@dataclass(eq=False)
class Participant:
    id: str
    name: str
    language: str  # spoken: a code or "auto"
    caption_language: str | None
    connection: Connection  # swapped when another connection resumes the participant
    # Joined to read captions on its WebSocket: part of the audience, not of the meeting
    # (not listed, not announced, not counted against the room size).
    captions_only: bool = False
    captions: CaptionChannel = field(default_factory=CaptionChannel)
    audio_origin_ms: int = 0  # server wall clock (Unix ms) at the start of its audio; 0: none
    resume_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    streams: int = 0  # speech streams so far (one per connection)

    def send_signal(self, message: ServerMessage) -> None:
        self.connection.send(encode(message))

    @property
    def away(self) -> bool:
        return self.connection is AWAY

    @property
    def info(self) -> ParticipantInfo:
        return ParticipantInfo(
            id=self.id,
            name=self.name,
            language=self.language,
            caption_language=self.caption_language,
        )

    @property
    def speaker(self) -> Speaker:
        return Speaker(id=self.id, name=self.name)
