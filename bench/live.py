"""Live caption latency, accuracy and server cost with N simultaneous speakers.

Each speaker is a real aiortc client that joins its own room through the normal signaling and
streams a recording in real time over loopback WebRTC: N rooms with one active speaker each,
which is what N simultaneous speakers cost one server (recognition dominates; audio relay
inside a room is measured by `bench.room_capacity`). Every caption's arrival is recorded and
matched, by the audio it covers, to the utterances a VAD pass finds in the source recording.

    .venv/bin/python -m bench.live --speakers 4 --duration 300 [--json out.json]
    .venv/bin/python -m bench.live --audio talk.mp3 --reference talk.txt --language en
    .venv/bin/python -m bench.live --no-recognition --speakers 8   # the media path alone
    .venv/bin/python -m bench.live --server http://host:5000 [--server-pid PID]

The last line printed is a JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from prometheus_client.parser import text_string_to_metric_families

from bench.scoring import CaptionRecord, Scored, Span, drift, percentile, score
from bench.speech import LEAD_S, utterances
from rtc_server.settings import Settings
from tests.support.client import RATE, Peer, load_audio, silence
from tests.support.servers import TESTDATA, FakeOpenAI, start_backend
from tests.support.transcripts import JFK, LEFT, RIGHT, normalized_wer

GAP_S = 1.5  # silence between repetitions of a recording
TAIL_S = 3.0  # silence after the last words, so the server hears the pause that ends them
DRAIN_S = 30.0  # how long to wait for the last finals once the audio has been sent
SAMPLE_EVERY_S = 0.5
ENDPOINT_PAUSE_MS = Settings.model_fields["endpoint_silence_ms"].default

# The shared recordings, one per speaker in turn. The hot-word recording ships without a
# transcript: it adds load and latency figures, not word errors.
SHARED: tuple[tuple[Path, int | None, str | None], ...] = (
    (TESTDATA / "jfk.flac", None, JFK),
    (TESTDATA / "stereo_diarization.wav", 0, LEFT),
    (TESTDATA / "stereo_diarization.wav", 1, RIGHT),
    (TESTDATA / "hotwords.mp3", None, None),
)


@dataclass(frozen=True)
class Recording:
    name: str
    audio: np.ndarray
    reference: str | None
    utterances: list[Span]  # seconds from the start of the recording


def recording_name(path: Path, channel: int | None) -> str:
    return path.name if channel is None else f"{path.name} ch{channel}"


def load_recording(
    path: Path, channel: int | None, reference: str | None, endpoint_pause_s: float
) -> Recording:
    audio = load_audio(path, channel=channel)
    return Recording(
        recording_name(path, channel), audio, reference, utterances(audio, endpoint_pause_s)
    )


@dataclass(frozen=True)
class Program:
    """What one speaker says: a recording repeated until the duration is reached."""

    audio: np.ndarray
    utterances: list[Span]  # seconds from the first sample sent
    reference: str | None

    @property
    def seconds(self) -> float:
        return self.audio.size / RATE


def program(recording: Recording, duration_s: float) -> Program:
    pieces, spans, at = [silence(LEAD_S)], [], LEAD_S
    repeats = 0
    while repeats == 0 or at < duration_s:
        spans += [Span(at + u.start, at + u.end) for u in recording.utterances]
        pieces += [recording.audio, silence(GAP_S)]
        at += recording.audio.size / RATE + GAP_S
        repeats += 1
    pieces[-1] = silence(TAIL_S)
    reference = " ".join([recording.reference] * repeats) if recording.reference else None
    return Program(np.concatenate(pieces), spans, reference)


@dataclass
class Spoken:
    """What one speaker's client saw."""

    program: Program
    started_at: float  # monotonic time of the first sample sent
    utterances: list[Span]  # the program's, on the benchmark's clock
    captions: list[CaptionRecord]
    transcript: str
    translation_delays_s: list[float]
    lost: bool  # the connection broke before all the audio was sent


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int | None

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http", "ws", 1) + "/ws"

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.base_url + path, timeout=10) as response:
            return bytes(response.read())

    def counters(self) -> dict[str, float]:
        text = self.get("/metrics").decode()
        return {
            sample.name: sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name.endswith("_total")
        }


