"""How many participants one room holds on this machine with captions still arriving.

Every participant joins with a microphone (with the audio relay on, the server sends N*(N-1)
audio streams); one of them speaks the JFK recording. The participants are aiortc peers in
this same process, so they share the machine with the server. For each room size, prints how
long the last participant took to join and, over all listeners, the median and worst delay from
the end of speech to the final caption.

    .venv/bin/python -m bench.room_capacity --sizes 2,4,6,8
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

import numpy as np

from bench.speech import LEAD_S, speech_span
from tests.client import Peer, load_audio, silence
from tests.servers import TESTDATA, BackendProcess, start_backend

GIVE_UP_S = 30.0


async def run_room(backend: BackendProcess, size: int, speech: np.ndarray) -> str:
    room = f"cap-{uuid.uuid4().hex[:8]}"
    peers = [Peer(backend.ws_url) for _ in range(size)]
    try:
        join_s = 0.0
        for index, peer in enumerate(peers):
            await peer.__aenter__()
            await peer.join(room, f"P{index}", caption_language="en")
            started = time.monotonic()
            await peer.connect(silence(0.1))
            join_s = time.monotonic() - started
        speaker = peers[0]
        assert speaker.track is not None
        track = speaker.track
        track.play(np.concatenate([silence(LEAD_S), speech, silence(3)]))
        await speaker.wait_for(lambda: track.finished_at, timeout=60)
        _, end_s = speech_span(speech)
        spoken_to = track.finished_at - 3 - (speech.size / 48_000 - end_s)  # type: ignore[operator]
        delays = []
        for peer in peers:
            try:
                await peer.wait_for(
                    lambda p=peer: p.finals(speaker.participant_id) and not p.open_utterances(),
                    timeout=GIVE_UP_S,
                )
            except TimeoutError:
                return f"{size:4} participants: captions stopped arriving (>{GIVE_UP_S:.0f} s)"
            last = max(r.at for r in peer.captions if r.message.get("final"))
            delays.append(last - spoken_to)
        return (
            f"{size:4} participants: last join {join_s:5.2f} s, final delay median "
            f"{statistics.median(delays):5.2f} s, worst {max(delays):5.2f} s"
        )
    finally:
        for peer in peers:
            await peer.close()


async def main(sizes: list[int], relay: bool) -> None:
    speech = load_audio(TESTDATA / "jfk.flac")
    env = {
        "RTC_MAX_ROOM_SIZE": str(max(sizes)),
        "RTC_TRANSLATOR": "none",
        "RTC_AUDIO_RELAY": str(relay).lower(),
    }
    print(f"audio relay between participants: {'on' if relay else 'off'}")
    with start_backend(env) as backend:
        for size in sizes:
            line = await run_room(backend, size, speech)
            print(line, flush=True)
            if "stopped" in line:
                break


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2,4,6,8")
    parser.add_argument("--relay", action=argparse.BooleanOptionalAction, default=True)
    arguments = parser.parse_args()
    asyncio.run(main([int(size) for size in arguments.sizes.split(",")], arguments.relay))
