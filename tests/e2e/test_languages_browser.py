"""Caption languages in real Chromium: what a server cannot translate into is listed, disabled
and explained; switching the caption language translates what was said before.

Driven by `frontend/e2e/languages.e2e.mjs`; see there for the two scenarios.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import BROWSER_TEST_MARKS, JFK, run_browser_script, write_fake_microphone
from tests.support.servers import BackendProcess, FakeOpenAI, fake_translation, start_backend

pytestmark = BROWSER_TEST_MARKS

LANGUAGES = {"de": "German", "en": "English", "fr": "French", "ja": "Japanese"}
MACHINE_TRANSLATION = "Machine translation"


@pytest.fixture(scope="module")
def untranslating_server() -> Iterator[BackendProcess]:
    with start_backend({"RTC_TRANSLATOR": "none", "RTC_LANGUAGES": ",".join(LANGUAGES)}) as backend:
        yield backend


@pytest.fixture(scope="module")
def translating_server() -> Iterator[BackendProcess]:
    with (
        FakeOpenAI() as openai_server,
        start_backend(
            {
                "RTC_TRANSLATOR": "openai",
                "RTC_OPENAI_BASE_URL": openai_server.base_url,
                "RTC_OPENAI_API_KEY": "test",
                "RTC_LANGUAGES": ",".join(LANGUAGES),
            }
        ) as backend,
    ):
        yield backend


def check_select(seen: dict[str, Any]) -> None:
    """Every configured language listed after the originals, all disabled, the reason linked."""
    assert seen["options"][0]["value"] == "" and not seen["options"][0]["disabled"]
    expected = [
        {"value": code, "label": f"{name} (not available)", "disabled": True}
        for code, name in sorted(LANGUAGES.items(), key=lambda item: item[1])
    ]
    assert seen["options"][1:] == expected
    assert seen["reason_visible"]
    for words in ("RTC_TRANSLATOR=none", "RTC_OPENAI_API_KEY", "RTC_OPENAI_BASE_URL"):
        assert words in seen["reason"], seen["reason"]
    assert seen["reason"] in seen["description"]  # aria-describedby reaches it
    assert seen["unlabeled"] == []


def test_languages_the_server_cannot_translate_into_are_listed_disabled_and_explained(
    untranslating_server: BackendProcess,
) -> None:
    env = {"SCENARIO": "limits", "BASE_URL": untranslating_server.base_url, "ROOM": "limits"}
    result = run_browser_script("languages.e2e.mjs", env, timeout_s=120)

    check_select(result["join"])
    check_select(result["room"])
    assert result["room"]["why_expanded"] == "true"
    assert result["join"]["reason"] == result["room"]["reason"]
    assert result["console_errors"] == []


def test_switching_the_caption_language_translates_earlier_captions(
    translating_server: BackendProcess, tmp_path: Path
) -> None:
    wav = tmp_path / "jfk-48k.wav"
    write_fake_microphone(JFK, wav)
    env = {
        "SCENARIO": "history",
        "BASE_URL": translating_server.base_url,
        "FAKE_MIC_WAV": str(wav),
        "ROOM": "history",
        "SWITCH_TO": "de,fr",
        "TIMEOUT_S": "60",
    }
    result = run_browser_script("languages.e2e.mjs", env, timeout_s=300)

    spoken = result["spoken"]
    assert not spoken.get("timed_out") and spoken["lines"], spoken
    originals = [line["original"] for line in spoken["lines"]]
    assert all(line["translation"] is None for line in spoken["lines"]), spoken
    assert [step["language"] for step in result["switched"]] == ["de", "fr"]
    previous = None
    for step in result["switched"]:
        language = step["language"]
        if previous:  # the old language's translations are gone as soon as the choice changes
            stale = fake_translation(previous, "")
            shown = [line["translation"] or "" for line in step["at_once"]]
            assert not any(text.startswith(stale) for text in shown), step["at_once"]
        both = step["both"]
        assert not both.get("timed_out"), (
            f"earlier captions were not translated into {language} after the switch "
            f"(the server re-sends them): {both['lines']}"
        )
        assert [line["original"] for line in both["lines"]] == originals
        for line in both["lines"]:
            assert line["translation"] == fake_translation(language, line["original"]), line
            assert (line["badge"], line["badge_marked"]) == ("en", None), line
            assert line["translation_badge"] == language, line
            assert line["translation_marked"] == MACHINE_TRANSLATION, line
        for line in step["translation_only"]:
            assert line["original"] is None, line
            assert (line["badge"], line["badge_marked"]) == (language, MACHINE_TRANSLATION), line
        previous = language
    assert result["console_errors"] == []
