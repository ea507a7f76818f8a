"""Server → client messages on the WebSocket, one model each (docs/protocol.md).

A call site builds a model and sends `encode(model)`, its JSON text: keys in field order,
optional keys absent rather than null.
"""

from __future__ import annotations

import json
import operator
from typing import Annotated, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from rtc_server.signaling.messages import ParticipantInfo

T = TypeVar("T")


def _is_none(value: object) -> bool:
    return value is None


# A key sent only when it has a value: absent, never null, when None.
Omittable = Annotated[T | SkipJsonSchema[None], Field(exclude_if=_is_none)]
# A flag sent only when true (`"interrupted": true`), never as false.
Flag = Annotated[bool, Field(exclude_if=operator.not_)]


class OutgoingMessage(BaseModel):
    """Every message the server sends carries the protocol version and its type."""

    # Serialization defaults required: `v` and `type` are always sent, so the schema says so.
    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_serialization_defaults_required=True
    )
    separators: ClassVar[tuple[str, str]] = (",", ":")  # signaling: compact
    # Defaults go by keyword, `Field(default=...)`: only then may a typed call site omit them.
    v: Literal[1] = 1


def encode(message: OutgoingMessage) -> str:
    """The message as JSON text, keys in field order, non-ASCII characters as they are."""
    body = message.model_dump(mode="json")
    return json.dumps(body, ensure_ascii=False, separators=message.separators)


class IceServer(BaseModel):
    """One entry of `RTCConfiguration.iceServers`; TURN servers come with credentials."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    urls: list[str]
    username: Omittable[str] = None
    credential: Omittable[str] = None


IceTransportPolicy = Literal["all", "relay"]


class TranslationCapability(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    backend: str
    targets: list[str] = Field(
        description='["*"]: any language; ["en"]: English only; []: translation is off.'
    )


class Joined(OutgoingMessage):
    """Answers `join`: who this participant is and how to connect."""

    type: Literal["joined"] = "joined"
    participant_id: str
    room: str
    ice_servers: list[IceServer]
    ice_transport_policy: IceTransportPolicy
    translation: TranslationCapability
    participants: list[ParticipantInfo] = Field(description="Everyone in the room, this one too.")
    resume_token: str = Field(description="Takes this participant back in `join.resume`.")
    resumed: bool
    audio_slots: int = Field(description="Audio m-sections to offer (0: no audio relay).")


class Answer(OutgoingMessage):
    """The SDP answer, with all of the server's ICE candidates."""

    type: Literal["answer"] = "answer"
    sdp: str


class AudioTrack(BaseModel):
    """Whose voice arrives on the transceiver with this `mid`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    mid: str
    participant_id: str


class AudioTracks(OutgoingMessage):
    """Which slot carries which voice; slots not listed are silent. Replaces the last one."""

    type: Literal["audio_tracks"] = "audio_tracks"
    tracks: list[AudioTrack]


class Participants(OutgoingMessage):
    """The full list, sent to everyone whenever it changes."""

    type: Literal["participants"] = "participants"
    participants: list[ParticipantInfo]


class ParticipantJoined(OutgoingMessage):
    type: Literal["participant_joined"] = "participant_joined"
    participant: ParticipantInfo


# `shutdown`: the server stopped and closed every session.
LeaveReason = Literal["left", "disconnected", "failed", "connection_lost", "shutdown"]


class ParticipantLeft(OutgoingMessage):
    type: Literal["participant_left"] = "participant_left"
    participant: ParticipantInfo
    reason: LeaveReason


class CaptionLanguage(OutgoingMessage):
    """Confirms `set_caption_language`."""

    type: Literal["caption_language"] = "caption_language"
    language: str | None


class Notice(OutgoingMessage):
    """A state the user should know about, not caused by a bad message."""

    type: Literal["notice"] = "notice"
    code: str = Field(description="translation_paused, server_shutdown, …: see docs/protocol.md.")
    message: str
    language: str | None = Field(description="The caption language it concerns; null: any.")
    delay_s: Omittable[float] = Field(default=None, description="captions_delayed: by how much.")


class ErrorMessage(OutgoingMessage):
    """A refused request or a failed session; the connection stays open unless stated."""

    type: Literal["error"] = "error"
    code: str = Field(description="bad_message, room_full, …: see docs/protocol.md.")
    message: str
    cause: Omittable[str] = Field(default=None, description="connection_failed: why ICE failed.")


class Left(OutgoingMessage):
    """Answers `leave`; then the server closes the WebSocket."""

    type: Literal["left"] = "left"


class Pong(OutgoingMessage):
    """Answers `ping`."""

    type: Literal["pong"] = "pong"


ServerMessage = Annotated[
    Joined
    | Answer
    | AudioTracks
    | Participants
    | ParticipantJoined
    | ParticipantLeft
    | CaptionLanguage
    | Notice
    | ErrorMessage
    | Left
    | Pong,
    Field(discriminator="type"),
]
