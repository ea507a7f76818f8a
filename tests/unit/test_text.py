"""Guards on the recognizer's text: decoding loops, joined chunks, low-confidence output."""

from __future__ import annotations

import pytest

from rtc_server.asr.text import (
    agreed_prefix,
    collapse_repeats,
    is_low_confidence,
    normalize_word,
    overlap_length,
    strip_repeated_start,
)


def test_decoding_loops_are_cut_and_real_repetition_kept() -> None:
    def words(text: str) -> str:
        return " ".join(collapse_repeats(text.split(), key=normalize_word))

    assert words("thank you thank you thank you thank you so much") == "thank you thank you so much"
    assert words("no no no no no") == "no no"
    assert words("ask not what your country can do for you ask what you can do") == (
        "ask not what your country can do for you ask what you can do"
    )


def test_chunk_joins_and_agreement() -> None:
    assert overlap_length(["for", "your", "country"], ["country", "and", "more"]) == 1
    assert overlap_length(["a", "b"], ["c"]) == 0
    assert strip_repeated_start("ask what you can do for", "for your country.") == "your country."
    assert strip_repeated_start("That is distant.", "Is distant, they said.") == "they said."
    # The same sentence again is said again, not an overlap.
    assert strip_repeated_start("It is far.", "It is far.") == "It is far."
    assert agreed_prefix(["and", "so", "my"], ["and", "so", "me", "fellow"]) == 2


@pytest.mark.parametrize(
    ("logprob", "no_speech", "text", "dropped"),
    [
        (-0.2, 0.1, "And so my fellow Americans.", False),
        (-1.2, 0.8, "Some words.", True),  # Whisper's own silence rule
        (-2.5, 0.0, "Garbled.", True),
        (-0.7, 0.4, "Thank you.", True),  # the classic silence phrase, unsure
        (-0.1, 0.05, "Thank you.", False),  # said clearly
    ],
)
def test_low_confidence_output_is_dropped(
    logprob: float, no_speech: float, text: str, dropped: bool
) -> None:
    assert is_low_confidence(logprob, no_speech, text) is dropped
