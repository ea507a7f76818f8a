"""A stand-in for aiortc's data channel that keeps what is sent on it."""

from __future__ import annotations

import json


class FakeChannel:
    def __init__(self, buffered: int = 0) -> None:
        self.readyState = "open"
        self.bufferedAmount = buffered
        self.sent: list[dict[str, object]] = []

    def send(self, data: str) -> None:
        self.sent.append(json.loads(data))
