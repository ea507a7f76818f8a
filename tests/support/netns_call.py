"""One meeting inside a network namespace whose loopback is degraded on purpose.

Run by `tests/integration/test_media_path_faults.py` as
`ip netns exec NS python -m tests.support.netns_call FAULT`:
a server, a listener and a speaker (the JFK recording), all on the namespace's loopback, and:

- `loss`: 10 % of UDP packets (all the media) dropped at random once both are connected;
- `blackhole`: 6 s into the speech every UDP packet is dropped (the media path dies, the
  WebSocket does not) until the server has said `connection_lost`; then both resume.

(iptables, as this kernel has no netem.)

Prints one JSON line: what each client was told and when, what it received, and what the
server stored.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request
import uuid
from typing import Any

import numpy as np

from rtc_server.webrtc.aiortc_patches.host_addresses import restrict_host_addresses
from tests.support.client import Peer, load_audio, silence
from tests.support.servers import TESTDATA, BackendProcess, start_backend

DISCONNECT_TIMEOUT_S = 5.0
LOSE_UDP = ("-p", "udp", "-m", "statistic", "--mode", "random", "--probability", "0.1")
LOSE_UDP += ("-j", "DROP")
DROP_UDP = ("-p", "udp", "-j", "DROP")


async def run(*command: str) -> str:
    process = await asyncio.create_subprocess_exec(*command, stdout=subprocess.PIPE)
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode})")
    return output.decode()


async def dropped_packets() -> int:
    listing = await run("iptables", "-L", "OUTPUT", "-v", "-n", "-x")
    return sum(int(line.split()[0]) for line in listing.splitlines() if "DROP" in line)


def stored_finals(backend: BackendProcess, room: str) -> list[dict[str, Any]]:
    url = f"{backend.base_url}/api/rooms/{room}/transcript?format=json"
    with urllib.request.urlopen(url, timeout=10) as response:
        captions: list[dict[str, Any]] = json.load(response)["captions"]
    return captions


def received(peer: Peer) -> list[str]:
    return [c["id"] for c in peer.finals()]


async def resume(peer: Peer, room: str, name: str, audio: np.ndarray | None) -> None:
    if peer.pc is not None:
        await peer.pc.close()
        peer.pc = None
    await peer.ws.close()
    rejoined = await peer.reconnect(room, name)
    assert rejoined.get("resumed") is True, rejoined
    await peer.connect(audio)


async def call(fault: str) -> dict[str, Any]:
    await run("ip", "link", "set", "lo", "up")
    restrict_host_addresses(["127.0.0.1"])  # the clients' ICE too: loopback is all there is
    env = {
        "RTC_ICE_DISCONNECT_TIMEOUT_S": str(DISCONNECT_TIMEOUT_S),
        "RTC_RESUME_WINDOW_S": "60",
        "RTC_AUDIO_RELAY": "false",
        "RTC_TRANSLATOR": "none",
    }
    room = f"netns-{uuid.uuid4().hex[:8]}"
    speech = np.concatenate([silence(0.5), load_audio(TESTDATA / "jfk.flac"), silence(3)])
    result: dict[str, Any] = {"fault": fault}
    with start_backend(env) as backend:
        async with Peer(backend.ws_url) as listener, Peer(backend.ws_url) as speaker:
            await listener.join(room, "Listener")
            await listener.connect(None)
            await speaker.join(room, "Speaker")
            await speaker.connect(speech)
            if fault == "loss":
                await run("iptables", "-A", "OUTPUT", *LOSE_UDP)
            track = speaker.track
            assert track is not None
            await speaker.wait_for(
                lambda: track.started_at and time.monotonic() - track.started_at > 6.5, 30
            )
            if fault == "blackhole":
                await run("iptables", "-A", "OUTPUT", *DROP_UDP)
                cut = time.monotonic()
                lost = await speaker.expect("error", timeout=DISCONNECT_TIMEOUT_S + 15)
                result["speaker_told"] = [lost["code"], round(time.monotonic() - cut, 1)]
                await speaker.wait_for(lambda: speaker.ws.closed, timeout=15)
                result["speaker_hung_up_after_s"] = round(time.monotonic() - cut, 1)
                await listener.expect("error", timeout=15)
                result["dropped_packets"] = await dropped_packets()
                await run("iptables", "-D", "OUTPUT", *DROP_UDP)
                result["blackhole_s"] = round(time.monotonic() - cut, 1)
                await resume(speaker, room, "Speaker", silence(2))
                await resume(listener, room, "Listener", None)
            await asyncio.sleep(12)  # the rest of the speech, and its last final
            for peer in (listener, speaker):
                await peer.wait_for(lambda p=peer: not p.open_utterances(), timeout=30)
            if fault == "loss":
                result["dropped_packets"] = await dropped_packets()
            stored = stored_finals(backend, room)
            result["stored"] = [c["id"] for c in stored]
            result["stored_text"] = " ".join(c["text"] for c in stored)
            result["listener_received"] = received(listener)
            result["speaker_received"] = received(speaker)
            result["listener_transcript"] = listener.transcript()
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(call(sys.argv[1]))))
