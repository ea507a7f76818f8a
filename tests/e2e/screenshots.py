"""Regenerates docs/screenshots/ (`make screenshots`): starts a backend on loopback, then lets
`frontend/e2e/screenshots.mjs` photograph the join screen and a room with two speakers."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.support.browser import run_browser_script, write_fake_microphone
from tests.support.servers import ROOT, TESTDATA, start_backend

OUT_DIR = ROOT / "docs" / "screenshots"
# Each speaker's recording (and channel): Alice reads JFK, Eve one side of a dialogue.
SPEAKERS = ((TESTDATA / "jfk.flac", None), (TESTDATA / "stereo_diarization.wav", 0))


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, start_backend({"RTC_TRANSLATOR": "none"}) as backend:
        wavs = []
        for i, (source, channel) in enumerate(SPEAKERS):
            wav = Path(tmp) / f"speaker-{i}.wav"
            write_fake_microphone(source, wav, 1.0, channel)
            wavs.append(str(wav))
        env = {
            "BASE_URL": backend.base_url,
            "OUT_DIR": str(OUT_DIR),
            "SPEAKER_WAVS": ",".join(wavs),
        }
        result = run_browser_script("screenshots.mjs", env, timeout_s=300)
    for file in result["files"]:
        print(f"{Path(file).relative_to(ROOT)}: {Path(file).stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