def listening_pid(port: int) -> int | None:
    """The process listening on a local port (for CPU and memory figures), if visible."""
    for connection in psutil.net_connections(kind="tcp"):
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port:
            return connection.pid
    return None


class Usage:
    """CPU time and peak memory of the server process, sampled while the speakers speak."""

    def __init__(self, pid: int | None) -> None:
        self._process = psutil.Process(pid) if pid else None
        self.peak_rss_mb: float | None = None
        self._cpu_start = self._cpu()
        self._wall_start = time.monotonic()
        self._sampler = asyncio.ensure_future(self._sample())

    def _cpu(self) -> float | None:
        if self._process is None:
            return None
        times = self._process.cpu_times()
        return float(times.user + times.system)

    async def _sample(self) -> None:
        while self._process is not None:
            rss = self._process.memory_info().rss / 2**20
            self.peak_rss_mb = max(self.peak_rss_mb or 0.0, rss)
            await asyncio.sleep(SAMPLE_EVERY_S)

    async def stop(self) -> tuple[float | None, float]:
        """CPU seconds and wall seconds since the start."""
        self._sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._sampler
        end, start = self._cpu(), self._cpu_start
        cpu = None if end is None or start is None else end - start
        return cpu, time.monotonic() - self._wall_start


@dataclass
class Options:
    speakers: int = 1
    stagger_s: float = 1.0
    duration_s: float = 0.0  # 0: each recording once
    language: str = "en"
    translate_to: str | None = None
    recognition: bool = True
    endpoint_pause_ms: int = ENDPOINT_PAUSE_MS
    recordings: list[tuple[Path, int | None, str | None]] = field(
        default_factory=lambda: list(SHARED)
    )


async def speak(server: Server, index: int, said: Program, options: Options) -> Spoken:
    await asyncio.sleep(index * options.stagger_s)
    async with Peer(server.ws_url) as peer:
        room = f"bench-{uuid.uuid4().hex[:8]}"
        # A speaker on "auto" reads the originals: "auto" is no caption language.
        own = None if options.language == "auto" else options.language
        await peer.join(room, f"Speaker {index + 1}", options.language,
                        options.translate_to or own)  # fmt: skip
        await peer.connect(said.audio)
        track, pc = peer.track, peer.pc
        assert track is not None and pc is not None

        def sent_or_lost() -> bool:
            broken = pc.connectionState in ("failed", "closed") or peer.signal("error")
            return bool(track.finished_at or broken)

        # An overloaded server may lose connections (ICE consent checks time out): that is
        # reported, and what was not finalized by then counts as missed.
        with contextlib.suppress(TimeoutError):
            await peer.wait_for(sent_or_lost, timeout=said.seconds + 60)
        lost = track.finished_at is None
        assert track.started_at is not None
        heard = Heard(peer, track.started_at)
        spans = [heard.on_clock(u) for u in said.utterances]
        if options.recognition and not lost:

            def done() -> bool:
                finished = all(s.final_at for s in score(spans, heard.captions()))
                return finished and not peer.open_utterances()

            with contextlib.suppress(TimeoutError):
                await peer.wait_for(done, timeout=DRAIN_S)
        if options.translate_to and not lost:
            wanted = {c["id"] for c in peer.finals()}
            with contextlib.suppress(TimeoutError):
                await peer.wait_for(
                    lambda: wanted <= {t["caption_id"] for t in peer.translations()}, DRAIN_S
                )
        return Spoken(
            said,
            heard.started_at,
            spans,
            heard.captions(),
            peer.transcript(),
            heard.translation_delays(),
            lost,
        )


