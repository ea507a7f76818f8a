"""Text guards against Whisper's known failure modes on live audio."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

# Phrases Whisper produces from silence or noise; kept only when the model is confident.
HALLUCINATIONS = frozenset(
    {
        "thank you",
        "thanks for watching",
        "thank you for watching",
        "please subscribe",
        "you",
        "bye",
        "so",
    }
)
MIN_AVG_LOGPROB = -1.0
NO_SPEECH_PROB = 0.6
REPEATS_KEPT = 2  # an n-gram said three or more times in a row is a decoding loop
MAX_NGRAM = 8

_PUNCTUATION = re.compile(r"[^\w']+", re.UNICODE)


def normalize_word(word: str) -> str:
    return _PUNCTUATION.sub("", word).lower()


def normalize_text(text: str) -> str:
    return " ".join(w for w in (normalize_word(part) for part in text.split()) if w)


def split_words(text: str) -> list[str]:
    """Split keeping each word's leading space, so joining restores the original spacing."""
    return re.findall(r"\s*\S+", text)


def join_words(words: Sequence[str]) -> str:
    return "".join(words).strip()


def is_low_confidence(avg_logprob: float, no_speech_prob: float, text: str) -> bool:
    """Whisper's own rule (silence if no-speech is likely and the text unlikely), plus known
    silence phrases that need a confident decode to be believed."""
    if no_speech_prob > NO_SPEECH_PROB and avg_logprob < MIN_AVG_LOGPROB:
        return True
    if avg_logprob < 2 * MIN_AVG_LOGPROB:
        return True
    return normalize_text(text) in HALLUCINATIONS and (
        avg_logprob < MIN_AVG_LOGPROB / 2 or no_speech_prob > NO_SPEECH_PROB / 2
    )


def collapse_repeats(items: Sequence[T], key: Callable[[T], str]) -> list[T]:
    """Cut decoding loops: an n-gram repeated more than REPEATS_KEPT times in a row is kept
    REPEATS_KEPT times ("we we we we" → "we we"), the longest loops first."""
    result = list(items)
    for size in range(MAX_NGRAM, 0, -1):
        index = 0
        while index + size * (REPEATS_KEPT + 1) <= len(result):
            gram = [key(item) for item in result[index : index + size]]
            repeats = 1
            while [
                key(item) for item in result[index + repeats * size : index + (repeats + 1) * size]
            ] == gram:
                repeats += 1
            if repeats > REPEATS_KEPT:
                del result[index + REPEATS_KEPT * size : index + repeats * size]
            index += 1
    return result


def overlap_length(previous: Sequence[str], following: Sequence[str], longest: int = 6) -> int:
    """How many leading words of `following` repeat the trailing words of `previous`
    (the duplicate a chunk join produces when both chunks heard the same word)."""
    for size in range(min(longest, len(previous), len(following)), 0, -1):
        if list(previous[-size:]) == list(following[:size]):
            return size
    return 0


def strip_repeated_start(previous_text: str, text: str) -> str:
    """Remove the word or two at the start of `text` that only repeat the end of the previous
    final: the audio both heard (a commit's cut, the pre-roll reaching into the last word).
    A whole utterance that repeats them was said again, not heard twice, and is kept."""
    previous = [normalize_word(w) for w in previous_text.split()]
    words = split_words(text)
    repeated = overlap_length(previous, [normalize_word(w) for w in words], longest=2)
    if repeated >= len(words):
        return text
    return join_words(words[repeated:])


def agreed_prefix(first: Sequence[str], second: Sequence[str]) -> int:
    """Length of the common prefix of two successive hypotheses (LocalAgreement-2)."""
    count = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        count += 1
    return count
