"""Metrics and JSON logs after a real speaker session: the figures move by what happened."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.request
import uuid
from collections.abc import Iterator

import numpy as np
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from rtc_server.observability.loop_lag import watch_event_loop
from tests.support.client import Peer, load_audio, silence
from tests.support.servers import (
    TESTDATA,
    BackendProcess,
    FakeOpenAI,
    Fault,
    settle,
    start_backend,
    translating_env,
)

Samples = dict[str, float]


def scrape(backend: BackendProcess) -> Samples:
    """Every sample at /metrics, keyed like `name{label="value"}`."""
    with urllib.request.urlopen(f"{backend.base_url}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


def moved(before: Samples, after: Samples, name: str) -> float:
    return after.get(name, 0.0) - before.get(name, 0.0)


@pytest.fixture(scope="module")
def json_backend(openai_server: FakeOpenAI) -> Iterator[BackendProcess]:
    env = {
        **translating_env(openai_server),
        "RTC_LOG_FORMAT": "json",
        "RTC_WHISPER_MODEL": "tiny.en",
    }
    with start_backend(env) as process:
        yield process


@pytest.mark.slow
async def test_metrics_and_logs_follow_a_speaker_session(
    json_backend: BackendProcess, openai_server: FakeOpenAI
) -> None:
    backend = json_backend
    await settle(backend, float("inf"))
    before = scrape(backend)
    room = f"obs-{uuid.uuid4().hex[:8]}"
    speech = load_audio(TESTDATA / "jfk.flac")
    audio = np.concatenate([silence(0.5), speech, silence(3)])
    openai_server.faults.append(Fault("status", status=503))  # one transient error, retried
    async with Peer(backend.ws_url) as listener, Peer(backend.ws_url) as speaker:
        assert (await listener.join(room, "Listener", caption_language="de"))["type"] == "joined"
        await listener.connect(None)
        assert (await speaker.join(room, "Speaker", language="en"))["type"] == "joined"
        await speaker.connect(audio)
        await listener.wait_for(lambda: listener.partials(), timeout=30)
        during = scrape(backend)
        await listener.wait_for(
            lambda: (
                speaker.track is not None
                and speaker.track.finished_at is not None
                and listener.finals()
                and not listener.open_utterances()
                and len(listener.translations()) == len(listener.finals())
            ),
            timeout=90,
        )
        assert speaker.track is not None and speaker.track.started_at is not None
        streamed_s = time.monotonic() - speaker.track.started_at
        recording_end = speaker.track.started_at + 0.5 + speech.size / 48_000
        last_final_s = (
            max(r.at for r in listener.captions if r.message.get("final")) - recording_end
        )
    await settle(backend, float("inf"))
    after = scrape(backend)
    finals = listener.finals()

    assert during["rtc_sessions"] == 2 and during["rtc_rooms"] == 1
    assert during["rtc_speakers"] == 1 and during["rtc_peer_connections"] == 2
    assert (after["rtc_sessions"], after["rtc_rooms"], after["rtc_speakers"]) == (0, 0, 0)

    received = moved(before, after, "rtc_audio_received_seconds_total")
    print(f"\naudio sent {audio.size / 48_000:.2f} s, received {received:.2f} s, "
          f"streamed {streamed_s:.2f} s")  # fmt: skip
    # The track sends its audio, then silence until the peer closes.
    assert audio.size / 48_000 - 0.5 <= received <= streamed_s + 0.5

    final_delays = moved(before, after, "rtc_final_delay_seconds_count")
    final_delay_sum = moved(before, after, "rtc_final_delay_seconds_sum")
    print(
        f"finals {len(finals)}: end of speech → final {final_delay_sum / final_delays:.2f} s "
        f"on average (server); end of the recording → last final {last_final_s:.2f} s (client)"
    )
    assert final_delays >= len(finals)
    # No bound on speed here (benchmarks measure it): only that each delay lies in the session.
    assert 0 < final_delay_sum / final_delays <= streamed_s
    assert moved(before, after, 'rtc_captions_total{kind="final"}') >= len(finals)

    delivered = moved(before, after, "rtc_translation_delivery_seconds_count")
    assert delivered == len(listener.translations()) == len(finals)
    assert moved(before, after, "rtc_translation_delivery_seconds_sum") > 0
    assert (
        moved(before, after, 'rtc_translation_calls_total{backend="openai",outcome="transient"}')
        == 1
    )
    assert moved(
        before, after, 'rtc_translation_calls_total{backend="openai",outcome="ok"}'
    ) == len(finals)
    assert not any(name.startswith("rtc_translations_failed_total") and value
                   for name, value in after.items())  # fmt: skip

    # A final is decoded as such, or comes from the speculative decode started at the pause.
    final_decodes = sum(
        moved(before, after, f'rtc_asr_inference_seconds_count{{kind="{kind}"}}')
        for kind in ("final", "speculative")
    )
    assert final_decodes >= 1
    assert after["rtc_asr_lag_seconds"] == 0  # nothing waiting once the session is over
    assert during["rtc_asr_lag_seconds"] >= 0
    assert after["rtc_asr_queue_jobs"] == 0

    # Every log line is one JSON object; the session's own lines carry its ids.
    lines = [json.loads(line) for line in backend.log().splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    for peer in (speaker, listener):
        tagged = [line for line in lines if line.get("session") == peer.participant_id]
        assert tagged, f"no log line names {peer.participant_id}"
        assert any(line.get("room") == room for line in tagged)
        assert any(f"{peer.participant_id} closed" in line["message"] for line in tagged)
    # Tasks a session starts inherit its ids: the translation of the speaker's captions runs in
    # the room's tasks, and its HTTP client logs each request.
    started_by_speaker = [
        line
        for line in lines
        if line.get("session") == speaker.participant_id
        and line["logger"]
        not in ("rtc_server.signaling.session", "rtc_server.rooms.membership", "aiohttp.access")
    ]
    assert started_by_speaker and all(line["room"] == room for line in started_by_speaker)
    assert not [line for line in lines if line["level"] in ("ERROR", "CRITICAL")]


async def test_a_blocked_event_loop_is_measured_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def lag_sum() -> float:
        return REGISTRY.get_sample_value("rtc_event_loop_lag_seconds_sum") or 0.0

    before = lag_sum()
    watcher = asyncio.ensure_future(watch_event_loop(every_s=0.05))
    await asyncio.sleep(0.1)
    with caplog.at_level(logging.WARNING, logger="rtc_server.observability.loop_lag"):
        time.sleep(0.8)  # noqa: ASYNC251 - a callback that never yields: the loop stalls
        await asyncio.sleep(0.1)
    watcher.cancel()
    await asyncio.gather(watcher, return_exceptions=True)
    assert 0.7 <= lag_sum() - before < 1.5
    assert any("event loop" in record.getMessage() for record in caplog.records)
