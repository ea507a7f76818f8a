"""Transcripts survive a killed server; SIGTERM lets the sentence in progress finish first."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest

from tests.support.client import Peer, load_audio, silence
from tests.support.servers import (
    TESTDATA,
    BackendProcess,
    FakeOpenAI,
    Fault,
    start_backend,
    translating_env,
)

pytestmark = pytest.mark.slow

SHUTDOWN_TIMEOUT_S = 15.0  # generous: a busy machine decodes the last words slowly
CUE_TIME = re.compile(r"(\d\d):(\d\d):(\d\d)[.,](\d\d\d) --> (\d\d):(\d\d):(\d\d)[.,](\d\d\d)")


async def fetch(url: str) -> tuple[int, dict[str, str], str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, dict(response.headers), await response.text()


def parse_cues(text: str, separator: str) -> list[tuple[int, int, str]]:
    """(start ms, end ms, text line) of each numbered cue of a VTT body or an SRT file."""
    parsed = []
    for number, block in enumerate(text.strip("\n").split("\n\n"), 1):
        index, timing, line = block.split("\n")
        assert index == str(number)
        match = CUE_TIME.fullmatch(timing)
        assert match and timing[8] == separator, timing
        h1, m1, s1, ms1, h2, m2, s2, ms2 = (int(g) for g in match.groups())
        start = ((h1 * 60 + m1) * 60 + s1) * 1000 + ms1
        end = ((h2 * 60 + m2) * 60 + s2) * 1000 + ms2
        parsed.append((start, end, line))
    return parsed


def expected_times(finals: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Cue times from what clients received: audio origin + offsets, from the first caption."""
    spans = sorted(
        (f["origin"] + round(f["start"] * 1000), f["origin"] + round(f["end"] * 1000))
        for f in finals
    )
    first = spans[0][0]
    return [(start - first, end - first) for start, end in spans]


async def test_transcript_and_history_survive_sigkill(
    openai_server: FakeOpenAI, tmp_path: Path
) -> None:
    room = f"kept-{uuid.uuid4().hex[:8]}"
    env = {**translating_env(openai_server), "RTC_DATA_DIR": str(tmp_path)}
    jfk = np.concatenate([silence(0.5), load_audio(TESTDATA / "jfk.flac"), silence(3)])
    with start_backend(env) as first:
        async with Peer(first.ws_url) as listener, Peer(first.ws_url) as speaker:
            await listener.join(room, "Listener", caption_language="de")
            await listener.connect(None)
            await speaker.join(room, "Speaker", language="en")
            await speaker.connect(jfk)
            await listener.wait_for(
                lambda: (
                    speaker.track
                    and speaker.track.finished_at
                    and not listener.open_utterances()
                    and len(listener.translations()) == len(listener.finals()) > 0
                ),
                timeout=90,
            )
            killed_at = time.monotonic()
            first.process.kill()
            first.process.wait()
    finals = listener.finals()
    translations = {t["caption_id"]: t["text"] for t in listener.translations()}
    assert [f["id"] for f in speaker.finals()] == [f["id"] for f in finals]

    launched_at = time.monotonic()
    with start_backend(env) as second:
        ready_at = time.monotonic()
        print(
            f"\nrecovery after SIGKILL: kill → /health ready {ready_at - killed_at:.2f} s"
            f" (restart → ready {ready_at - launched_at:.2f} s)"
        )
        base = f"{second.base_url}/api/rooms/{room}/transcript"

        status, headers, body = await fetch(base)
        assert status == 200 and headers["Content-Type"].startswith("application/json")
        assert f'filename="{room}-transcript.json"' in headers["Content-Disposition"]
        stored = json.loads(body)["captions"]
        assert [(c["id"], c["text"], c["start"], c["end"], c["origin"]) for c in stored] == [
            (f["id"], f["text"], f["start"], f["end"], f["origin"]) for f in finals
        ]
        assert [c["translations"] for c in stored] == [
            {"de": translations[f["id"]]} for f in finals
        ]

        times = expected_times(finals)
        status, headers, vtt = await fetch(f"{base}?format=vtt&language=de")
        assert status == 200 and headers["Content-Type"].startswith("text/vtt")
        assert f'filename="{room}-transcript.vtt"' in headers["Content-Disposition"]
        assert vtt.startswith("WEBVTT\n\n")
        cues = parse_cues(vtt.removeprefix("WEBVTT\n\n"), ".")
        assert [(start, end) for start, end, _ in cues] == times
        assert cues[0][0] == 0 and all(a[0] <= b[0] for a, b in itertools.pairwise(cues))
        assert [line for _, _, line in cues] == [
            f"<v Speaker>{translations[f['id']]}" for f in finals
        ]

        status, headers, srt = await fetch(f"{base}?format=srt")
        assert status == 200 and headers["Content-Type"].startswith("application/x-subrip")
        cues = parse_cues(srt, ",")
        assert [(start, end) for start, end, _ in cues] == times
        assert [line for _, _, line in cues] == [f"Speaker: {f['text']}" for f in finals]

        status, headers, txt = await fetch(f"{base}?format=txt&language=de")
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        assert [line.split("] ", 1)[1] for line in txt.splitlines()] == [
            f"Speaker: {translations[f['id']]}" for f in finals
        ]

        status, _, error = await fetch(f"{base}?format=docx")
        assert status == 400
        assert json.loads(error)["code"] == "bad_format" and "vtt" in json.loads(error)["error"]

        async with Peer(second.ws_url) as returning:
            await returning.join(room, "Returning", caption_language="de")
            await returning.connect(None)
            replayed = lambda kind: [  # noqa: E731
                r.message
                for r in returning.captions
                if r.message["type"] == kind and r.message.get("history")
            ]
            await returning.wait_for(lambda: len(replayed("translation")) == len(finals), 10)
            assert [c["id"] for c in replayed("caption")] == [f["id"] for f in finals]
            assert [c["text"] for c in replayed("caption")] == [f["text"] for f in finals]
            assert [t["text"] for t in replayed("translation")] == [
                translations[f["id"]] for f in finals
            ]


