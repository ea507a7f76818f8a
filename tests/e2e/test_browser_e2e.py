"""The web app end to end: two real Chromium browsers, real speech, the real backend.

A speaker's fake microphone plays the JFK recording; a listen-only listener reads German
captions. The browsers are driven by `frontend/e2e/captions.e2e.mjs` (playwright-core with
the system Chromium); this test prepares the audio, starts the servers and checks the result.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from tests.conftest import normalized_wer
from tests.nginx_proxy import serve_app
from tests.servers import OUTPUT, BackendProcess, FakeOpenAI, fake_translation, start_backend

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
APP_INDEX = FRONTEND / "dist" / "captions" / "browser" / "index.html"
JFK = ROOT.parent / "shared" / "testdata" / "jfk.flac"
REFERENCE = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
LISTENER_LANGUAGE = "de"
SAMPLE_RATE = 48_000
# Chromium starts the file when getUserMedia opens, before WebRTC connects; the trailing
# silence lets the server's end-of-speech detection close the last utterance. Generous: a slow
# join on a busy machine must not cut the first words.
PADDING_S = 6.0

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not APP_INDEX.is_file() and not os.environ.get("CI"),
        reason="web app not built (make frontend-build)",
    ),
]


def write_fake_microphone(
    source: Path, target: Path, padding_s: float = PADDING_S, channel: int | None = None
) -> None:
    """Source audio (one `channel` of it, or all mixed) as 48 kHz mono 16-bit WAV with
    `padding_s` of silence before and after."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    pcm = bytearray()
    with av.open(str(source)) as container:
        for frame in container.decode(audio=0):
            if channel is not None:  # packed samples: every other value is one channel
                samples = np.ascontiguousarray(
                    frame.to_ndarray()[:, channel :: len(frame.layout.channels)]
                )
                rate = frame.sample_rate
                frame = av.AudioFrame.from_ndarray(samples, format=frame.format.name, layout="mono")
                frame.sample_rate = rate
            for out in resampler.resample(frame):
                pcm += out.to_ndarray().tobytes()
    for out in resampler.resample(None):
        pcm += out.to_ndarray().tobytes()
    silence = bytes(int(SAMPLE_RATE * padding_s) * 2)
    with wave.open(str(target), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(silence + bytes(pcm) + silence)


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


def run_browser_script(script: str, env: dict[str, str], timeout_s: float) -> dict[str, Any]:
    """Run one of `frontend/e2e/*.e2e.mjs`; its last line on stdout is its JSON result."""
    node = shutil.which("node")
    assert node, "Node.js is required for the browser tests"
    assert (FRONTEND / "node_modules" / "playwright-core").is_dir(), (
        "frontend dependencies missing: run `make frontend-install`"
    )
    completed = subprocess.run(
        [node, str(FRONTEND / "e2e" / script)],
        cwd=FRONTEND,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    sys.stderr.write(completed.stderr)  # the script's log, shown with a failing test
    lines = completed.stdout.strip().splitlines()
    assert completed.returncode == 0 and lines, (
        f"{script} failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}"
    )
    return dict(json.loads(lines[-1]))


def run_browsers(base_url: str, wav: Path, out_dir: Path, room: str) -> dict[str, Any]:
    env = {
        "BASE_URL": base_url,
        "FAKE_MIC_WAV": str(wav),
        "OUT_DIR": str(out_dir),
        "ROOM": room,
        "LISTENER_CAPTION_LANGUAGE": LISTENER_LANGUAGE,
    }
    return run_browser_script("captions.e2e.mjs", env, timeout_s=240)


@pytest.fixture(params=["backend", "nginx"])
def entry_url(request: pytest.FixtureRequest, servers: BackendProcess) -> Iterator[str]:
    """The app served by the backend itself (one-command mode) and by the production nginx."""
    with serve_app(request.param, servers, APP_INDEX.parent) as base_url:
        yield base_url


def test_speaker_and_listener_see_live_captions_in_the_browser(
    entry_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    wav = tmp_path / "jfk-48k.wav"
    write_fake_microphone(JFK, wav)
    room = f"browser-e2e-{request.node.callspec.id}"
    out_dir = OUTPUT / room
    shutil.rmtree(out_dir, ignore_errors=True)

    result = run_browsers(entry_url, wav, out_dir, room)

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
