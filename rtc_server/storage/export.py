"""A stored transcript as a file: JSON, WebVTT, SubRip (SRT) or plain text.

Cue times are the speaker's audio origin (server wall clock) plus the caption's own start and
end, counted from the earliest caption of the room, so several speakers share one timeline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from rtc_server.storage.store import StoredCaption


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    speaker: str
    text: str


@dataclass(frozen=True)
class Format:
    content_type: str
    render: Callable[[str, list[StoredCaption], str | None], str]


def cues(captions: list[StoredCaption], language: str | None) -> list[Cue]:
    """Captions in the order they were spoken, in `language` where a translation exists. A
    sentence translated as one (its translation `covers` several captions) is one cue."""
    starts = {c.body["id"]: _at(c, "start") for c in captions}
    covers = {
        c.body["id"]: list(c.translations[language].get("covers") or [c.body["id"]])
        for c in captions
        if language in c.translations
    }
    covered = {caption_id for ids in covers.values() for caption_id in ids[:-1]}
    timed = [
        (starts.get(covers.get(c.body["id"], [""])[0], starts[c.body["id"]]), _at(c, "end"), c)
        for c in captions
        if c.body["id"] not in covered
    ]
    first = min((start for start, _, _ in timed), default=0)
    return [
        Cue(start - first, max(start, end) - first, c.body["speaker"]["name"], _text(c, language))
        for start, end, c in sorted(timed, key=lambda item: item[0])
    ]


def to_json(room: str, captions: list[StoredCaption], language: str | None) -> str:
    """Everything kept, every translation included (`language` does not apply)."""
    return json.dumps(
        {
            "room": room,
            "captions": [
                {
                    **c.body,
                    "recorded_at": c.recorded_at,
                    "translations": {lang: t["text"] for lang, t in c.translations.items()},
                }
                for c in captions
            ],
        },
        ensure_ascii=False,
    )


def to_vtt(room: str, captions: list[StoredCaption], language: str | None) -> str:
    blocks = [
        f"{index}\n{_clock(cue.start_ms, '.')} --> {_clock(cue.end_ms, '.')}\n"
        f"<v {_vtt_escape(cue.speaker)}>{_vtt_escape(cue.text)}"
        for index, cue in enumerate(cues(captions, language), 1)
    ]
    return "\n\n".join(["WEBVTT", *blocks]) + "\n"


def to_srt(room: str, captions: list[StoredCaption], language: str | None) -> str:
    return "".join(
        f"{index}\n{_clock(cue.start_ms, ',')} --> {_clock(cue.end_ms, ',')}\n"
        f"{cue.speaker}: {cue.text}\n\n"
        for index, cue in enumerate(cues(captions, language), 1)
    )


def to_txt(room: str, captions: list[StoredCaption], language: str | None) -> str:
    return "".join(
        f"[{_clock(cue.start_ms, '')[:8]}] {cue.speaker}: {cue.text}\n"
        for cue in cues(captions, language)
    )


FORMATS = {
    "json": Format("application/json", to_json),
    "vtt": Format("text/vtt", to_vtt),
    "srt": Format("application/x-subrip", to_srt),
    "txt": Format("text/plain", to_txt),
}


def file_name(room: str, format_name: str) -> str:
    return f"{re.sub(r'[^A-Za-z0-9_-]', '_', room)}-transcript.{format_name}"


def _at(caption: StoredCaption, edge: str) -> int:
    body = caption.body
    return int(body.get("origin") or 0) + round(float(body[edge]) * 1000)


def _text(caption: StoredCaption, language: str | None) -> str:
    translation = caption.translations.get(language or "")
    text = translation["text"] if translation is not None else caption.body["text"]
    return " ".join(str(text).split())  # a line break would end the cue


def _clock(ms: int, separator: str) -> str:
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
