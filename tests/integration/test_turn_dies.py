"""The TURN server dies in the middle of a sentence: the speaker relayed through it is told in
seconds, the sentence reaches the listener still in the room; the TURN server is restarted and
the speaker resumes through it, gets the sentence and is captioned again."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.support.client import Peer, load_audio, silence, wait_until_spoken
from tests.support.servers import TESTDATA, BackendProcess, start_backend
from tests.support.turn_server import start_turnserver, stop

pytestmark = pytest.mark.slow
SECRET = secrets.token_hex(16)
DISCONNECT_TIMEOUT_S = 5.0
RESUME_WINDOW_S = 30.0


class Coturn:
    """coturn on one loopback port, which can be stopped and started again on that port."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.proc, self.port = self._start(None)

    def _start(self, port: int | None) -> tuple[subprocess.Popen[bytes], int]:
        binary = shutil.which("turnserver")
        assert binary is not None, "coturn is installed by `make system-packages`"
        loopback_peers = ("--allow-loopback-peers", "--allowed-peer-ip=127.0.0.1")
        return start_turnserver(binary, self.workdir, SECRET, *loopback_peers, port=port)

    def stop(self) -> None:
        stop(self.proc)

    def restart(self) -> None:
        self.proc, _ = self._start(self.port)


@pytest.fixture
def coturn_and_backend(tmp_path: Path) -> Iterator[tuple[Coturn, BackendProcess]]:
    coturn = Coturn(tmp_path)
    env = {
        "RTC_TURN_URLS": f"turn:127.0.0.1:{coturn.port}?transport=udp",
        "RTC_TURN_SECRET": SECRET,
        "RTC_ICE_DISCONNECT_TIMEOUT_S": str(DISCONNECT_TIMEOUT_S),
        "RTC_RESUME_WINDOW_S": str(RESUME_WINDOW_S),
        "RTC_AUDIO_RELAY": "false",
        "RTC_TRANSLATOR": "none",
    }
    try:
        with start_backend(env) as backend:
            yield coturn, backend
    finally:
        coturn.stop()


async def test_turn_dying_mid_sentence_loses_no_sentence(
    coturn_and_backend: tuple[Coturn, BackendProcess],
) -> None:
    coturn, backend = coturn_and_backend
    room = f"turn-dies-{uuid.uuid4().hex[:8]}"
    speech = load_audio(TESTDATA / "jfk.flac")
    async with Peer(backend.ws_url) as listener, Peer(backend.ws_url) as speaker:
        assert (await listener.join(room, "Listener"))["type"] == "joined"
        # Directly: only the speaker's path goes through TURN. A muted microphone's silence keeps
        # the listener's path busy: a receive-only aiortc peer sends only ICE checks, every 4-6 s,
        # which this test's 5 s silence timeout could take for a dead path.
        await listener.connect(silence(1))
        joined = await speaker.join(room, "Speaker")
        await speaker.connect(
            np.concatenate([silence(0.5), speech, silence(3)]),
            ice_servers=joined["ice_servers"],
            relay_only=True,
        )
        await wait_until_spoken(speaker, 0.5 + 6.0)  # in "ask not what your country…"
        coturn.stop()
        died = time.monotonic()

        lost = await speaker.expect("error", timeout=DISCONNECT_TIMEOUT_S + 10)
        told_after = time.monotonic() - died
        assert lost["code"] == "connection_lost", lost
        await speaker.wait_for(lambda: speaker.ws.closed, timeout=10)
        closed_after = time.monotonic() - died
        # The sentence in progress is finished for the listener: nothing left half-shown.
        await listener.wait_for(lambda: not listener.open_utterances(), timeout=20)
        print(
            f"\nTURN died: speaker told after {told_after:.1f} s, its WebSocket closed after "
            f"{closed_after:.1f} s\nlistener: {listener.transcript()}"
        )
        assert told_after <= DISCONNECT_TIMEOUT_S + 4
        assert closed_after <= told_after + 5
        assert "country" in listener.transcript().lower()
        assert listener.signal("participant_left") is None  # held for its resume

        # The TURN server is back; the speaker resumes through it and gets what it missed.
        coturn.restart()
        if speaker.pc is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(speaker.pc.close(), 5)
            speaker.pc = None
        seen = {c["id"] for c in speaker.finals()}
        resumed = await speaker.reconnect(room, "Speaker")
        assert resumed["type"] == "joined" and resumed["resumed"] is True, resumed
        await speaker.connect(
            np.concatenate([silence(0.5), speech, silence(2)]),
            ice_servers=resumed["ice_servers"],
            relay_only=True,
        )
        await speaker.wait_for(
            lambda: {c["id"] for c in listener.finals()} <= {c["id"] for c in speaker.finals()},
            timeout=15,
        )
        missed = [c for c in speaker.finals() if c["id"] not in seen]
        assert missed, "the sentence cut by the failure never reached its speaker"
        # Captioned again, relayed by the restarted TURN server: its new stream's captions.
        await listener.wait_for(
            lambda: any(
                ":2." in c["id"] and "country" in c["text"].lower()
                for c in listener.finals(speaker.participant_id)
            ),
            timeout=40,
        )
