"""The web app end to end: two real Chromium browsers, real speech, the real backend.

A speaker's fake microphone plays the JFK recording; a listen-only (or captions-only)
listener reads German captions. The browsers are driven by `frontend/e2e/captions.e2e.mjs`
(playwright-core with the system Chromium); this test prepares the audio, starts the servers
and checks the result.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import (
    APP_INDEX,
    BROWSER_TEST_MARKS,
    JFK,
    run_browser_script,
    write_fake_microphone,
)
from tests.support.nginx_proxy import serve_app
from tests.support.servers import (
    OUTPUT,
    BackendProcess,
    FakeOpenAI,
    fake_translation,
    start_backend,
)
from tests.support.transcripts import normalized_wer

REFERENCE = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
LISTENER_LANGUAGE = "de"

pytestmark = BROWSER_TEST_MARKS


@pytest.fixture(scope="module")
def servers() -> Iterator[BackendProcess]:
    with (
        FakeOpenAI() as openai_server,
        start_backend(
            env={
                "RTC_TRANSLATOR": "openai",
                "RTC_OPENAI_BASE_URL": openai_server.base_url,
                "RTC_OPENAI_API_KEY": "test",
            }
        ) as backend,
    ):
        yield backend


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    """The speaker's fake microphone."""
    wav = tmp_path / "jfk-48k.wav"
    write_fake_microphone(JFK, wav)
    return wav


def run_browsers(
    base_url: str, wav: Path, room: str, listener_mode: str = "listen-only"
) -> dict[str, Any]:
    out_dir = OUTPUT / room
    shutil.rmtree(out_dir, ignore_errors=True)
    env = {
        "BASE_URL": base_url,
        "FAKE_MIC_WAV": str(wav),
        "OUT_DIR": str(out_dir),
        "ROOM": room,
        "LISTENER_CAPTION_LANGUAGE": LISTENER_LANGUAGE,
        "LISTENER_MODE": listener_mode,
    }
    return run_browser_script("captions.e2e.mjs", env, timeout_s=240)


@pytest.fixture(params=["backend", "nginx"])
def entry_url(request: pytest.FixtureRequest, servers: BackendProcess) -> Iterator[str]:
    """The app served by the backend itself (one-command mode) and by the production nginx."""
    with serve_app(request.param, servers, APP_INDEX.parent) as base_url:
        yield base_url


def test_speaker_and_listener_see_live_captions_in_the_browser(
    entry_url: str, request: pytest.FixtureRequest, wav: Path
) -> None:
    result = run_browsers(entry_url, wav, f"browser-e2e-{request.node.callspec.id}")
    check_captions(result)
    assert result["listener_peer_connections"] == 1


def test_a_captions_only_listener_reads_the_captions_without_webrtc(
    servers: BackendProcess, wav: Path
) -> None:
    result = run_browsers(servers.base_url, wav, "browser-e2e-captions-only", "captions-only")
    check_captions(result)
    assert result["listener_peer_connections"] == 0


def check_captions(result: dict[str, Any]) -> None:
    """The speaker's captions are right, and the listener sees them and their translations."""
    speaker = result["speaker_captions"]
    assert normalized_wer(REFERENCE, speaker) <= 0.2, f"speaker saw: {speaker!r}"
    assert result["listener_captions"] == speaker
    # The fake translation server answers "[de] <source text>" for each caption.
    translations = result["listener_translations"]
    assert translations.startswith(fake_translation(LISTENER_LANGUAGE, "")), translations
    untagged = re.sub(rf"\[{LISTENER_LANGUAGE}\]\s*", "", translations)
    assert normalized_wer(speaker, untagged) == 0, f"listener translations: {translations!r}"
    assert result["console_errors"] == []
    for screenshot in result["screenshots"]:
        assert Path(screenshot).stat().st_size > 0, screenshot
    assert len(result["screenshots"]) == 2
