"""Caption latency and accuracy on the shared recordings, over real WebRTC in real time.

Prints, per recording: word error rate, time from the start of speech to the first partial,
from the end of speech to the last final, and the delay translation (through a local
OpenAI-compatible server) adds after each final. Also the server's memory.

    .venv/bin/python -m bench.latency --runs 3 [--env RTC_ASR_WORKERS=2 ...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import uuid
from dataclasses import dataclass

import numpy as np

from rtc_server.asr.vad import WINDOW, StreamingVad
from tests.client import RATE, Peer, load_audio, silence
from tests.conftest import normalized_wer
from tests.servers import TESTDATA, BackendProcess, FakeOpenAI, start_backend
from tests.test_live_captions import JFK, LEFT, RIGHT

LEAD_S = 0.5
CAPTION_LANGUAGES = ("de", "fr", "es", "it", "nl")
RECORDINGS = {
    "jfk.flac": (TESTDATA / "jfk.flac", None, JFK),
    "stereo left": (TESTDATA / "stereo_diarization.wav", 0, LEFT),
    "stereo right": (TESTDATA / "stereo_diarization.wav", 1, RIGHT),
}


@dataclass
class Run:
    wer: float
    first_partial_s: float
    final_delay_s: float
    translation_delays_s: list[float]


def speech_span(audio: np.ndarray) -> tuple[float, float]:
    """Where the speech in a recording starts and ends, by the same VAD the server uses."""
    step = RATE // 16_000  # averaging each group of samples filters before decimating
    usable = audio[: audio.size - audio.size % step].reshape(-1, step)
    samples = (usable.mean(axis=1) / 32768).astype(np.float32)
    probabilities = StreamingVad().process(samples)
    voiced = np.flatnonzero(probabilities >= 0.5)
    return voiced[0] * WINDOW / 16_000, (voiced[-1] + 1) * WINDOW / 16_000


async def measure(
    backend: BackendProcess, audio: np.ndarray, reference: str, caption_language: str
) -> Run:
    start_s, end_s = speech_span(audio)
    room = f"bench-{uuid.uuid4().hex[:8]}"
    async with Peer(backend.ws_url) as listener, Peer(backend.ws_url) as speaker:
        await listener.join(room, "Listener", caption_language=caption_language)
        await listener.connect(None)
        await speaker.join(room, "Speaker", language="en", caption_language="en")
        await speaker.connect(np.concatenate([silence(LEAD_S), audio, silence(3)]))
        track = speaker.track
        assert track is not None
        await speaker.wait_for(lambda: track.finished_at, timeout=120)
        await speaker.wait_for(lambda: not speaker.open_utterances(), timeout=60)
        finals = {r.message["id"]: r.at for r in listener.captions if r.message.get("final")
                  and r.message["type"] == "caption"}  # fmt: skip
        await listener.wait_for(lambda: len(listener.translations()) >= len(finals), timeout=30)
        translated = {r.message["caption_id"]: r.at for r in listener.captions
                      if r.message["type"] == "translation" and r.message["final"]}  # fmt: skip
        assert track.started_at is not None
        spoken_from = track.started_at + LEAD_S + start_s
        spoken_to = track.started_at + LEAD_S + end_s
        caption_times = [r.at for r in speaker.captions if r.message["type"] == "caption"]
        return Run(
            wer=normalized_wer(reference, speaker.transcript()),
            first_partial_s=min(caption_times) - spoken_from,
            final_delay_s=max(r.at for r in speaker.captions if r.message.get("final")) - spoken_to,
            translation_delays_s=[
                translated[i] - at for i, at in finals.items() if i in translated
            ],
        )


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def main(runs: int, env: dict[str, str]) -> None:
    with (
        FakeOpenAI() as openai_server,
        start_backend(
            {
                "RTC_TRANSLATOR": "openai",
                "RTC_OPENAI_BASE_URL": openai_server.base_url,
                "RTC_OPENAI_API_KEY": "bench",
                **env,
            }
        ) as backend,
    ):
        print(f"settings: {env or 'defaults'}; {runs} run(s) per recording")
        print(
            f"{'recording':14} {'WER':>6} {'first partial':>14} "
            f"{'final delay':>12} {'translation':>12}"
        )
        for name, (path, channel, reference) in RECORDINGS.items():
            audio = load_audio(path, channel=channel)
            # A new caption language each run: the server's cache would answer repeats at once.
            results = [
                await measure(backend, audio, reference, CAPTION_LANGUAGES[run % 5])
                for run in range(runs)
            ]
            translation = [d for r in results for d in r.translation_delays_s]
            print(
                f"{name:14} {statistics.mean(r.wer for r in results):6.3f} "
                f"{statistics.median(r.first_partial_s for r in results):13.2f}s "
                f"{statistics.median(r.final_delay_s for r in results):11.2f}s "
                f"{statistics.median(translation):11.3f}s"
            )
        print(f"server memory (RSS): {rss_mb(backend.process.pid):.0f} MB")
        print("(medians; final delay = end of speech → last final caption at the speaker)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--env", action="append", default=[], help="RTC_X=value for the server")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, dict(item.split("=", 1) for item in arguments.env)))
