"""The JSON Schema of every message on the wire, generated from the models.

    python -m rtc_server.signaling.schema docs/protocol.schema.json

writes it (to stdout without a path). Client messages are described as the server accepts
them (validation), server messages as it sends them (serialization).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, NoDefault
from pydantic_core import CoreSchema, core_schema

from rtc_server.signaling.caption_messages import CaptionChannelMessage
from rtc_server.signaling.messages import PROTOCOL_VERSION, ClientMessage
from rtc_server.signaling.server_messages import ServerMessage

SCHEMA_PATH = "docs/protocol.schema.json"
# Union name → how its messages are described, and what they are.
_UNIONS: dict[str, tuple[JsonSchemaMode, Any, str]] = {
    "ClientMessage": ("validation", ClientMessage, "Client → server, on the WebSocket."),
    "ServerMessage": ("serialization", ServerMessage, "Server → client, on the WebSocket."),
    "CaptionChannelMessage": (
        "serialization",
        CaptionChannelMessage,
        "Server → client, on the `captions` data channel (on the WebSocket when captions only).",
    ),
}


class _Generator(GenerateJsonSchema):
    def field_title_should_be_set(self, schema: CoreSchema | core_schema.ModelField) -> bool:
        # A property's name says it all; a title would also become a needless TypeScript type.
        return False

    def get_default_value(self, schema: core_schema.WithDefaultSchema) -> Any:
        # What the server sends always has the key: a default would only mislead.
        return NoDefault if self.mode == "serialization" else super().get_default_value(schema)


def protocol_schema() -> dict[str, Any]:
    """One document: every message type, in both directions, on both channels."""
    tops, definitions = TypeAdapter.json_schemas(
        [(name, mode, TypeAdapter(union)) for name, (mode, union, _) in _UNIONS.items()],
        ref_template="#/$defs/{model}",
        schema_generator=_Generator,
    )
    defs: dict[str, Any] = definitions["$defs"]
    for name, (mode, _, description) in _UNIONS.items():
        defs[name] = {"title": name, "description": description, **tops[(name, mode)]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Protocol",
        "description": f"Wire protocol version {PROTOCOL_VERSION} (docs/protocol.md). Generated "
        "by `python -m rtc_server.signaling.schema`; do not edit.",
        "anyOf": [{"$ref": f"#/$defs/{name}"} for name in _UNIONS],
        "$defs": dict(sorted(defs.items())),
    }


def render() -> str:
    return json.dumps(protocol_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        sys.exit(f"usage: python -m rtc_server.signaling.schema [{SCHEMA_PATH}]")
    if argv:
        with open(argv[0], "w", encoding="utf-8") as file:
            file.write(render())
    else:
        sys.stdout.write(render())


if __name__ == "__main__":
    main(sys.argv[1:])
