"""A meeting where everyone speaks, in real browsers: one Chromium per fake microphone.

Three speakers join one after another and keep talking (their recordings loop), a listen-only
reader follows. Driven by `frontend/e2e/meeting.e2e.mjs`; see there for the phases.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import BROWSER_TEST_MARKS, run_browser_script, write_fake_microphone
from tests.support.servers import TESTDATA, BackendProcess, start_backend

pytestmark = BROWSER_TEST_MARKS

# Each speaker's recording and words only that recording holds, to tell whose audio was heard.
SPEAKERS = {
    "Alice": (TESTDATA / "jfk.flac", None, {"country", "americans", "fellow"}),
    "Eve": (TESTDATA / "stereo_diarization.wav", 0, {"wizard", "curtain", "complaint"}),
    "Omar": (TESTDATA / "stereo_diarization.wav", 1, {"horizon", "distant", "extremely"}),
}
PAUSE_S = 1.0  # silence around each loop of a recording: an endpoint between repetitions


@pytest.fixture(scope="module")
def meeting_server() -> Iterator[BackendProcess]:
    # Three recognizers and four browsers share two cores: captions only, no translation, and
    # the small English model (everyone speaks English here), so the machine keeps up with the
    # audio it relays. Accuracy is measured elsewhere.
    with start_backend({"RTC_TRANSLATOR": "none", "RTC_WHISPER_MODEL": "tiny.en"}) as backend:
        yield backend


def words(text: str) -> set[str]:
    return {word.strip(".,!?;:").lower() for word in text.split()}


def test_every_speaker_is_captioned_and_heard_through_joins_leaves_and_mutes(
    meeting_server: BackendProcess, tmp_path: Path
) -> None:
    wavs = []
    for name, (source, channel, _) in SPEAKERS.items():
        wav = tmp_path / f"{name}.wav"
        write_fake_microphone(source, wav, PAUSE_S, channel)
        wavs.append(wav)
    env = {
        "BASE_URL": meeting_server.base_url,
        "ROOM": "meeting-e2e",
        "SPEAKER_WAVS": ",".join(str(wav) for wav in wavs),
    }
    result = run_browser_script("meeting.e2e.mjs", env, timeout_s=420)

    phases = (
        ("after_last_join", SPEAKERS),
        ("after_unmute", ("Alice", "Eve")),
        ("after_reconnect", ("Omar",)),
    )
    for phase, names in phases:
        for name in names:
            heard = set().union(*(words(c["text"]) for c in result[phase] if c["speaker"] == name))
            assert heard & SPEAKERS[name][2], f"{phase}: {name}'s own words missing: {heard}"
    for name, audio in result["inbound_audio"].items():
        # Each speaker hears the two others: 50 packets a second each when the machine keeps up;
        # with three recognizers and four browsers on two cores, a listener may lose some.
        heard = [s for s in audio["streams"] if s["packets_per_s"] > 15 and s["level"] > 0]
        assert len(heard) == 2, f"{name} receives {audio}"
    assert result["not_heard_told_after_ms"] < 10_000
    assert result["console_errors"] == []
