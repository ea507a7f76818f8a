"""A meeting on a cluster in real browsers: a speaker through nginx, a captions-only viewer on
another instance, and the host killed mid-meeting. Driven by `frontend/e2e/cluster.e2e.mjs`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import av
import numpy as np

from tests.support.browser import APP_INDEX, BROWSER_TEST_MARKS, JFK, run_browser_script
from tests.support.cluster import start_cluster
from tests.support.postgres import PostgresServer
from tests.support.redis_server import RedisServer

pytestmark = BROWSER_TEST_MARKS

RATE = 48_000
# The speech twice, far enough apart that the speaker's page has reconnected to the surviving
# instance (the dead host's lease lapses within 6 s) before the second begins.
GAP_S = 16.0


def write_two_speeches(target: Path) -> None:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    chunks = []
    with av.open(str(JFK)) as container:
        for frame in container.decode(audio=0):
            chunks += [out.to_ndarray().ravel() for out in resampler.resample(frame)]
    speech = np.concatenate(chunks)

    def quiet(seconds: float) -> np.ndarray:
        return np.zeros(int(RATE * seconds), dtype=np.int16)

    audio = np.concatenate([quiet(6), speech, quiet(GAP_S), speech, quiet(8)])
    with av.open(str(target), "w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(audio.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def said(texts: list[str]) -> str:
    return re.sub(r"[^a-z ]", "", " ".join(texts).lower())


def test_a_viewer_on_another_instance_follows_the_meeting_through_its_host_s_death(
    redis_server: RedisServer, postgres: PostgresServer, tmp_path: Path
) -> None:
    wav = tmp_path / "two-speeches.wav"
    write_two_speeches(wav)
    database = postgres.create_database()
    with start_cluster(2, redis_server.url(), database, web_app=APP_INDEX.parent) as cluster:
        instances = [{"url": i.base_url, "pid": i.process.pid} for i in cluster.instances]
        env = {
            "ENTRY_URL": cluster.entry,
            "INSTANCES": json.dumps(instances),
            "FAKE_MIC_WAV": str(wav),
            "ROOM": "cluster-e2e",
        }
        result = run_browser_script("cluster.e2e.mjs", env, timeout_s=300)
    back_s, captions_s = (
        result["speaker_back_after_ms"] / 1000,
        result["captions_back_after_ms"] / 1000,
    )
    print(
        f"\nafter the kill: the speaker's page is back in {back_s:.1f} s, "
        f"captions at the viewer in {captions_s:.1f} s"
    )
    before, viewer = result["before_kill"], result["viewer"]
    assert "your country" in said(before)
    # The viewer kept its connection throughout: what it showed stays, and the speech after
    # the kill, recognized on the surviving instance, comes after it.
    assert viewer[: len(before)] == before
    assert "your country" in said(viewer[len(before) :]), viewer
    assert result["speaker_state"] == "connected"
    assert result["console_errors"] == []
