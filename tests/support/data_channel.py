"""A stand-in for aiortc's data channel that keeps what is sent on it, and a caption to send."""

from __future__ import annotations

import json

from rtc_server.signaling.caption_messages import Caption
from rtc_server.signaling.messages import Speaker


class FakeChannel:
    def __init__(self, buffered: int = 0) -> None:
        self.readyState = "open"
        self.bufferedAmount = buffered
        self.sent: list[dict[str, object]] = []

    def send(self, data: str) -> None:
        self.sent.append(json.loads(data))


SPEAKER = Speaker(id="p-77b2e0", name="Zoë 李")


def caption(text: str, final: bool = True, **flags: bool) -> Caption:
    """A caption as a room sends it (`flags`: interrupted, continued, history)."""
    return Caption(
        id="p-77b2e0:7",
        speaker=SPEAKER,
        language="de",
        text=text,
        final=final,
        start=3.12,
        end=6.4,
        origin=1767225600123,
        **flags,
    )
