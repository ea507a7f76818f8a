"""Caption messages on the data channel: split under the datagram limit, partials shed,
what a resumed channel missed resent, what is not sent counted."""

from __future__ import annotations

from prometheus_client import REGISTRY

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


def test_a_resumed_channel_gets_exactly_what_it_missed() -> None:
    captions = CaptionChannel()
    old, new = FakeChannel(), FakeChannel()
    captions.attach(old)
    captions.send(caption("one"))
    captions.send(caption("tw", final=False), provisional=True)
    captions.send(caption("two"))  # in flight when the line dropped
    received = old.sent[:2]
    captions.hold()
    captions.send(caption("thr", final=False), provisional=True)  # nobody to see
    captions.send(caption("three"))
    new.readyState = "connecting"
    captions.attach(new)
    captions.send(caption("four"))
    assert new.sent == []
    new.readyState = "open"
    captions.resume(last_seq=received[-1]["seq"])  # type: ignore[arg-type]
    captions.send(caption("five"))
    everything = received + new.sent
    assert [m["text"] for m in everything] == ["one", "tw", "two", "three", "four", "five"]
    assert [m["seq"] for m in everything] == [1, 2, 3, 4, 5, 6]


class ClosingChannel:
    """Open when asked, gone when written to: the race a closing data channel can lose."""

    readyState = "open"
    bufferedAmount = 0

    def send(self, data: str) -> None:
        raise ConnectionError("the channel closed")


def dropped(reason: str) -> float:
    value = REGISTRY.get_sample_value("rtc_caption_messages_dropped_total", {"reason": reason})
    return value or 0.0


def test_caption_messages_not_sent_are_counted_by_reason() -> None:
    before = {reason: dropped(reason) for reason in ("channel_closed", "send_failed")}
    captions = CaptionChannel()
    assert captions.send(caption("not open yet")) is False
    captions.attach(ClosingChannel())
    assert captions.send(caption("lost in a closing channel")) is False
    assert dropped("channel_closed") == before["channel_closed"] + 1
    assert dropped("send_failed") == before["send_failed"] + 1
