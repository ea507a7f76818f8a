"""The typed wire models give the same JSON text as the builders the call sites use today:
`server_message` for the WebSocket, dicts through `CaptionChannel` for the data channel."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rtc_server.signaling.caption_messages import (
    Caption,
    CaptionWithdrawn,
    ChannelMessage,
    Speech,
    Translation,
)
from rtc_server.signaling.messages import (
    ParticipantInfo,
    Speaker,
    error_message,
    server_message,
)
from rtc_server.signaling.server_messages import (
    Answer,
    AudioTrack,
    AudioTracks,
    CaptionLanguage,
    ErrorMessage,
    IceServer,
    Joined,
    Left,
    Notice,
    OutgoingMessage,
    ParticipantJoined,
    ParticipantLeft,
    Participants,
    Pong,
    TranslationCapability,
    encode,
)
from rtc_server.webrtc.caption_channel import CaptionChannel

ADA = ParticipantInfo(id="p-3f9a1c", name="Ada Lovelace", language="auto", caption_language="de")
ZOE = ParticipantInfo(id="p-77b2e0", name="Zoë 李", language="zh", caption_language=None)
SPEAKER = Speaker(id=ZOE.id, name=ZOE.name)
TEXT = "Fragt nicht, was euer Land für euch tun kann: «ça va» 你好"


# Signaling: server_message(kind, **fields) against encode(Model(...)).

SIGNALING = [
    pytest.param(
        server_message(
            "joined",
            participant_id=ADA.id,
            room="standup",
            ice_servers=[
                {"urls": ["stun:stun.example.com:3478"]},
                {
                    "urls": ["turn:turn.example.com:3478?transport=udp"],
                    "username": "1767225600:standup:p-3f9a1c",
                    "credential": "mR4+/=",
                },
            ],
            ice_transport_policy="relay",
            translation={"backend": "openai", "targets": ["*"]},
            participants=[ADA, ZOE],
            resume_token="Jd8-_x",
            resumed=True,
            audio_slots=3,
        ),
        Joined(
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
        ),
        id="joined",
    ),
    pytest.param(
        server_message(
            "joined",
            participant_id=ZOE.id,
            room="r",
            ice_servers=[],
            ice_transport_policy="all",
            translation={"backend": "none", "targets": []},
            participants=[ZOE],
            resume_token="t",
            resumed=False,
            audio_slots=0,
        ),
        Joined(
            participant_id=ZOE.id,
            room="r",
            ice_servers=[],
            ice_transport_policy="all",
            translation=TranslationCapability(backend="none", targets=[]),
            participants=[ZOE],
            resume_token="t",
            resumed=False,
            audio_slots=0,
        ),
        id="joined-no-ice-servers",
    ),
    pytest.param(
        server_message("answer", sdp="v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"),
        Answer(sdp="v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"),
        id="answer",
    ),
    pytest.param(
        server_message("audio_tracks", tracks=[{"mid": "1", "participant_id": ZOE.id}]),
        AudioTracks(tracks=[AudioTrack(mid="1", participant_id=ZOE.id)]),
        id="audio_tracks",
    ),
    pytest.param(server_message("audio_tracks", tracks=[]), AudioTracks(tracks=[]), id="no-tracks"),
    pytest.param(
        server_message("participants", participants=[ADA, ZOE]),
        Participants(participants=[ADA, ZOE]),
        id="participants",
    ),
    pytest.param(
        server_message("participant_joined", participant=ZOE),
        ParticipantJoined(participant=ZOE),
        id="participant_joined",
    ),
    *(
        pytest.param(
            server_message("participant_left", participant=ADA, reason=reason),
            ParticipantLeft(participant=ADA, reason=reason),
            id=f"participant_left-{reason}",
        )
        for reason in ("left", "disconnected", "failed", "connection_lost", "shutdown")
    ),
    pytest.param(
        server_message("caption_language", language="fr"),
        CaptionLanguage(language="fr"),
        id="caption_language",
    ),
    pytest.param(
        server_message("caption_language", language=None),
        CaptionLanguage(language=None),
        id="caption_language-none",
    ),
    pytest.param(
        server_message("notice", code="translation_unavailable", message=TEXT, language="fr"),
        Notice(code="translation_unavailable", message=TEXT, language="fr"),
        id="notice",
    ),
    pytest.param(
        server_message("notice", code="server_shutdown", message="Reconnect.", language=None),
        Notice(code="server_shutdown", message="Reconnect.", language=None),
        id="notice-language-null",
    ),
    pytest.param(
        server_message(
            "notice", code="captions_delayed", message="late", language=None, delay_s=round(3.14, 1)
        ),
        Notice(code="captions_delayed", message="late", language=None, delay_s=round(3.14, 1)),
        id="notice-delay",
    ),
    pytest.param(
        error_message("bad_message", "join.room: String should match pattern"),
        ErrorMessage(code="bad_message", message="join.room: String should match pattern"),
        id="error",
    ),
    pytest.param(
        server_message("error", code="connection_failed", message="no TURN", cause="turn_refused"),
        ErrorMessage(code="connection_failed", message="no TURN", cause="turn_refused"),
        id="error-cause",
    ),
    pytest.param(server_message("left"), Left(), id="left"),
    pytest.param(server_message("pong"), Pong(), id="pong"),
]


@pytest.mark.parametrize(("old", "new"), SIGNALING)
def test_signaling_message_is_the_same_text(old: str, new: OutgoingMessage) -> None:
    assert encode(new) == old


def test_omitted_keys_are_absent_not_null() -> None:
    assert "cause" not in json.loads(encode(ErrorMessage(code="internal", message="m")))
    assert "delay_s" not in json.loads(encode(Notice(code="c", message="m", language=None)))
    assert json.loads(encode(Left())) == {"v": 1, "type": "left"}


# Data channel: dicts through CaptionChannel.send against encode(Model(...)) numbered.


class _Recorder:
    """The data channel, keeping the exact text sent."""

    readyState = "open"
    bufferedAmount = 0

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, data: str) -> None:
        self.sent.append(data)


def sent_today(kind: str, body: dict[str, Any]) -> list[str]:
    recorder = _Recorder()
    channel = CaptionChannel()
    channel.attach(recorder)
    channel.send(kind, body)
    return recorder.sent


def numbered(message: ChannelMessage) -> str:
    return encode(message.model_copy(update={"seq": 1}))


def caption_body(**extra: Any) -> dict[str, Any]:
    """As rooms build a caption: optional keys appended only when set."""
    body = {
        "id": "p-77b2e0:7",
        "speaker": SPEAKER.model_dump(),
        "language": "de",
        "text": TEXT,
        "final": True,
        "start": round(3.123, 2),
        "end": round(6.4, 2),
        "origin": 1767225600123,
    }
    return {**body, **extra}


def caption(**fields: Any) -> Caption:
    base: dict[str, Any] = {
        "id": "p-77b2e0:7",
        "speaker": SPEAKER,
        "language": "de",
        "text": TEXT,
        "final": True,
        "start": round(3.123, 2),
        "end": round(6.4, 2),
        "origin": 1767225600123,
    }
    return Caption(**{**base, **fields})


def translation_base(**extra: Any) -> dict[str, Any]:
    """As rooms build a translation: the keys before its text."""
    body = {
        "caption_id": "p-77b2e0:8",
        "speaker": SPEAKER.model_dump(),
        "language": "en",
        "source_language": "de",
    }
    return {**body, **extra}


def translation(**fields: Any) -> Translation:
    base: dict[str, Any] = {
        "caption_id": "p-77b2e0:8",
        "speaker": SPEAKER,
        "language": "en",
        "source_language": "de",
        "text": "Ask not",
        "final": True,
    }
    return Translation(**{**base, **fields})


CHANNEL = [
    pytest.param(caption_body(final=False), caption(final=False), id="caption-partial"),
    pytest.param(caption_body(), caption(), id="caption-final"),
    pytest.param(
        caption_body(interrupted=True), caption(interrupted=True), id="caption-interrupted"
    ),
    pytest.param(caption_body(continued=True), caption(continued=True), id="caption-continued"),
    pytest.param(
        caption_body(interrupted=True, continued=True),
        caption(interrupted=True, continued=True),
        id="caption-interrupted-continued",
    ),
    pytest.param(  # replayed history: {**stored body, "history": True}
        {**caption_body(continued=True), "history": True},
        caption(continued=True, history=True),
        id="caption-history",
    ),
    pytest.param(
        {**translation_base(), "text": "Ask not", "final": False},
        translation(final=False),
        id="translation-streaming",
    ),
    pytest.param(
        {**translation_base(), "text": "Ask not", "final": True},
        translation(),
        id="translation",
    ),
    pytest.param(
        {**translation_base(covers=["p-77b2e0:7", "p-77b2e0:8"]), "text": "Ask", "final": True},
        translation(text="Ask", covers=["p-77b2e0:7", "p-77b2e0:8"]),
        id="translation-covers",
    ),
    pytest.param(  # a kept translation replayed: {**kept, "history": True}
        {
            **translation_base(covers=["p-77b2e0:7", "p-77b2e0:8"]),
            "text": "Ask not",
            "final": True,
            "history": True,
        },
        translation(covers=["p-77b2e0:7", "p-77b2e0:8"], history=True),
        id="translation-history",
    ),
]


@pytest.mark.parametrize(("body", "model"), CHANNEL)
def test_caption_channel_message_is_the_same_text(
    body: dict[str, Any], model: Caption | Translation
) -> None:
    assert [numbered(model)] == sent_today(model.type, body)


def test_withdrawal_and_speech_are_the_same_text() -> None:
    assert sent_today("caption_withdrawn", {"id": "p-77b2e0:9"}) == [
        numbered(CaptionWithdrawn(id="p-77b2e0:9"))
    ]
    for speaking in (True, False):
        old = sent_today("speech", {"speaker": SPEAKER.model_dump(), "speaking": speaking})
        assert old == [numbered(Speech(speaker=SPEAKER, speaking=speaking))]


def test_translation_made_for_history_differs_only_in_key_order() -> None:
    """A history translation made on request puts `history` before `text`, a kept one after
    `final`; the model sends the latter order for both, which JSON readers cannot tell apart."""
    body = {**translation_base(history=True), "text": "Ask not", "final": True}
    old = sent_today("translation", body)
    new = numbered(translation(history=True))
    assert [json.loads(new)] == [json.loads(text) for text in old]


@pytest.mark.parametrize(
    ("kind", "body", "model"),
    [
        ("caption", caption_body(text=TEXT * 40), caption(text=TEXT * 40)),
        (
            "translation",
            {**translation_base(), "text": "Ask not " * 300, "final": False},
            translation(text="Ask not " * 300, final=False),
        ),
    ],
    ids=["caption", "translation"],
)
def test_split_pieces_are_the_same_text(
    kind: str, body: dict[str, Any], model: Caption | Translation
) -> None:
    """Every piece repeats every field, with its piece of the text, `part`, `parts`, `seq`."""
    old = sent_today(kind, body)
    pieces = [json.loads(text)["text"] for text in old]
    assert len(old) > 1 and "".join(pieces) == model.text
    new = [
        encode(model.model_copy(update={"text": p, "part": i, "parts": len(old), "seq": i + 1}))
        for i, p in enumerate(pieces)
    ]
    assert new == old
