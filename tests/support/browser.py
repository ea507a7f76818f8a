"""Real Chromium for the browser tests: a fake microphone from a recording, and the
`frontend/e2e/*.mjs` scripts (playwright-core with the system Chromium) that drive it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from tests.support.servers import ROOT, TESTDATA

FRONTEND = ROOT / "frontend"
APP_INDEX = FRONTEND / "dist" / "captions" / "browser" / "index.html"
JFK = TESTDATA / "jfk.flac"
SAMPLE_RATE = 48_000
# Chromium starts the file when getUserMedia opens, before WebRTC connects; the trailing
# silence lets the server's end-of-speech detection close the last utterance. Generous: a slow
# join on a busy machine must not cut the first words.
PADDING_S = 6.0

# Every browser test is slow, and needs the built web app (CI builds it first).
BROWSER_TEST_MARKS = [
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