@dataclass(frozen=True)
class Heard:
    """The captions a speaker's client received, on the benchmark's clock."""

    peer: Peer
    started_at: float  # when the first sample went out: the server's audio time 0

    def on_clock(self, span: Span) -> Span:
        return Span(self.started_at + span.start, self.started_at + span.end)

    def captions(self) -> list[CaptionRecord]:
        """This speaker's own captions (in a shared room it also receives the others')."""
        return [
            CaptionRecord(
                self.on_clock(Span(r.message["start"], r.message["end"])),
                r.message["final"],
                r.at,
                r.message["text"],
                r.message["language"],
            )
            for r in self.peer.captions
            if r.message["type"] == "caption"
            and not r.message.get("history")
            and r.message["speaker"]["id"] == self.peer.participant_id
        ]

    def translation_delays(self) -> list[float]:
        """From each final caption to its complete translation."""
        finals = {r.message["id"]: r.at for r in self.peer.captions
                  if r.message["type"] == "caption" and r.message["final"]}  # fmt: skip
        return [
            r.at - finals[r.message["caption_id"]]
            for r in self.peer.captions
            if r.message["type"] == "translation"
            and r.message["final"]
            and r.message["caption_id"] in finals
        ]


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


async def measure(server: Server, options: Options) -> dict[str, Any]:
    pause_s = options.endpoint_pause_ms / 1000
    recordings = [
        load_recording(path, channel, reference, pause_s)
        for path, channel, reference in options.recordings
    ]
    programs = [
        program(recordings[i % len(recordings)], options.duration_s)
        for i in range(options.speakers)
    ]
    before = server.counters()
    usage = Usage(server.pid)
    spoken = await asyncio.gather(
        *(speak(server, i, said, options) for i, said in enumerate(programs))
    )
    cpu_s, wall_s = await usage.stop()
    after = server.counters()
    audio_s = sum(p.seconds for p in programs)
    figures: dict[str, Any] = {
        "speakers": options.speakers,
        "rooms": "one per speaker",
        "recognition": options.recognition,
        "model": json.loads(server.get("/health")).get("model"),
        "audio_s_per_speaker": round(audio_s / options.speakers, 1),
        "speakers_lost": sum(s.lost for s in spoken),
        "server_cpu_s_per_audio_s": _round(cpu_s / audio_s if cpu_s is not None else None),
        "server_cpu_cores": _round(cpu_s / wall_s if cpu_s is not None else None),
        "server_rss_mb": _round(usage.peak_rss_mb, 0),
        "partials_shed": _delta(before, after, "rtc_asr_partials_shed_total"),
        "audio_dropped_s": _delta(before, after, "rtc_audio_dropped_seconds_total"),
    }
    if options.recognition:
        figures |= recognition_figures(spoken)
    if options.translate_to:
        delays = [d for s in spoken for d in s.translation_delays_s]
        figures["translation_delay_p50_s"] = _round(percentile(delays, 50))
    return figures


def _delta(before: dict[str, float], after: dict[str, float], name: str) -> float | None:
    if name not in after:
        return None
    return round(after[name] - before.get(name, 0.0), 3)


def recognition_figures(spoken: list[Spoken]) -> dict[str, Any]:
    scored: list[tuple[int, Scored]] = [
        (index, s)
        for index, said in enumerate(spoken)
        for s in score(said.utterances, said.captions)
    ]
    latencies = [v for _, s in scored if (v := s.final_latency_s) is not None]
    first_text = [v for _, s in scored if (v := s.first_text_s) is not None]
    missed = [
        {
            "speaker": index + 1,
            "start_s": round(s.span.start - spoken[index].started_at, 2),
            "end_s": round(s.span.end - spoken[index].started_at, 2),
        }
        for index, s in scored
        if s.final_at is None
    ]
    with_reference = [s for s in spoken if s.program.reference]
    trend = drift([s for _, s in scored], min(s.started_at for s in spoken))
    return {
        "wer": _round(
            normalized_wer(
                " ".join(s.program.reference or "" for s in with_reference),
                " ".join(s.transcript for s in with_reference),
            )
            if with_reference
            else None,
            4,
        ),
        "utterances": len(scored),
        "first_partial_s": _round(percentile(first_text, 50)),
        "final_latency_p50_s": _round(percentile(latencies, 50)),
        "final_latency_p95_s": _round(percentile(latencies, 95)),
        "final_latency_max_s": _round(max(latencies, default=None)),
        "missed_utterances": len(missed),
        "drift_s_per_min": _round(trend.slope_s_per_min),
        "final_p50_first_minute_s": _round(trend.first_minute_p50_s),
        "final_p50_last_minute_s": _round(trend.last_minute_p50_s),
        "missed": missed,
    }


