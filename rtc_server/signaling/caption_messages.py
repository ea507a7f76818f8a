"""Server → client messages on the `captions` data channel, one model each (docs/protocol.md).

Each carries the `seq` its channel numbers it with, last; a message with text also carries
`part` and `parts`, as long text is split into pieces that each repeat every other field.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from rtc_server.signaling.messages import Speaker
from rtc_server.signaling.server_messages import Flag, Omittable, OutgoingMessage

_SEQ = "Counts every message on this channel, all types, from 1."
_PART = "This piece of a split text, from 0; the client joins pieces in part order."
_PARTS = "How many pieces the text was split into (1: not split)."
_HISTORY = "Sent for a late joiner or a new caption language, not live."


class ChannelMessage(OutgoingMessage):
    """Built without `seq`, `part` and `parts`: the channel sets them as it numbers and splits
    (`model_copy(update=...)`)."""

    # Spaced like json.dumps' default: the channel's size limit is measured that way.
    separators: ClassVar[tuple[str, str]] = (", ", ": ")


class Caption(ChannelMessage):
    """What a speaker says: partials of one `id` are replaced by the next, then its final."""

    type: Literal["caption"] = "caption"
    id: str = Field(description="One utterance: `<participant id>:<number>`.")
    speaker: Speaker
    language: str = Field(description="The spoken language.")
    text: str
    final: bool
    start: float = Field(description="Seconds since the start of the speaker's audio.")
    end: float
    origin: int = Field(description="Unix ms when the speaker's audio started (0: unknown).")
    interrupted: Flag = Field(default=False, description="A final cut short: the audio stopped.")
    continued: Flag = Field(default=False, description="A final cut from speech that goes on.")
    history: Flag = Field(default=False, description=_HISTORY)
    part: int = Field(default=0, description=_PART)
    parts: int = Field(default=1, description=_PARTS)
    seq: int = Field(default=0, description=_SEQ)


class Translation(ChannelMessage):
    """A machine translation of a final caption (or of the sentence its pieces make)."""

    type: Literal["translation"] = "translation"
    caption_id: str
    speaker: Speaker
    language: str
    source_language: str
    covers: Omittable[list[str]] = Field(
        default=None,
        description="The captions a sentence spoken in pieces spans, `caption_id` last.",
    )
    text: str
    final: bool = Field(description="false while the translation streams.")
    history: Flag = Field(default=False, description=_HISTORY)
    part: int = Field(default=0, description=_PART)
    parts: int = Field(default=1, description=_PARTS)
    seq: int = Field(default=0, description=_SEQ)


class CaptionWithdrawn(ChannelMessage):
    """A partial caption that will never get a final."""

    type: Literal["caption_withdrawn"] = "caption_withdrawn"
    id: str
    seq: int = Field(default=0, description=_SEQ)


class Speech(ChannelMessage):
    """Voice activity of a speaker, from the server's voice detector."""

    type: Literal["speech"] = "speech"
    speaker: Speaker
    speaking: bool
    seq: int = Field(default=0, description=_SEQ)


CaptionChannelMessage = Annotated[
    Caption | Translation | CaptionWithdrawn | Speech, Field(discriminator="type")
]
