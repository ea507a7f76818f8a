"""Memory under churn: does the server give back what joins and meetings take?

Two soaks against one server process, its resident memory (RSS) sampled throughout:

- `joins`: one client joins a room and leaves it, over and over (signaling only, a new
  WebSocket each time, asking for permessage-deflate as browsers do; the server declines it);
- `meeting`: for `--minutes`, people come and go in one room: each joins with a real aiortc
  peer, speaks a recording, listens a while and leaves, three at a time.

    .venv/bin/python -m bench.soak --joins 3000 --minutes 30 [--out bench/results/soak]

The last line printed is a JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from aiohttp import ClientSession

from tests.support.client import Peer, load_audio, silence
from tests.support.servers import TESTDATA, BackendProcess, start_backend

SAMPLE_EVERY_JOINS = 250
MEETING_SIZE = 3


def rss_mb(process: psutil.Process) -> float:
    return round(process.memory_info().rss / 2**20, 1)


async def join_and_leave(session: ClientSession, url: str, room: str) -> None:
    async with session.ws_connect(url, compress=15) as ws:
        await ws.send_str(json.dumps({"v": 1, "type": "join", "room": room, "name": "Soak"}))
        while json.loads((await ws.receive()).data)["type"] not in ("joined", "error"):
            pass
        await ws.send_str(json.dumps({"v": 1, "type": "leave"}))
        async for message in ws:
            if json.loads(message.data)["type"] == "left":
                break


async def soak_joins(backend: BackendProcess, joins: int) -> list[tuple[int, float]]:
    server = psutil.Process(backend.process.pid)
    samples = [(0, rss_mb(server))]
    async with ClientSession() as session:
        for done in range(1, joins + 1):
            await join_and_leave(session, backend.ws_url, f"soak-{done % 3}")
            if done % SAMPLE_EVERY_JOINS == 0:
                samples.append((done, rss_mb(server)))
                print(f"joins {done}: {samples[-1][1]} MB", flush=True)
    return samples


async def attend(backend: BackendProcess, room: str, speech: np.ndarray, stay_s: float) -> None:
    async with Peer(backend.ws_url) as peer:
        await peer.join(room, f"Guest {uuid.uuid4().hex[:4]}")
        await peer.connect(np.concatenate([silence(0.5), speech, silence(1.0)]))
        await asyncio.sleep(stay_s)
        await peer.send({"v": 1, "type": "leave"})


async def soak_meeting(backend: BackendProcess, minutes: float) -> list[tuple[float, float]]:
    server = psutil.Process(backend.process.pid)
    speech = load_audio(TESTDATA / "stereo_diarization.wav", channel=0)
    started = time.monotonic()
    samples = [(0.0, rss_mb(server))]
    attendances = 0
    while time.monotonic() - started < minutes * 60:
        stays = [random.uniform(8, 20) for _ in range(MEETING_SIZE)]
        await asyncio.gather(*(attend(backend, "soak-meeting", speech, s) for s in stays))
        attendances += MEETING_SIZE
        elapsed = time.monotonic() - started
        samples.append((round(elapsed / 60, 2), rss_mb(server)))
        print(f"meeting {elapsed / 60:.1f} min, {attendances} attendances: "
              f"{samples[-1][1]} MB", flush=True)  # fmt: skip
    return samples


def growth(samples: list[tuple[Any, float]]) -> float:
    """From the first sample after warming up (the first round's caches and buffers) to the end."""
    return round(samples[-1][1] - samples[min(1, len(samples) - 1)][1], 1)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--joins", type=int, default=3000)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    env = {"RTC_MAX_CONNECTIONS_PER_IP": "0", "RTC_TRANSLATOR": "none"}
    result: dict[str, Any] = {}
    with start_backend(env) as backend:
        if args.joins:
            joins = await soak_joins(backend, args.joins)
            result["joins"] = {"rss_mb": joins, "growth_mb": growth(joins)}
        if args.minutes:
            meeting = await soak_meeting(backend, args.minutes)
            result["meeting"] = {"rss_mb": meeting, "growth_mb": growth(meeting)}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