@contextlib.contextmanager
def serve(
    url: str | None, pid: int | None, options: Options, env: dict[str, str]
) -> Iterator[Server]:
    """The server under test: the one at `url`, or a fresh local one for this run."""
    if url is not None:
        url = url.rstrip("/")
        port = urllib.parse.urlsplit(url).port or 80
        yield Server(url, pid or listening_pid(port))
        return
    with contextlib.ExitStack() as stack:
        settings = {"RTC_TRANSLATOR": "none"}
        if options.translate_to:
            fake = stack.enter_context(FakeOpenAI())
            settings |= {
                "RTC_TRANSLATOR": "openai",
                "RTC_OPENAI_BASE_URL": fake.base_url,
                "RTC_OPENAI_API_KEY": "bench",
            }
        if not options.recognition:
            settings["RTC_RECOGNITION"] = "false"
        backend = stack.enter_context(start_backend(settings | env))
        yield Server(backend.base_url, backend.process.pid)


def print_table(figures: dict[str, Any]) -> None:
    width = max(len(key) for key in figures)
    for key, value in figures.items():
        if key != "missed":
            print(f"{key:<{width}}  {'-' if value is None else value}")
    for miss in figures.get("missed", []):
        print(
            f"missed: speaker {miss['speaker']}, "
            f"{miss['start_s']:.2f}-{miss['end_s']:.2f} s into its audio"
        )


def parse_audio(value: str) -> tuple[Path, int | None]:
    """FILE, or FILE@CHANNEL for one channel of a multichannel recording."""
    path, _, channel = value.rpartition("@")
    if path and channel.isdigit():
        return Path(path), int(channel)
    return Path(value), None


def options_from(arguments: argparse.Namespace) -> Options:
    options = Options(
        speakers=arguments.speakers,
        stagger_s=arguments.stagger,
        duration_s=arguments.duration,
        language=arguments.language,
        translate_to=arguments.translate_to,
        recognition=arguments.recognition,
        endpoint_pause_ms=int(
            arguments.env.get("RTC_ENDPOINT_SILENCE_MS", arguments.endpoint_pause_ms)
        ),
    )
    if arguments.audio:
        references = [Path(r).read_text().strip() for r in arguments.reference]
        options.recordings = [
            (*parse_audio(audio), references[i] if i < len(references) else None)
            for i, audio in enumerate(arguments.audio)
        ]
    return options


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join((__doc__ or "").splitlines()[1:]),
    )
    parser.add_argument("--speakers", type=int, default=1)
    parser.add_argument("--stagger", type=float, default=1.0, help="seconds between joins")
    parser.add_argument(
        "--duration", type=float, default=0.0, help="repeat each recording until this long"
    )
    parser.add_argument(
        "--audio", action="append", default=[],
        help="FILE or FILE@CHANNEL, any format PyAV reads; repeat for one per speaker in turn "
             "(default: the shared recordings)",
    )  # fmt: skip
    parser.add_argument(
        "--reference", action="append", default=[], help="text file per --audio, for WER"
    )
    parser.add_argument("--language", default="en")
    parser.add_argument(
        "--translate-to", help="caption language: measure translation delay (local fake API)"
    )
    parser.add_argument(
        "--recognition", action=argparse.BooleanOptionalAction, default=True,
        help="--no-recognition: the media path alone (server runs with RTC_RECOGNITION=false)",
    )  # fmt: skip
    parser.add_argument("--server", help="measure a running server, e.g. http://127.0.0.1:5000")
    parser.add_argument("--server-pid", type=int, help="its process (default: the listener)")
    parser.add_argument(
        "--endpoint-pause-ms", type=int, default=ENDPOINT_PAUSE_MS,
        help="the server's RTC_ENDPOINT_SILENCE_MS: shorter pauses do not end an utterance",
    )  # fmt: skip
    parser.add_argument(
        "--env", action="append", default=[], help="RTC_X=value for the local server"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser


def main() -> None:
    arguments = parser().parse_args()
    arguments.env = dict(item.split("=", 1) for item in arguments.env)
    options = options_from(arguments)
    with serve(arguments.server, arguments.server_pid, options, arguments.env) as server:
        figures = asyncio.run(measure(server, options))
    print_table(figures)
    if arguments.json:
        arguments.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
