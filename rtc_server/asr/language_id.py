"""Which language a speaker on "auto" is speaking: decided on enough audio, kept with hysteresis.

Whisper's language detection is unreliable on the first second of an utterance (espeak-ng
German at 1.0 s: English 0.37, Chinese 0.24, German 0.22; at 3 s: German 0.90), and a decode
forced into the wrong language comes out as made-up text or a translation. So:

- detection is restricted to the languages the room can expect (`candidates`),
- a language counts as decided only on `DECIDE_AFTER_S` of audio,
- once a speaker's language is known it is kept, and another replaces it only when detection
  is confident over a whole stretch of speech (`SWITCH_PROBABILITY`),
- text in a script the language does not use (kana for German) is rejected.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass

DECIDE_AFTER_S = 2.0  # audio before a detection may decide or change a speaker's language
FIRST_PROBABILITY = 0.5  # a speaker's first language: the likeliest candidate, at least this
SWITCH_PROBABILITY = 0.6  # a known language gives way only to one at least this likely

# Scripts each language is written in, by the first word of Unicode character names. Latin
# letters are accepted in every language (names, acronyms, borrowed terms); unlisted languages
# are written in Latin letters.
SCRIPTS: dict[str, frozenset[str]] = {
    "ja": frozenset({"CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "FULLWIDTH"}),
    "zh": frozenset({"CJK", "FULLWIDTH"}),
    "yue": frozenset({"CJK", "FULLWIDTH"}),
    "ko": frozenset({"HANGUL", "CJK", "FULLWIDTH"}),
    **{
        code: frozenset({"CYRILLIC"})
        for code in ("ru", "uk", "be", "bg", "mk", "sr", "kk", "mn", "tg", "tt", "ba")
    },
    **{code: frozenset({"ARABIC"}) for code in ("ar", "fa", "ur", "ps", "sd")},
    **{code: frozenset({"HEBREW"}) for code in ("he", "yi")},
    **{code: frozenset({"DEVANAGARI"}) for code in ("hi", "mr", "ne", "sa")},
    "el": frozenset({"GREEK"}),
    "th": frozenset({"THAI"}),
    "bn": frozenset({"BENGALI"}),
    "as": frozenset({"BENGALI"}),
    "gu": frozenset({"GUJARATI"}),
    "pa": frozenset({"GURMUKHI"}),
    "ta": frozenset({"TAMIL"}),
    "te": frozenset({"TELUGU"}),
    "kn": frozenset({"KANNADA"}),
    "ml": frozenset({"MALAYALAM"}),
    "si": frozenset({"SINHALA"}),
    "my": frozenset({"MYANMAR"}),
    "km": frozenset({"KHMER"}),
    "lo": frozenset({"LAO"}),
    "ka": frozenset({"GEORGIAN"}),
    "hy": frozenset({"ARMENIAN"}),
    "am": frozenset({"ETHIOPIC"}),
    "bo": frozenset({"TIBETAN"}),
}


@dataclass(frozen=True)
class LanguageChoice:
    language: str
    decided: bool  # on enough evidence to be the speaker's language from now on


def restrict(
    probabilities: Iterable[tuple[str, float]], candidates: Collection[str]
) -> list[tuple[str, float]]:
    """Detection results over the candidates only (all when there are none), renormalized,
    likeliest first."""
    kept = [(code, p) for code, p in probabilities if not candidates or code in candidates]
    total = sum(p for _, p in kept)
    if not kept or total <= 0:
        return []
    return sorted(((code, p / total) for code, p in kept), key=lambda item: -item[1])


def choose_language(
    ranked: list[tuple[str, float]], current: str | None, audio_s: float
) -> LanguageChoice:
    """The language to decode `audio_s` of speech in, given detection over the candidates
    (`restrict`) and the speaker's language so far (`current`, None: not known yet)."""
    enough_audio = audio_s >= DECIDE_AFTER_S
    if not ranked:
        return LanguageChoice(current or "en", current is not None)
    best, probability = ranked[0]
    if current is None:
        return LanguageChoice(best, enough_audio and probability >= FIRST_PROBABILITY)
    if best != current and enough_audio and probability >= SWITCH_PROBABILITY:
        return LanguageChoice(best, True)
    # Kept: decided once there is enough audio to have switched, had it been another language.
    return LanguageChoice(current, enough_audio)


def scripts_of(text: str) -> set[str]:
    """The scripts of the letters in `text`, by the first word of their Unicode names."""
    names = (unicodedata.name(c, "") for c in text if c.isalpha())
    return {name.split(" ", 1)[0] for name in names if name}


def script_fits(text: str, language: str) -> bool:
    """Whether every letter of `text` is in a script `language` is written in (or Latin)."""
    return scripts_of(text) <= SCRIPTS.get(language, frozenset()) | {"LATIN"}