async def test_sigterm_finishes_the_sentence_in_progress_and_keeps_it(
    openai_server: FakeOpenAI, tmp_path: Path
) -> None:
    room = f"term-{uuid.uuid4().hex[:8]}"
    env = {
        **translating_env(openai_server),
        "RTC_DATA_DIR": str(tmp_path),
        "RTC_SHUTDOWN_TIMEOUT_S": str(SHUTDOWN_TIMEOUT_S),
    }
    # Slow translations keep the drain open long enough to watch it from outside.
    openai_server.always = Fault("delay", seconds=1.5)
    try:
        with start_backend(env) as server:
            async with Peer(server.ws_url) as listener, Peer(server.ws_url) as speaker:
                await listener.join(room, "Listener", caption_language="es")
                await listener.connect(None)
                await speaker.join(room, "Speaker", language="en")
                await speaker.connect(speech())
                # A second into a sentence, while the recording still plays:
                await speaker.wait_for(lambda: speaking_for(speaker) >= 1.0, timeout=30)
                finished_before = {f["id"] for f in speaker.finals()}
                cut = speaker.open_utterances()  # those with a partial caption already
                server.process.send_signal(signal.SIGTERM)
                assert speaker.track and not speaker.track.finished_at
                signalled_at = time.monotonic()
                health = await _health_while_draining(server)
                async with Peer(server.ws_url) as newcomer:
                    refused = await newcomer.join(room, "Too late")
                exit_code = await asyncio.to_thread(server.process.wait, SHUTDOWN_TIMEOUT_S + 10)
                exited_after = time.monotonic() - signalled_at
                await listener.wait_for(lambda: listener.ws.closed and speaker.ws.closed, 5)
    finally:
        openai_server.always = None
    print(f"\nSIGTERM → exit: {exited_after:.2f} s")
    assert health == (503, "shutting_down")
    assert refused["type"] == "error" and refused["code"] == "shutting_down"
    assert exit_code == 0 and exited_after < SHUTDOWN_TIMEOUT_S + 5
    for peer in (listener, speaker):
        notice = peer.signal("notice")
        assert notice and notice["code"] == "server_shutdown" and notice["message"]
    finals = speaker.finals()
    last = [f for f in finals if f["id"] not in finished_before]
    assert last and all(f["text"] for f in last), "the cut sentence got no final"
    assert cut <= {f["id"] for f in last}
    assert [f["id"] for f in listener.finals()] == [f["id"] for f in finals]
    translated = {t["caption_id"]: t["text"] for t in listener.translations()}
    assert set(translated) == {f["id"] for f in finals}  # translations delivered, the last too

    with start_backend(env) as restarted:
        _, _, body = await fetch(f"{restarted.base_url}/api/rooms/{room}/transcript")
    stored = json.loads(body)["captions"]
    assert [(c["id"], c["text"]) for c in stored] == [(f["id"], f["text"]) for f in finals]
    assert {c["id"]: c["translations"].get("es") for c in stored} == {
        f["id"]: translated.get(f["id"]) for f in finals
    }


def speech() -> np.ndarray:
    """Recordings back to back: about 32 s of speech with short pauses."""
    left = load_audio(TESTDATA / "stereo_diarization.wav", channel=0)
    jfk = load_audio(TESTDATA / "jfk.flac")
    return np.concatenate([silence(0.5), left, jfk, left, jfk])


def speaking_for(peer: Peer) -> float:
    """How long the server has heard the peer speak without a pause (0 in a pause)."""
    for received in reversed(peer.captions):
        if received.message["type"] == "speech":
            return time.monotonic() - received.at if received.message["speaking"] else 0.0
    return 0.0


async def _health_while_draining(server: BackendProcess) -> tuple[int, str]:
    """/health once the server has taken the signal (it answers 200 until then)."""
    url = f"{server.base_url}/health"
    while True:
        status, _, body = await fetch(url)
        if status != 200:
            return status, json.loads(body)["status"]
        await asyncio.sleep(0.02)
