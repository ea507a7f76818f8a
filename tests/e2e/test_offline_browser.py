"""A speaker's browser goes offline mid-meeting and comes back (see
`tests/support/offline_call.py`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.browser import BROWSER_TEST_MARKS, write_fake_microphone
from tests.support.servers import ROOT, TESTDATA

pytestmark = BROWSER_TEST_MARKS


def test_a_browser_offline_and_back_keeps_its_place_and_every_final(
    namespace: str, tmp_path: Path
) -> None:
    wav = tmp_path / "ada.wav"
    write_fake_microphone(TESTDATA / "jfk.flac", wav, 1.0)
    command = ["ip", "netns", "exec", namespace, sys.executable, "-m", "tests.support.offline_call"]
    done = subprocess.run(
        [*command, str(wav)], cwd=ROOT, capture_output=True, text=True, timeout=400
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"\noffline: told after {result['told_after_ms']} ms ({result['told']!r}), "
        f"back {result['back_after_ms']} ms after the network returned"
    )

    assert result["told_after_ms"] < 10_000  # the web app notices by itself
    assert "lost" in result["told"].lower() or "interrupted" in result["told"].lower()
    assert result["back_after_ms"] < 15_000
    assert result["reader_people"] == 2  # Ada resumed: no second Ada beside a held one
    stored = {caption["id"] for caption in result["stored"]}
    shown = {line["id"] for line in result["reader_finals"]}
    assert stored <= shown, f"finals the reader never got: {stored - shown}"
    mine = {line["id"] for line in result["speaker_finals"]}
    assert stored <= mine, f"finals missing on the speaker's own page: {stored - mine}"
    assert result["console_errors"] == []
