"""Typed, versioned messages on the wire (documented in docs/protocol.md)."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from rtc_server.languages import LanguageCode, SpokenLanguage

PROTOCOL_VERSION = 1
MAX_SIGNALING_MESSAGE_BYTES = 64 * 1024


class ProtocolError(Exception):
    """A client mistake: answered with an error message, the connection stays open."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    v: Literal[1]  # required: parse_client_message refuses a message without it


# Client → server


RoomName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class Resume(BaseModel):
    """Take back a participant whose connection dropped, as `joined` described it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    participant_id: Annotated[str, StringConstraints(max_length=64)]
    token: Annotated[str, StringConstraints(max_length=128)]
    last_seq: int = Field(0, ge=0)  # the last caption `seq` the client received


class Join(_Message):
    type: Literal["join"]
    room: RoomName
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    language: SpokenLanguage = "auto"
    caption_language: LanguageCode | None = None
    token: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = None
    resume: Resume | None = None
    # Captions and translations on this WebSocket: no offer, no peer connection, no audio.
    captions_only: bool = False


class Offer(_Message):
    type: Literal["offer"]
    sdp: Annotated[str, StringConstraints(min_length=1)]


class Candidate(_Message):
    type: Literal["candidate"]
    candidate: str | None = None
    sdp_mid: str | None = None
    sdp_mline_index: int | None = None


class SetCaptionLanguage(_Message):
    type: Literal["set_caption_language"]
    language: LanguageCode | None


class Leave(_Message):
    type: Literal["leave"]


class Ping(_Message):
    type: Literal["ping"]


IceFailureCause = Literal["turn_refused", "turn_unreachable", "no_candidates"]


class IceFailed(_Message):
    """The browser's ICE gathering ended without a single candidate: it can never connect."""

    type: Literal["ice_failed"]
    cause: IceFailureCause
    detail: Annotated[str, StringConstraints(max_length=512)] = ""  # TURN URL, code, reason


ClientMessage = Annotated[
    Join | Offer | Candidate | SetCaptionLanguage | Leave | Ping | IceFailed,
    Field(discriminator="type"),
]
_client_message: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)
CLIENT_TYPES = frozenset(
    ("join", "offer", "candidate", "set_caption_language", "leave", "ping", "ice_failed")
)


def parse_client_message(raw: str | bytes) -> ClientMessage:
    """Validate one incoming WebSocket message or raise ProtocolError with a precise code."""
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode())  # bytes, not characters
    if size > MAX_SIGNALING_MESSAGE_BYTES:
        raise ProtocolError("too_large", f"message over {MAX_SIGNALING_MESSAGE_BYTES} bytes")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ProtocolError("bad_json", f"not valid JSON: {error}") from None
    except RecursionError:
        raise ProtocolError("bad_json", "not valid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_json", "a message must be a JSON object")
    version = data.get("v")
    if type(version) is not int or version != PROTOCOL_VERSION:  # not missing, true or 1.0
        raise ProtocolError(
            "unsupported_version", f"protocol version {version!r} is not supported; send v: 1"
        )
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in CLIENT_TYPES:  # may be a list: not hashable
        raise ProtocolError("unknown_type", f"unknown message type {kind!r}")
    try:
        return _client_message.validate_python(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in (kind, *first["loc"][1:]))
        raise ProtocolError("bad_message", f"{where}: {first['msg']}") from None


# Server → client


class ParticipantInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str
    language: str
    caption_language: str | None


class Speaker(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str
