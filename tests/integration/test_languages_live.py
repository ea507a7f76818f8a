"""One speaker on auto who switches language mid-meeting, over WebRTC to the real model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rtc_server.asr.language_id import script_fits
from tests.support.client import load_audio, silence, speak_and_collect, synthesize
from tests.support.servers import TESTDATA, BackendProcess

GERMAN = "Guten Morgen zusammen. Heute sprechen wir über das Wetter und über unsere Pläne."
GERMAN_WORDS = {"morgen", "heute", "sprechen", "wetter", "pläne", "unsere"}


@pytest.mark.slow
async def test_a_speaker_on_auto_is_followed_from_english_into_german(
    backend: BackendProcess, tmp_path: Path
) -> None:
    english = load_audio(TESTDATA / "jfk.flac")
    german = load_audio(synthesize("de", GERMAN, tmp_path, words_per_minute=160))
    switch_s = 0.5 + english.size / 48_000 + 1.0  # speak_and_collect leads with 0.5 s
    speaker, _ = await speak_and_collect(
        backend, np.concatenate([english, silence(1.0), german]), language="auto"
    )
    finals = speaker.finals()
    before = [f for f in finals if f["end"] <= switch_s]
    after = [f for f in finals if f["end"] > switch_s]
    print(
        "\n"
        + "\n".join(f"{f['language']} {f['start']:.1f}-{f['end']:.1f} {f['text']}" for f in finals)
    )
    assert before and all(f["language"] == "en" for f in before), before
    # Followed within one utterance: the German speech's last final at the latest is German.
    assert after and after[-1]["language"] == "de", after
    heard = {word.strip(".,!?").lower() for f in after for word in f["text"].split()}
    assert len(heard & GERMAN_WORDS) >= 3, heard
    assert all(script_fits(f["text"], f["language"]) for f in finals), finals
