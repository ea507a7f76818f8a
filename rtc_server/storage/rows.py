"""Rows as every store keeps them: each body as it was sent, in JSON text (the exports and the
history replay give it back unchanged), and those rows back as `StoredCaption`s."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from typing import Any

from rtc_server.storage.store import StoredCaption


def caption_row(room: str, body: dict[str, Any], at: float | None) -> tuple[str, str, float, str]:
    """(room, id, recorded_at, body); `at` defaults to now."""
    return room, body["id"], time.time() if at is None else at, _dumps(body)


def translation_row(room: str, body: dict[str, Any]) -> tuple[str, str, str, str]:
    """(room, caption_id, language, body)."""
    return room, body["caption_id"], body["language"], _dumps(body)


def stored_captions(
    newest_first: Sequence[Sequence[Any]], translations: Iterable[Sequence[Any]]
) -> list[StoredCaption]:
    """Caption rows (id, recorded_at, body), newest first, with their translation rows
    (caption_id, language, body): the captions oldest first."""
    by_caption: dict[str, dict[str, dict[str, Any]]] = {}
    for caption_id, language, body in translations:
        by_caption.setdefault(caption_id, {})[language] = json.loads(body)
    return [
        StoredCaption(json.loads(body), recorded_at, by_caption.get(caption_id, {}))
        for caption_id, recorded_at, body in reversed(newest_first)
    ]


def _dumps(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False)
