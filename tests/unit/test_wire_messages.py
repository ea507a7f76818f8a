"""The exact JSON text clients receive: written out here, so that any change to it is seen.

Signaling messages are compact; data-channel messages are spaced like `json.dumps`, numbered
last, and a long text goes in pieces that each repeat every other field.
"""

from __future__ import annotations

import json

from rtc_server.signaling.caption_messages import (
    CaptionWithdrawn,
    ChannelMessage,
    Speech,
    Translation,
)
from rtc_server.signaling.messages import ParticipantInfo
from rtc_server.signaling.server_messages import (
    ErrorMessage,
    IceServer,
    Joined,
    Left,
    Notice,
    ParticipantLeft,
    TranslationCapability,
    encode,
)
from rtc_server.webrtc.caption_channel import CaptionChannel
from tests.support.data_channel import SPEAKER, caption

ADA = ParticipantInfo(id="p-3f9a1c", name="Ada Lovelace", language="auto", caption_language="de")
ZOE = ParticipantInfo(id="p-77b2e0", name="Zoë 李", language="zh", caption_language=None)
TEXT = "Fragt nicht «ça va» 你好"

# Signaling


def test_joined_is_compact_with_keys_in_order_and_text_as_it_is() -> None:
    joined = Joined(
        participant_id=ADA.id,
        room="standup",
        ice_servers=[
            IceServer(urls=["stun:stun.example.com:3478"]),
            IceServer(
                urls=["turn:turn.example.com:3478?transport=udp"],
                username="1767225600:standup:p-3f9a1c",
                credential="mR4+/=",
            ),
        ],
        ice_transport_policy="relay",
        translation=TranslationCapability(backend="openai", targets=["*"]),
        participants=[ADA, ZOE],
        resume_token="Jd8-_x",
        resumed=True,
        audio_slots=3,
    )
    assert encode(joined) == (
        '{"v":1,"type":"joined","participant_id":"p-3f9a1c","room":"standup",'
        '"ice_servers":[{"urls":["stun:stun.example.com:3478"]},'
        '{"urls":["turn:turn.example.com:3478?transport=udp"],'
        '"username":"1767225600:standup:p-3f9a1c","credential":"mR4+/="}],'
        '"ice_transport_policy":"relay","translation":{"backend":"openai","targets":["*"]},'
        '"participants":[{"id":"p-3f9a1c","name":"Ada Lovelace","language":"auto",'
        '"caption_language":"de"},{"id":"p-77b2e0","name":"Zoë 李","language":"zh",'
        '"caption_language":null}],"resume_token":"Jd8-_x","resumed":true,"audio_slots":3}'
    )


def test_notices_errors_and_departures() -> None:
    delayed = Notice(code="captions_delayed", message="late", language=None, delay_s=3.1)
    assert encode(delayed) == (
        '{"v":1,"type":"notice","code":"captions_delayed","message":"late","language":null,'
        '"delay_s":3.1}'
    )
    failed = ErrorMessage(code="connection_failed", message="no TURN", cause="turn_refused")
    assert encode(failed) == (
        '{"v":1,"type":"error","code":"connection_failed","message":"no TURN",'
        '"cause":"turn_refused"}'
    )
    assert encode(ParticipantLeft(participant=ZOE, reason="connection_lost")) == (
        '{"v":1,"type":"participant_left","participant":{"id":"p-77b2e0","name":"Zoë 李",'
        '"language":"zh","caption_language":null},"reason":"connection_lost"}'
    )
    assert encode(Left()) == '{"v":1,"type":"left"}'


def test_omitted_keys_are_absent_not_null() -> None:
    assert "cause" not in json.loads(encode(ErrorMessage(code="internal", message="m")))
    assert "delay_s" not in json.loads(encode(Notice(code="c", message="m", language=None)))
    assert "username" not in json.loads(IceServer(urls=["stun:s"]).model_dump_json())


# Data channel


class _Recorder:
    """The data channel, keeping the exact text sent."""

    readyState = "open"
    bufferedAmount = 0

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, data: str) -> None:
        self.sent.append(data)


def sent(*messages: ChannelMessage) -> list[str]:
    recorder = _Recorder()
    channel = CaptionChannel()
    channel.attach(recorder)
    for message in messages:
        channel.send(message)
    return recorder.sent


def translation(text: str = "Ask not", final: bool = True) -> Translation:
    return Translation(
        caption_id="p-77b2e0:8",
        speaker=SPEAKER,
        language="en",
        source_language="de",
        covers=["p-77b2e0:7", "p-77b2e0:8"],
        text=text,
        final=final,
    )


SPEAKER_JSON = '"speaker": {"id": "p-77b2e0", "name": "Zoë 李"}'


def test_channel_messages_are_numbered_last_and_flags_sent_only_when_true() -> None:
    assert sent(
        caption(TEXT, continued=True),
        translation(),
        CaptionWithdrawn(id="p-77b2e0:9"),
        Speech(speaker=SPEAKER, speaking=False),
    ) == [
        '{"v": 1, "type": "caption", "id": "p-77b2e0:7", ' + SPEAKER_JSON + ', "language": "de", '
        '"text": "Fragt nicht «ça va» 你好", "final": true, "start": 3.12, "end": 6.4, '
        '"origin": 1767225600123, "continued": true, "part": 0, "parts": 1, "seq": 1}',
        '{"v": 1, "type": "translation", "caption_id": "p-77b2e0:8", ' + SPEAKER_JSON + ", "
        '"language": "en", "source_language": "de", "covers": ["p-77b2e0:7", "p-77b2e0:8"], '
        '"text": "Ask not", "final": true, "part": 0, "parts": 1, "seq": 2}',
        '{"v": 1, "type": "caption_withdrawn", "id": "p-77b2e0:9", "seq": 3}',
        '{"v": 1, "type": "speech", ' + SPEAKER_JSON + ', "speaking": false, "seq": 4}',
    ]


def test_replayed_history_is_marked_after_the_flags() -> None:
    (replayed,) = sent(caption(TEXT, interrupted=True, history=True))
    assert replayed.endswith(
        '"interrupted": true, "history": true, "part": 0, "parts": 1, "seq": 1}'
    )


def test_a_long_text_goes_in_pieces_that_repeat_every_field() -> None:
    long = caption("Fragt nicht, was euer Land für euch tun kann " * 40)
    pieces = sent(long, translation("Ask not " * 300, final=False))
    bodies = [json.loads(piece) for piece in pieces]
    assert [(body["type"], len(body["text"])) for body in bodies] == [
        *(("caption", size) for size in (598, 599, 598, 5)),
        *(("translation", 600) for _ in range(4)),
    ]
    assert [body["seq"] for body in bodies] == list(range(1, 9))
    captions = bodies[:4]
    assert "".join(body["text"] for body in captions) == long.text
    for index, body in enumerate(captions):
        expected = long.model_copy(
            update={"text": body["text"], "part": index, "parts": 4, "seq": index + 1}
        )
        assert pieces[index] == encode(expected)


def test_a_text_is_cut_only_when_the_message_as_sent_would_pass_the_limit() -> None:
    """Measured as sent, `part`, `parts` and the widest `seq` included: 763 characters fit."""
    assert len(sent(caption("a" * 763))) == 1
    assert len(sent(caption("a" * 764))) == 2
