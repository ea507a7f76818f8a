"""Caption messages on one participant's data channel: numbering, size limit, backpressure."""

from __future__ import annotations

import logging
from collections import deque
from typing import Protocol

from rtc_server.observability import metrics
from rtc_server.signaling.caption_messages import Caption, ChannelMessage, Translation
from rtc_server.signaling.server_messages import encode

log = logging.getLogger(__name__)

# Datagrams over ~1,200 bytes are dropped on paths with a 1,280-byte MTU and stall the channel.
MAX_CHANNEL_MESSAGE_BYTES = 1_000
# Above this much unsent data a listener is too slow: provisional text is skipped for it.
MAX_BUFFERED_BYTES = 256 * 1024
# Finished messages kept for a client that reconnects and says which `seq` it saw last.
RESUME_BACKLOG = 500


class DataChannel(Protocol):
    """The part of aiortc's RTCDataChannel we use."""

    @property
    def readyState(self) -> str: ...

    @property
    def bufferedAmount(self) -> int: ...

    def send(self, data: str) -> None: ...


def split_message(message: Caption | Translation) -> list[Caption | Translation]:
    """Copies of `message` whose text pieces keep each encoded message under the limit."""
    text, count = message.text, 1
    while True:
        texts = _split_text(text, count) if count > 1 else [text]
        pieces = [
            message.model_copy(update={"text": piece, "part": index, "parts": len(texts)})
            for index, piece in enumerate(texts)
        ]
        if max(map(_encoded_size, pieces)) <= MAX_CHANNEL_MESSAGE_BYTES or count > len(text):
            return pieces
        count += 1


def _split_text(text: str, count: int) -> list[str]:
    """Cut into `count` pieces of about equal size, at spaces where there are any."""
    size = -(-len(text) // count)
    pieces: list[str] = []
    rest = text
    while rest:
        if len(rest) <= size:
            pieces.append(rest)
            break
        cut = rest.rfind(" ", size // 2, size + 1)
        cut = size if cut <= 0 else cut + 1
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return pieces


def _encoded_size(message: ChannelMessage) -> int:
    """As sent, with the widest `seq`."""
    return len(encode(message.model_copy(update={"seq": 2**31})).encode())


class CaptionChannel:
    """Numbers every message (`seq`) and sends it if the channel is open and keeping up.

    Finals and translations are never skipped for a slow listener; partials are. The last
    finished messages are kept, and while the client is away (`hold`) new ones are numbered
    and kept too, so a resumed client gets exactly what it missed, in order.
    """

    def __init__(self) -> None:
        self._channel: DataChannel | None = None
        self._seq = 0
        self._held = False
        self._recent: deque[tuple[int, str]] = deque(maxlen=RESUME_BACKLOG)

    def attach(self, channel: DataChannel) -> None:
        self._channel = channel

    def hold(self) -> None:
        """The client went away and may come back: stop sending, keep counting."""
        self._channel = None
        self._held = True

    def resume(self, last_seq: int) -> None:
        """The client is back on an open channel: send what came after its `last_seq`."""
        self._held = False
        if self._channel is None:
            return
        for seq, data in self._recent:
            if seq > last_seq:
                self._channel.send(data)

    def send(self, message: ChannelMessage, provisional: bool = False) -> bool:
        channel = self._channel
        if channel is None or channel.readyState != "open":
            if provisional or not self._held:
                metrics.CAPTION_MESSAGES_DROPPED.labels("channel_closed").inc()
                return False
            channel = None  # kept for the client's resume, sent then
        elif provisional and channel.bufferedAmount > MAX_BUFFERED_BYTES:
            metrics.CAPTION_MESSAGES_DROPPED.labels("slow_listener").inc()
            return False
        pieces = split_message(message) if isinstance(message, Caption | Translation) else [message]
        for piece in pieces:
            self._seq += 1
            data = encode(piece.model_copy(update={"seq": self._seq}))
            if not provisional:
                self._recent.append((self._seq, data))
            if channel is None:
                continue
            try:
                channel.send(data)
            except Exception:  # the channel closed under us: one listener, not the room
                log.warning("caption channel send failed", exc_info=True)
                metrics.CAPTION_MESSAGES_DROPPED.labels("send_failed").inc()
                return False
        return channel is not None
