"""Accessibility of the web app in real Chromium: axe-core finds no serious or critical
violations on the join screen, in a room with live captions and after leaving, in both themes,
at desktop and phone size, in English and Korean; nothing is cut off, phone touch targets are
44 px, the focus ring shows, toasts leave the Leave button free, and a reload rejoins.

Driven by `frontend/e2e/accessibility.e2e.mjs`; see there for what each check measures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import BROWSER_TEST_MARKS, JFK, run_browser_script, write_fake_microphone
from tests.support.servers import BackendProcess, start_backend

pytestmark = BROWSER_TEST_MARKS

ROOM = "a11y-check"


@pytest.fixture(scope="module")
def captions_server() -> Iterator[BackendProcess]:
    # Captions only: translation plays no part in what is checked here.
    with start_backend({"RTC_TRANSLATOR": "none"}) as backend:
        yield backend


def test_the_web_app_is_accessible_in_every_theme_size_and_language(
    captions_server: BackendProcess, tmp_path: Path
) -> None:
    wav = tmp_path / "jfk-48k.wav"
    write_fake_microphone(JFK, wav)
    env = {
        "BASE_URL": captions_server.base_url,
        "FAKE_MIC_WAV": str(wav),
        "ROOM": ROOM,
        "TIMEOUT_S": "90",
    }
    result = run_browser_script("accessibility.e2e.mjs", env, timeout_s=400)

    assert result["join"] == [], result["join"]
    assert result["broken_link"]["room"] == "Team Meeting #1"  # kept as given, not replaced
    assert "not a valid room name" in result["broken_link"]["error"]
    assert "Use “Team-Meeting-1”" in result["broken_link"]["error"]
    assert result["room"] == [], result["room"]
    for theme, ring in result["focus_ring"].items():
        assert ring["focusVisible"], (theme, ring)
        assert ring["width"] >= 3 and ring["contrast"] >= 3, (theme, ring)
    assert result["toast_over_leave"] == {"desktop": False, "phone": False}
    assert result["after_reload"] == {"room": ROOM, "language": "en"}
    assert f"You left “{ROOM}”" in result["left"]["text"]
    assert "Rejoin" in result["left"]["text"] and "Download transcript" in result["left"]["text"]
    assert result["left"]["download_enabled"]
    assert result["left"]["violations"] == []
    assert result["console_errors"] == []
