"""What the languages benchmark judges in final captions: pure functions, no I/O.

Error rates are word error rates, except for languages written without spaces between words
(or with spaces that Whisper places differently, as in Korean): there the character error rate,
with spaces and punctuation removed, is the fairer yardstick.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import jiwer

from bench.scoring import Span
from rtc_server.asr.language_id import scripts_of
from tests.support.transcripts import normalized_wer

CHARACTER_LANGUAGES = frozenset({"ko", "ja", "zh"})
# The scripts the benchmark's languages are written in, by the first word of Unicode character
# names; languages not listed are written in Latin letters.
SCRIPTS: dict[str, frozenset[str]] = {
    "ko": frozenset({"HANGUL"}),
    "ja": frozenset({"CJK", "HIRAGANA", "KATAKANA"}),
    "zh": frozenset({"CJK"}),
}
FRAGMENT_WORDS = 3  # a final with fewer words than this is a fragment


def _letters_only(text: str) -> str:
    return "".join(
        c for c in text.lower() if not c.isspace() and not unicodedata.category(c).startswith("P")
    )


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Character error rate, ignoring case, spaces and punctuation."""
    return float(jiwer.cer(_letters_only(reference), _letters_only(hypothesis)))


def error_rate(languages: Sequence[str], reference: str, hypothesis: str) -> tuple[str, float]:
    """("cer", rate) when any of `languages` is written without word spaces, else ("wer", rate)."""
    if CHARACTER_LANGUAGES.intersection(languages):
        return "cer", character_error_rate(reference, hypothesis)
    return "wer", normalized_wer(reference, hypothesis)


def script_mismatch(text: str, language: str) -> bool:
    """Whether `text` is not written the way `language` is: letters of a foreign script (kana in
    German), or, for a language with a script of its own, none of its letters at all (Latin-only
    text for Korean). Latin letters among a language's own (acronyms, names) are accepted."""
    own = SCRIPTS.get(language, frozenset({"LATIN"}))
    found = scripts_of(text)
    return bool(found - own - {"LATIN"}) or bool(found and not found & own)


def fragment_rate(texts: Sequence[str]) -> float | None:
    """Share of finals under `FRAGMENT_WORDS` words; None without finals."""
    if not texts:
        return None
    return sum(len(t.split()) < FRAGMENT_WORDS for t in texts) / len(texts)


def spoken_language(caption: Span, parts: Sequence[tuple[Span, str]]) -> str:
    """The language spoken in the part of the audio a caption overlaps most."""
    return max(parts, key=lambda part: caption.overlap(part[0]))[1]
