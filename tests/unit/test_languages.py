"""Language codes: normalized, mapped to and from Whisper's, named."""

from __future__ import annotations

import pytest

from rtc_server.languages import display_name, from_whisper, normalize_language, to_whisper


@pytest.mark.parametrize(
    ("code", "expected"),
    [("pt-BR", "pt"), ("zh_Hans_CN", "zh"), ("EN", "en"), ("iw", "he"), ("nb", "no"), ("jv", "jv")],
)
def test_language_codes_are_normalized(code: str, expected: str) -> None:
    assert normalize_language(code) == expected


def test_whisper_codes_map_both_ways_and_have_names() -> None:
    assert to_whisper("jv") == "jw" and from_whisper("jw") == "jv"
    assert display_name("de") == "German" and display_name("yue") == "Cantonese"
    with pytest.raises(ValueError, match="unknown language"):
        normalize_language("xx-YY")
