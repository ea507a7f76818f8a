"""Captions and translations as the transcript store keeps them, and back.

The store keeps each as the JSON body of its message without what only the wire needs, in
the message's key order: transcripts written earlier stay readable, and the export renders
the bodies as they are. This is the one place where models become stored bodies and back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from pydantic import ValidationError

from rtc_server.signaling.caption_messages import Caption, Translation
from rtc_server.storage.store import StoredCaption

log = logging.getLogger(__name__)

_WIRE_ONLY = {"v", "type", "seq", "part", "parts", "history"}
M = TypeVar("M", Caption, Translation)


def stored_body(message: Caption | Translation) -> dict[str, Any]:
    return message.model_dump(mode="json", exclude=_WIRE_ONLY)


def restored(
    room: str, history: Iterable[StoredCaption]
) -> Iterator[tuple[Caption, dict[str, Translation]]]:
    """Each stored caption with its translations by language. What is no longer a valid
    message is left out with a warning: a translation, or a caption and all of its own."""
    for stored in history:
        # Captions kept before they carried `origin` have none: 0 says it is unknown.
        caption = _validated(room, Caption, {"origin": 0, **stored.body})
        if caption is None:
            continue
        translations = {
            language: translation
            for language, body in stored.translations.items()
            if (translation := _validated(room, Translation, body)) is not None
        }
        yield caption, translations


def _validated(room: str, model: type[M], body: dict[str, Any]) -> M | None:
    try:
        return model.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        log.warning(
            "room %s: stored %s %s skipped, no longer a valid message (%s: %s)",
            room,
            model.__name__.lower(),
            body.get("id", body.get("caption_id")),
            where,
            first["msg"],
        )
        return None
