"""docs/protocol.schema.json: generated from the models, checked in, and true to the wire."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from rtc_server.signaling.caption_messages import Caption, Translation
from rtc_server.signaling.messages import Speaker
from rtc_server.signaling.schema import SCHEMA_PATH, protocol_schema, render
from rtc_server.signaling.server_messages import ErrorMessage, Notice, encode

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
UNIONS = ("ClientMessage", "ServerMessage", "CaptionChannelMessage")


def test_checked_in_schema_is_generated_from_the_models() -> None:
    if (ROOT / SCHEMA_PATH).read_text(encoding="utf-8") != render():
        pytest.fail(
            f"{SCHEMA_PATH} differs from the models; regenerate it with "
            f"`.venv/bin/python -m rtc_server.signaling.schema {SCHEMA_PATH}`, "
            "then the web app's types with `npm run wire-types` in frontend/"
        )


@pytest.mark.skipif(
    not (FRONTEND / "node_modules" / "json-schema-to-typescript").is_dir()
    or shutil.which("node") is None,
    reason="needs node and frontend/node_modules (`make frontend-install`; `make test` does it)",
)
def test_web_app_wire_types_are_generated_from_the_schema() -> None:
    """wire.generated.ts follows the schema; protocol.ts then follows it or fails to build."""
    check = subprocess.run(
        ["node", "tools/wire-types.mjs", "--check"],
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr


@cache
def validator(union: str) -> Draft202012Validator:
    schema = protocol_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator({"$ref": f"#/$defs/{union}", "$defs": schema["$defs"]})


def union_of(kind: str) -> str:
    """Which direction and channel a message type belongs to."""
    defs = protocol_schema()["$defs"]
    (union,) = (u for u in UNIONS if kind in defs[u]["discriminator"]["mapping"])
    return union


def all_types() -> set[str]:
    defs = protocol_schema()["$defs"]
    return {kind for union in UNIONS for kind in defs[union]["discriminator"]["mapping"]}


def documented_examples() -> list[dict[str, Any]]:
    """The example messages in docs/protocol.md: a block per message, or one per line (an
    HTTP example, with its request line, is no message)."""
    text = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    examples: list[Any] = []
    for block in re.findall(r"```json\n(.*?)```", text, re.DOTALL):
        try:
            examples.append(json.loads(block))
        except ValueError:
            examples.extend(
                json.loads(line) for line in block.splitlines() if line.startswith('{"')
            )
    return [e for e in examples if isinstance(e, dict) and "v" in e and "type" in e]


def test_the_documented_examples_cover_every_message_type() -> None:
    assert {example["type"] for example in documented_examples()} == all_types()


@pytest.mark.parametrize("example", documented_examples(), ids=lambda example: example["type"])
def test_documented_example_is_valid(example: dict[str, Any]) -> None:
    validator(union_of(example["type"])).validate(example)


SPEAKER = Speaker(id="p-1", name="Ada")
CAPTION = Caption(
    id="p-1:1", speaker=SPEAKER, language="en", text="hi", final=True, start=0.5, end=1.0, origin=0
)
TRANSLATION = Translation(
    caption_id="p-1:2", speaker=SPEAKER, language="de", source_language="en", text="Hallo",
    final=True,
)  # fmt: skip


@pytest.mark.parametrize(
    "message",
    [
        ErrorMessage(code="connection_failed", message="m", cause="turn_refused"),
        Notice(code="captions_delayed", message="m", language=None, delay_s=2.5),
        CAPTION.model_copy(update={"seq": 7}),
        Caption(
            **{**CAPTION.model_dump(), "interrupted": True, "continued": True, "history": True}
        ),
        CAPTION.model_copy(update={"part": 1, "parts": 3, "seq": 9}),
        Translation(**{**TRANSLATION.model_dump(), "covers": ["p-1:1", "p-1:2"], "history": True}),
    ],
    ids=["error-cause", "notice-delay", "caption", "caption-flags", "caption-piece", "covers"],
)
def test_encoded_messages_with_every_optional_key_are_valid(message: Any) -> None:
    validator(union_of(message.type)).validate(json.loads(encode(message)))


SENT_CAPTION = json.loads(encode(CAPTION))


@pytest.mark.parametrize(
    ("union", "message"),
    [
        ("CaptionChannelMessage", {k: v for k, v in SENT_CAPTION.items() if k != "seq"}),
        ("CaptionChannelMessage", {**SENT_CAPTION, "interrupted": None}),
        ("CaptionChannelMessage", {**SENT_CAPTION, "type": "subtitle"}),
        ("ServerMessage", {"v": 1, "type": "error", "code": "c", "message": "m", "cause": None}),
        ("ServerMessage", {"v": 1, "type": "notice", "code": "c", "message": "m"}),
        ("ServerMessage", {"v": 2, "type": "pong"}),
        ("ServerMessage", {"v": 1, "type": "pong", "extra": 1}),
        ("ClientMessage", {"type": "ping"}),
        ("ClientMessage", {"v": 1, "type": "join", "room": "a b", "name": "n"}),
    ],
    ids=[
        "no-seq", "null-flag", "unknown-type", "null-cause", "notice-without-language",
        "version-2", "unknown-key", "client-without-version", "bad-room",
    ],
)  # fmt: skip
def test_what_the_wire_never_carries_is_invalid(union: str, message: dict[str, Any]) -> None:
    assert not validator(union).is_valid(message)
