"""Caption messages on the data channel: split under the datagram limit, partials shed."""

from __future__ import annotations

from rtc_server.signaling.server_messages import encode
from rtc_server.webrtc.caption_channel import (
    MAX_CHANNEL_MESSAGE_BYTES,
    CaptionChannel,
    split_message,
)
from tests.support.data_channel import FakeChannel, caption


def test_long_text_is_split_under_the_datagram_limit() -> None:
    message = caption("Grüße aus Köln " * 300)
    pieces = split_message(message)
    assert len(pieces) > 1 and "".join(p.text for p in pieces) == message.text
    assert [p.part for p in pieces] == list(range(len(pieces)))
    assert {p.parts for p in pieces} == {len(pieces)}
    for piece in pieces:
        numbered = piece.model_copy(update={"seq": 2**31})
        assert len(encode(numbered).encode()) <= MAX_CHANNEL_MESSAGE_BYTES


def test_slow_listener_skips_partials_but_never_finals() -> None:
    channel = CaptionChannel()
    fake = FakeChannel(buffered=10**7)
    channel.attach(fake)
    assert channel.send(caption("draft", final=False), provisional=True) is False
    assert channel.send(caption("done")) is True
    assert [m["text"] for m in fake.sent] == ["done"]
    assert fake.sent[0]["seq"] == 1 and fake.sent[0]["v"] == 1
