"""The languages benchmark's yardsticks: error rates, scripts, fragments, spoken parts."""

from __future__ import annotations

import pytest

from bench.language_metrics import (
    character_error_rate,
    error_rate,
    fragment_rate,
    script_mismatch,
    spoken_language,
)
from bench.languages import Part, Sample
from bench.paragraphs import synthesize
from bench.scoring import Span
from tests.support.client import RATE, silence


def test_character_error_rate_ignores_spaces_case_and_punctuation() -> None:
    reference = "오늘 아침에는 날씨가 맑았습니다."
    assert character_error_rate(reference, "오늘아침에는 날씨가맑았습니다") == 0.0
    wrong_ending = "오늘 아침에는 날씨가 맑았습니까"  # one syllable of 14
    assert character_error_rate(reference, wrong_ending) == pytest.approx(1 / 14)
    assert character_error_rate("Guten Tag!", "guten tag") == 0.0


def test_error_rate_is_by_characters_only_for_languages_without_word_spaces() -> None:
    assert error_rate(["ko"], "날씨가 맑다", "날씨가맑다") == ("cer", 0.0)
    assert error_rate(["de"], "Guten Tag, Anna", "guten Tag Anna") == ("wer", 0.0)
    metric, rate = error_rate(["de", "en"], "guten tag good day", "guten tag good")
    assert (metric, rate) == ("wer", pytest.approx(0.25))


@pytest.mark.parametrize(
    ("text", "language", "mismatch"),
    [
        ("Am Abend waren alle müde.", "de", False),
        ("Am Abend ご視聴ありがとうございました", "de", True),  # kana and kanji in German
        ("Am Abend 날씨", "de", True),
        ("Привет", "fr", True),
        ("날씨가 맑아서 AI 공원까지", "ko", False),  # an acronym among Hangul
        ("The weather was nice", "ko", True),  # Latin only, for Korean speech
        ("날씨가 ご視聴", "ko", True),
        ("... 123", "ko", False),  # no letters: nothing to judge
    ],
)
def test_script_mismatch(text: str, language: str, mismatch: bool) -> None:
    assert script_mismatch(text, language) is mismatch


def test_fragment_rate_counts_finals_under_three_words() -> None:
    assert fragment_rate(["Am Abend waren alle müde.", "Ja.", "Im Herbst", "so ist es"]) == 0.5
    assert fragment_rate([]) is None


def test_a_caption_belongs_to_the_language_it_overlaps_most() -> None:
    parts = [(Span(0.0, 10.0), "de"), (Span(10.0, 20.0), "en")]
    assert spoken_language(Span(2.0, 11.0), parts) == "de"
    assert spoken_language(Span(8.0, 15.0), parts) == "en"


def test_a_sample_joins_its_parts_and_knows_where_each_language_is() -> None:
    one_second, two_seconds = silence(1.0), silence(2.0)
    sample = Sample(
        "x", (Part("de", one_second, "eins"), Part("en", two_seconds, "two")), 0.5, True
    )
    recording, spoken = sample.recording(endpoint_pause_s=0.6)
    assert recording.audio.size == pytest.approx(3.5 * RATE)
    assert recording.reference == "eins two"
    assert recording.utterances == []  # silence has no speech
    assert spoken == [(Span(0.0, 1.0), "de"), (Span(1.5, 3.5), "en")]
    assert sample.languages == ["de", "en"]


def test_espeak_reads_a_paragraph_in_one_go() -> None:
    audio = synthesize("de")
    assert 15 <= audio.size / RATE <= 25
