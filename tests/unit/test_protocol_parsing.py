"""Messages that once got `internal` or the wrong code from the parser (found by fuzzing)."""

from __future__ import annotations

import json

import pytest

from rtc_server.signaling.messages import (
    MAX_SIGNALING_MESSAGE_BYTES,
    ProtocolError,
    parse_client_message,
)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ('{"v": 1, "type": []}', "unknown_type"),  # unhashable: was a TypeError
        ('{"v": 1, "type": {"join": 1}}', "unknown_type"),
        ("[" * 5000 + "]" * 5000, "bad_json"),  # was a RecursionError
        (
            '{"v": 1, "type": "join", "room": ' + "[" * 5000 + "]" * 5000 + ', "name": "n"}',
            "bad_json",
        ),
        # The limit is in bytes: 40,000 two-byte characters are over it.
        (
            json.dumps({"v": 1, "type": "ping", "pad": "é" * 40_000}, ensure_ascii=False),
            "too_large",
        ),
        ('{"v": 1, "type": "join", "room": "r", "name": "\\ud800"}', "bad_message"),
        ('{"v": 1, "type": "ice_failed", "cause": "unplugged"}', "bad_message"),
        (
            '{"v": 1, "type": "ice_failed", "cause": "no_candidates", "detail": "'
            + "x" * 600
            + '"}',
            "bad_message",
        ),
    ],
)
def test_bad_message_gets_its_code(raw: str, code: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse_client_message(raw)
    assert refused.value.code == code
    assert refused.value.message


def test_a_message_at_the_limit_is_read() -> None:
    ping = json.dumps({"v": 1, "type": "ping"})
    assert (
        parse_client_message(ping + " " * (MAX_SIGNALING_MESSAGE_BYTES - len(ping))).type == "ping"
    )


@pytest.mark.parametrize("version", ["", ', "v": true', ', "v": 1.0', ', "v": "1"', ', "v": 2'])
def test_the_version_must_be_the_integer_one(version: str) -> None:
    with pytest.raises(ProtocolError) as error:
        parse_client_message('{"type": "ping"' + version + "}")
    assert error.value.code == "unsupported_version"


def test_a_browsers_ice_failure_is_read() -> None:
    raw = '{"v": 1, "type": "ice_failed", "cause": "turn_refused", "detail": "turn:t:3478 401"}'
    message = parse_client_message(raw)
    assert message.type == "ice_failed"
    assert (message.cause, message.detail) == ("turn_refused", "turn:t:3478 401")
