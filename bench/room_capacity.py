"""One room, many people, the audio relay on: captions and relay cost by room size.

Each point is one room of N participants for `--duration` seconds. Two of them talk at any
time, each repeating a recording with pauses; halfway through, two others take over (so the
relay switches whom it forwards). Up to `RTC_MAX_SPEAKERS` (8) join with a microphone, the
rest of those silent (an unmuted browser sends encoded silence); everyone else listens only.
Every point runs three ways on the same machine, one after the other:

- `forward`: this server, forwarding each speaker's Opus packets to the latest speakers' slots;
- `reencode`: the server as of `--baseline` (a git revision), whose relay decoded and encoded
  every stream again for every listener;
- `off`: this server with `RTC_AUDIO_RELAY=false`, to take the relay's share out of the CPU.

Per point: finals p50/p95 and missed utterances (the talkers' own captions, scored as in
`bench.live`), server CPU cores, relay CPU-s per second per forwarded stream ((mode - off) /
streams), and bytes per second arriving at each listener. The participants are aiortc peers in
this process, on the same two cores: listeners count what arrives without decoding it.

    .venv/bin/python -m bench.room_capacity --sizes 2,8,16,32 --duration 60 \\
        --out bench/results/room_capacity

The last line printed is a JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from aiortc import RTCSessionDescription

from bench.live import (
    SHARED,
    Heard,
    Program,
    Server,
    Spoken,
    Usage,
    load_recording,
    program,
    recognition_figures,
)
from bench.scoring import Span
from rtc_server.settings import Settings
from tests.support.client import Peer, silence
from tests.support.servers import ROOT, start_backend

TALKERS_AT_ONCE = 2
MICROPHONES = Settings.model_fields["max_speakers"].default
SLOTS = Settings.model_fields["forward_speakers"].default
DRAIN_S = 20.0
MODES = ("forward", "reencode", "off")


@dataclass
class Participant:
    peer: Peer
    said: Program | None  # a talker's program; None for a silent microphone or a listener
    microphone: bool


def talker_programs(size: int, duration_s: float) -> list[Program]:
    """Two talkers, then (in rooms of four or more) two others for the second half."""
    pause_s = Settings.model_fields["endpoint_silence_ms"].default / 1000
    recordings = [load_recording(path, channel, text, pause_s) for path, channel, text in SHARED]
    if size < 2 * TALKERS_AT_ONCE:
        return [program(recordings[i], duration_s) for i in range(min(size, TALKERS_AT_ONCE))]
    half = duration_s / 2
    first = [program(recordings[i], half) for i in range(TALKERS_AT_ONCE)]
    second = [
        delayed(program(recordings[TALKERS_AT_ONCE + i], half), first[i].seconds)
        for i in range(TALKERS_AT_ONCE)
    ]
    return first + second


def delayed(said: Program, seconds: float) -> Program:
    """The same words after `seconds` of silence."""
    shift = [Span(u.start + seconds, u.end + seconds) for u in said.utterances]
    return Program(np.concatenate([silence(seconds), said.audio]), shift, said.reference)


def count_without_decoding(peer: Peer) -> None:
    """Let received audio be counted (transport stats) but not decoded: the listeners share
    the machine with the server under test. aiortc internals, touched only here."""
    assert peer.pc is not None
    for receiver in peer.pc.getReceivers():
        decoder_queue = receiver._RTCRtpReceiver__decoder_queue
        put = decoder_queue.put

        def drop_frames(item: Any, *args: Any, put: Any = put) -> None:
            if item is None:  # the receiver stopping: its decoder thread must end
                put(item, *args)

        decoder_queue.put = drop_frames


async def answer_offers(peer: Peer) -> None:
    """The baseline server renegotiates whenever someone joins or leaves; answer it."""
    answered = 0
    while True:
        offers = [s.message for s in peer.signals if s.message["type"] == "offer"]
        for offer in offers[answered:]:
            assert peer.pc is not None
            await peer.pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
            await peer.pc.setLocalDescription(await peer.pc.createAnswer())
            await peer.send({"v": 1, "type": "answer", "sdp": peer.pc.localDescription.sdp})
        answered = len(offers)
        await asyncio.sleep(0.1)


async def received_bytes(peer: Peer) -> int:
    assert peer.pc is not None
    report = await peer.pc.getStats()
    return sum(s.bytesReceived for s in report.values() if s.type == "transport")


async def run_point(server: Server, size: int, duration_s: float) -> dict[str, Any]:
    room = f"room-{uuid.uuid4().hex[:8]}"
    talkers = talker_programs(size, duration_s)
    length_s = max(p.seconds for p in talkers)
    people: list[Participant] = []
    answering: list[asyncio.Task[None]] = []
    try:
        for index in range(size):
            said = talkers[index] if index < len(talkers) else None
            microphone = index < MICROPHONES
            peer = Peer(server.ws_url)
            await peer.__aenter__()
            await peer.join(room, f"P{index + 1}", "en", None)
            answering.append(asyncio.ensure_future(answer_offers(peer)))
            # A microphone sends silence until (for a talker) its program is played.
            await peer.connect(silence(0.2) if microphone else None)
            count_without_decoding(peer)
            people.append(Participant(peer, said, microphone))
        listeners = [p.peer for p in people]  # everyone hears the others
        bytes_before = [await received_bytes(peer) for peer in listeners]
        before = server.counters()
        usage = Usage(server.pid)
        started = time.monotonic()
        for person in people:
            if person.said is not None and person.peer.track is not None:
                person.peer.track.play(person.said.audio)
        await asyncio.sleep(length_s)
        cpu_s, wall_s = await usage.stop()
        after = server.counters()
        seconds = time.monotonic() - started
        bytes_after = [await received_bytes(peer) for peer in listeners]
        results = [await talker_result(p, started) for p in people if p.said is not None]
    finally:
        for task in answering:
            task.cancel()
        for person in people:
            await person.peer.close()
    streams = forwarded_streams(size)
    downstream = [(b - a) / seconds for a, b in zip(bytes_before, bytes_after, strict=True)]
    figures = recognition_figures(results)
    return {
        "participants": size,
        "microphones": min(size, MICROPHONES),
        "forwarded_streams": streams,
        "final_latency_p50_s": figures["final_latency_p50_s"],
        "final_latency_p95_s": figures["final_latency_p95_s"],
        "utterances": figures["utterances"],
        "missed_utterances": figures["missed_utterances"],
        "server_cpu_cores": round(cpu_s / wall_s, 3) if cpu_s is not None else None,
        "listener_bytes_per_s": round(float(np.median(downstream)), 0) if downstream else None,
        "audio_dropped_s": round(
            after.get("rtc_audio_dropped_seconds_total", 0)
            - before.get("rtc_audio_dropped_seconds_total", 0),
            2,
        ),
    }


async def talker_result(person: Participant, played_at: float) -> Spoken:
    """A talker's captions, scored. The server's clock for its audio starts with the first
    sample sent (the silence before); its program began when it was played (within a frame)."""
    peer, said = person.peer, person.said
    assert said is not None and peer.track is not None and peer.track.started_at is not None
    with contextlib.suppress(TimeoutError):
        await peer.wait_for(lambda: not peer.open_utterances(), timeout=DRAIN_S)
    heard = Heard(peer, peer.track.started_at)
    spans = [Span(played_at + u.start, played_at + u.end) for u in said.utterances]
    lost = peer.track.finished_at is None
    return Spoken(said, played_at, spans, heard.captions(), peer.transcript(), [], lost)


def forwarded_streams(size: int) -> int:
    """Voices each participant is sent (the latest speakers, never its own), all summed."""
    return size * min(SLOTS, size - 1)


@contextlib.contextmanager
def server_for(mode: str, size: int, baseline: str) -> Iterator[Server]:
    env = {
        "RTC_MAX_ROOM_SIZE": str(size),
        "RTC_TRANSLATOR": "none",
        "RTC_AUDIO_RELAY": "false" if mode == "off" else "true",
    }
    with contextlib.ExitStack() as stack:
        source = ROOT
        if mode == "reencode":
            source = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="baseline-")))
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f",
                            str(source), baseline], check=True, capture_output=True)  # fmt: skip
            stack.callback(subprocess.run, ["git", "-C", str(ROOT), "worktree", "remove",
                                            "--force", str(source)], check=False)  # fmt: skip
        backend = stack.enter_context(start_backend(env, source=source))
        yield Server(backend.base_url, backend.process.pid)


async def measure(sizes: list[int], duration_s: float, baseline: str) -> dict[str, Any]:
    points = []
    for size in sizes:
        point: dict[str, Any] = {"participants": size}
        for mode in MODES:
            try:
                with server_for(mode, size, baseline) as server:
                    point[mode] = await run_point(server, size, duration_s)
            except Exception as error:  # a relay that cannot hold the room: its figure
                point[mode] = {"error": f"{type(error).__name__}: {error}"}
            print(f"{size:3} participants, {mode:8}: {json.dumps(point[mode])}", flush=True)
        off = point["off"].get("server_cpu_cores")
        for mode in ("forward", "reencode"):
            cores = point[mode].get("server_cpu_cores")
            # A server that fell behind skips work: its CPU says nothing of the relay's cost.
            if cores is not None and off is not None and kept_up(point[mode]):
                point[mode]["relay_cpu_s_per_s_per_stream"] = round(
                    (cores - off) / point[mode]["forwarded_streams"], 4
                )
        points.append(point)
    return {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "duration_s": duration_s,
        "baseline": baseline,
        "points": points,
    }


def kept_up(figures: dict[str, Any]) -> bool:
    return figures.get("missed_utterances") == 0 and figures.get("audio_dropped_s") == 0


COLUMNS = (
    ("final p50 / p95 (s)", lambda f: f"{f['final_latency_p50_s']} / {f['final_latency_p95_s']}"),
    ("missed", lambda f: f"{f['missed_utterances']} of {f['utterances']}"),
    ("server CPU (cores)", lambda f: f["server_cpu_cores"]),
    ("relay CPU-s/s per stream", lambda f: f.get("relay_cpu_s_per_s_per_stream", "-")),
    ("bytes/s to each", lambda f: f["listener_bytes_per_s"]),
    ("audio dropped (s)", lambda f: f["audio_dropped_s"]),
)


def table(results: dict[str, Any]) -> str:
    head = ["participants (streams)", "relay", *(name for name, _ in COLUMNS)]
    rows = [f"| {' | '.join(head)} |", f"|{'---|' * len(head)}"]
    for point in results["points"]:
        for mode in MODES:
            figures = point[mode]
            streams = point["forward"].get("forwarded_streams", "?")
            cells = [f"{point['participants']} ({streams})", mode]
            if "error" in figures:
                cells += [figures["error"]] + [""] * (len(COLUMNS) - 1)
            else:
                cells += [str(value(figures)) for _, value in COLUMNS]
            rows.append(f"| {' | '.join(cells)} |")
    return "\n".join(rows)


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (latency, cost) = plt.subplots(1, 2, figsize=(10, 4))
    for mode, style in (("forward", "o-"), ("reencode", "s--"), ("off", "^:")):
        done = [p for p in results["points"] if "error" not in p[mode]]
        sizes = [p["participants"] for p in done]
        latency.plot(sizes, [p[mode]["final_latency_p95_s"] for p in done], style, label=mode)
        cost.plot(sizes, [p[mode]["server_cpu_cores"] for p in done], style, label=mode)
    latency.set(xlabel="participants", ylabel="final latency p95 (s)", yscale="log")
    cost.set(xlabel="participants", ylabel="server CPU (cores)")
    for axes in (latency, cost):
        axes.grid(alpha=0.3)
        axes.legend()
    figure.suptitle("One room, two talking at a time")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="2,8,16,32")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of talk a point")
    parser.add_argument(
        "--baseline", default="edc510c", help="git revision of the re-encoding relay"
    )
    parser.add_argument(
        "--out", type=Path, help="write <out>.json, <out>.md and <out>.png (e.g. results/room)"
    )
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    figures = asyncio.run(measure(sizes, arguments.duration, arguments.baseline))
    if arguments.out:
        arguments.out.with_suffix(".json").write_text(json.dumps(figures, indent=2) + "\n")
        arguments.out.with_suffix(".md").write_text(table(figures) + "\n")
        plot(figures, arguments.out.with_suffix(".png"))
    print(table(figures))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
