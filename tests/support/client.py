"""A real aiortc participant for tests: speaks a recording in real time, collects captions."""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import math
import random
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import aiortc.rtp
import av
import numpy as np
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcconfiguration import RTCIceTransportPolicy
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtp import is_rtcp

from tests.support.servers import BackendProcess


def _audio_level_dbov(frame: av.AudioFrame) -> int:
    """aiortc's RFC 6465 level of an outgoing frame (its every value of the first plane),
    vectorized: aiortc's pure-Python loop made test peers crowd out the server they test."""
    samples = np.frombuffer(memoryview(frame.planes[0]), dtype=np.int16).astype(np.float64)
    rms = math.sqrt(float(np.dot(samples, samples)) / (frame.samples * 32767 * 32767))
    return round(min(max(20 * math.log10(rms), -127), 0)) if rms > 0 else -127


aiortc.rtp.compute_audio_level_dbov = _audio_level_dbov

RATE = 48_000
FRAME = 960  # 20 ms


def load_audio(path: Path, channel: int | None = None, rate: int = RATE) -> np.ndarray:
    """Decode a recording to mono int16 at `rate` (one channel of it, or the mix)."""
    container = av.open(str(path))
    layout = None if channel is not None else "mono"
    resampler = av.AudioResampler(format="s16p", layout=layout, rate=rate)
    pieces = []
    for frame in container.decode(audio=0):
        for out in resampler.resample(frame):
            pieces.append(out.to_ndarray()[channel or 0])
    container.close()
    return np.concatenate(pieces).astype(np.int16)


def silence(seconds: float, rate: int = RATE) -> np.ndarray:
    return np.zeros(int(seconds * rate), dtype=np.int16)


def noise(seconds: float, level: float = 0.05, rate: int = RATE, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.normal(0, level, int(seconds * rate)) * 32767).clip(-32768, 32767).astype(np.int16)


def synthesize(language: str, text: str, folder: Path, words_per_minute: int = 120) -> Path:
    if shutil.which("espeak-ng") is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "espeak-ng"], check=True)
    path = folder / f"{language}.wav"
    speed = str(words_per_minute)
    subprocess.run(["espeak-ng", "-v", language, "-s", speed, "-w", str(path), text], check=True)
    return path


class SpeechTrack(MediaStreamTrack):
    """Plays `audio` once at real-time pace, then silence, like a microphone would."""

    kind = "audio"

    def __init__(self, audio: np.ndarray) -> None:
        super().__init__()
        self._audio = audio
        self._sent = 0
        self._start: float | None = None
        self.finished_at: float | None = None  # monotonic time the last sample went out
        self.started_at: float | None = None

    def play(self, audio: np.ndarray) -> None:
        """Queue more audio after what is playing (silence fills any wait)."""
        remaining = self._audio[self._sent :]
        self._audio = np.concatenate([remaining, audio])
        self._sent = 0
        self.finished_at = None

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
            self.started_at = self._start
            self._pts = 0
        due = self._start + self._pts / RATE
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        chunk = self._audio[self._sent : self._sent + FRAME]
        self._sent += chunk.size
        if chunk.size < FRAME:
            if self.finished_at is None and self._sent >= self._audio.size:
                self.finished_at = time.monotonic()
            chunk = np.concatenate([chunk, np.zeros(FRAME - chunk.size, dtype=np.int16)])
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        self._pts += FRAME
        return frame


@dataclass(frozen=True)
class NetworkFaults:
    """Loss and jitter on the client's outgoing RTP, as a bad network would cause them.

    Loss comes in bursts (a two-state Gilbert model: `loss` of the packets, `burst` packets
    per loss on average); `jitter` of the packets are held back up to `max_delay_s`, so
    later ones overtake them. The server sees real sequence gaps and reordering.
    """

    loss: float
    jitter: float = 0.0
    max_delay_s: float = 0.06
    burst: float = 3.0
    seed: int = 1

    def install(self, transport: RTCDtlsTransport) -> dict[str, int]:
        """Apply to every RTP packet `transport` sends from now on; returns live counts."""
        send = transport._send_rtp
        rng = random.Random(self.seed)
        leave_bad = 1 / self.burst
        enter_bad = self.loss * leave_bad / (1 - self.loss)
        counts = {"sent": 0, "dropped": 0, "delayed": 0}
        state = {"bad": False}
        held: set[asyncio.Task[None]] = set()

        async def send_later(data: bytes, delay: float) -> None:
            await asyncio.sleep(delay)
            with contextlib.suppress(ConnectionError):
                await send(data)

        async def faulty_send(data: bytes) -> None:
            if is_rtcp(data):
                await send(data)
                return
            counts["sent"] += 1
            state["bad"] = rng.random() < (1 - leave_bad if state["bad"] else enter_bad)
            if state["bad"]:
                counts["dropped"] += 1
            elif rng.random() < self.jitter:
                counts["delayed"] += 1
                task = asyncio.ensure_future(send_later(data, rng.uniform(0, self.max_delay_s)))
                held.add(task)
                task.add_done_callback(held.discard)
            else:
                await send(data)

        transport._send_rtp = faulty_send  # type: ignore[method-assign]
        return counts


@dataclass
class Received:
    message: dict[str, Any]
    at: float  # monotonic arrival time


@dataclass
class Peer:
    """Joins over the real signaling protocol and opens a real WebRTC connection."""

    ws_url: str
    signals: list[Received] = field(default_factory=list)
    captions: list[Received] = field(default_factory=list)
    audio_frames: dict[str, list[np.ndarray]] = field(default_factory=dict)
    pc: RTCPeerConnection | None = None
    track: SpeechTrack | None = None
    participant_id: str = ""
    faults: NetworkFaults | None = None  # applied to the audio this peer sends
    fault_counts: dict[str, int] = field(default_factory=dict)
    autoping: bool = True  # False: WebSocket pings go unanswered, as from a frozen client
    resume_token: str = ""
    last_seq: int = 0  # of the newest caption message received
    audio_slots: int = 1  # audio m-sections to offer, as `joined` says

    async def __aenter__(self) -> Peer:
        self._session = aiohttp.ClientSession()
        self._changed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._mids: dict[str, str] = {}
        await self._open_websocket()
        return self

    async def _open_websocket(self) -> None:
        self.ws = await self._session.ws_connect(self.ws_url, autoping=self.autoping)
        self._reader = asyncio.ensure_future(self._read())

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        self._reader.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(self._reader, *self._tasks, return_exceptions=True)
        if self.pc is not None:
            await self.pc.close()
        if not self.ws.closed:
            await self.ws.close()
        await self._session.close()

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.ws.send_str(message if isinstance(message, str) else json.dumps(message))

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                data = json.loads(message.data)
                self.signals.append(Received(data, time.monotonic()))
                # Applied here, in arrival order.
                if data["type"] == "answer" and self.pc is not None:
                    await self.pc.setRemoteDescription(RTCSessionDescription(data["sdp"], "answer"))
                elif data["type"] == "audio_tracks":
                    self._mids = {t["mid"]: t["participant_id"] for t in data["tracks"]}
                self._notify()
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, condition: Callable[[], Any], timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("condition not met in time")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))

    def signal(self, kind: str, after: int = 0) -> dict[str, Any] | None:
        for received in self.signals[after:]:
            if received.message["type"] == kind:
                return received.message
        return None

    async def expect(self, kind: str, timeout: float = 10, after: int = 0) -> dict[str, Any]:
        return await self.wait_for(lambda: self.signal(kind, after), timeout)  # type: ignore[no-any-return]

    async def join(
        self,
        room: str,
        name: str,
        language: str = "en",
        caption_language: str | None = None,
        token: str | None = None,
        resume: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        start = len(self.signals)
        message = {
            "v": 1,
            "type": "join",
            "room": room,
            "name": name,
            "language": language,
            "caption_language": caption_language,
            **({} if token is None else {"token": token}),
            **({} if resume is None else {"resume": resume}),
        }
        await self.send(message)
        joined = await self.wait_for(
            lambda: self.signal("joined", start) or self.signal("error", start), 30
        )
        if joined["type"] == "joined":
            self.participant_id = joined["participant_id"]
            self.resume_token = joined["resume_token"]
            self.audio_slots = joined.get("audio_slots", 1)  # older servers: one
        return joined  # type: ignore[no-any-return]

    # Network faults

    async def cut(self) -> None:
        """Drop the WebSocket's TCP connection without a close frame, and the peer connection
        with it, as when a laptop changes networks."""
        self.ws._conn.transport.abort()  # type: ignore[union-attr]
        await asyncio.gather(self._reader, return_exceptions=True)
        if self.pc is not None:
            await self.pc.close()
            self.pc = None

    async def reconnect(self, room: str, name: str) -> dict[str, Any]:
        """A new WebSocket that resumes this participant (call `connect` next)."""
        await self._open_websocket()
        return await self.resume(room, name)

    async def resume(self, room: str, name: str) -> dict[str, Any]:
        """Join as the participant and resume token set on this peer."""
        resume = {
            "participant_id": self.participant_id,
            "token": self.resume_token,
            "last_seq": self.last_seq,
        }
        return await self.join(room, name, resume=resume)

    def vanish_media(self) -> None:
        """Go silent on the media connection without closing it: its sockets stop, so
        no media, data or ICE check reaches the server any more."""
        assert self.pc is not None
        for transceiver in self.pc.getTransceivers():
            connection = transceiver.receiver.transport.transport._connection
            for protocol in connection._protocols:
                protocol.transport.close()

    async def connect(
        self,
        audio: np.ndarray | None,
        ice_servers: list[dict[str, Any]] | None = None,
        relay_only: bool = False,
        timeout: float = 20,
        rewrite_offer: Callable[[str], str] = lambda sdp: sdp,
    ) -> None:
        """Offer audio (or receive-only when None) and a captions channel; wait until open.
        `rewrite_offer` edits the offer's SDP first, as another browser would have written it."""
        servers = [
            RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
            for s in ice_servers or []
        ]
        policy = RTCIceTransportPolicy.RELAY if relay_only else RTCIceTransportPolicy.ALL
        self.pc = pc = RTCPeerConnection(
            RTCConfiguration(iceServers=servers, iceTransportPolicy=policy)
        )
        if audio is not None:
            self.track = SpeechTrack(audio)
            pc.addTrack(self.track)
        for _ in range(max(1, self.audio_slots) - (audio is not None)):
            pc.addTransceiver("audio", direction="recvonly")
        channel = pc.createDataChannel("captions")
        opened = asyncio.Event()
        channel.on("open", opened.set)
        channel.on("message", self._on_caption)
        pc.on("track", self._on_track)
        offer = rewrite_offer((await pc.createOffer()).sdp)
        await pc.setLocalDescription(RTCSessionDescription(offer, "offer"))
        start = len(self.signals)
        await self.send({"v": 1, "type": "offer", "sdp": pc.localDescription.sdp})
        reply = await self.wait_for(
            lambda: self.signal("answer", start) or self.signal("error", start), timeout
        )
        if reply["type"] == "answer":
            reply = await self.wait_for(
                lambda: opened.is_set() or self.signal("error", start), timeout
            )
        if isinstance(reply, dict) and reply["type"] == "error":
            raise ConnectionError(f"{reply['code']}: {reply['message']}")
        if self.faults is not None and self.track is not None:
            sender = next(s for s in pc.getSenders() if s.track is self.track)
            self.fault_counts = self.faults.install(sender.transport)

    def new_ssrc(self) -> None:
        """Send the microphone under a new SSRC from now on, as a client restarting its
        sender may (aiortc internals, touched only here)."""
        assert self.pc is not None
        sender = next(s for s in self.pc.getSenders() if s.track is self.track)
        sender._ssrc = random.getrandbits(32)

    def _on_caption(self, data: str) -> None:
        message = json.loads(data)
        self.captions.append(Received(message, time.monotonic()))
        self.last_seq = max(self.last_seq, message["seq"])
        self._notify()

    def _on_track(self, track: MediaStreamTrack) -> None:
        async def read() -> None:
            transceiver = (
                next((t for t in self.pc.getTransceivers() if t.receiver.track is track), None)
                if self.pc
                else None
            )
            while True:
                try:
                    frame = await track.recv()
                except MediaStreamError:
                    return
                mid = transceiver.mid if transceiver else "?"
                source = self._mids.get(mid or "?", mid or "?")
                self.audio_frames.setdefault(source, []).append(frame.to_ndarray())

        self._tasks.append(asyncio.ensure_future(read()))

    # Views of what arrived

    def finals(self, speaker_id: str | None = None) -> list[dict[str, Any]]:
        return [
            r.message
            for r in self.captions
            if r.message["type"] == "caption"
            and r.message["final"]
            and not r.message.get("history")
            and (speaker_id is None or r.message["speaker"]["id"] == speaker_id)
        ]

    def partials(self) -> list[dict[str, Any]]:
        return [
            r.message
            for r in self.captions
            if r.message["type"] == "caption" and not r.message["final"]
        ]

    def translations(self, final: bool = True) -> list[dict[str, Any]]:
        return [
            r.message
            for r in self.captions
            if r.message["type"] == "translation" and r.message["final"] == final
        ]

    def open_utterances(self) -> set[str]:
        """Caption ids seen as partials that have neither a final nor a withdrawal yet."""
        ended = {c["id"] for c in self.finals()} | {
            r.message["id"] for r in self.captions if r.message["type"] == "caption_withdrawn"
        }
        return {c["id"] for c in self.partials()} - ended

    def transcript(self, speaker_id: str | None = None) -> str:
        return " ".join(caption["text"] for caption in self.finals(speaker_id))


# Scenarios more than one test plays.

TRAILING_SILENCE_S = 3.0


def _room() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


async def speak_and_collect(
    backend: BackendProcess, audio: np.ndarray, language: str = "en"
) -> tuple[Peer, float]:
    """Stream `audio` and return the client once the final caption of the last speech is in,
    with the delay from the end of the speech audio to that final."""
    async with Peer(backend.ws_url) as speaker:
        joined = await speaker.join(_room(), "Speaker", language=language)
        assert joined["type"] == "joined", joined
        await speaker.connect(np.concatenate([silence(0.5), audio, silence(TRAILING_SILENCE_S)]))
        assert speaker.track is not None
        speech_seconds = (audio.size / 48_000) + 0.5
        await speaker.wait_for(
            lambda: (
                speaker.track.started_at  # type: ignore[union-attr]
                and time.monotonic() - speaker.track.started_at
                > speech_seconds + TRAILING_SILENCE_S
            ),
            timeout=speech_seconds + 60,
        )
        await speaker.wait_for(lambda: not speaker.open_utterances(), timeout=30)
        speech_end = speaker.track.started_at + speech_seconds  # type: ignore[operator]
        last_final = max((r.at for r in speaker.captions if r.message.get("final")), default=0)
        return speaker, last_final - speech_end


async def wait_until_spoken(peer: Peer, seconds: float) -> None:
    track = peer.track
    assert track is not None
    await peer.wait_for(
        lambda: track.started_at and time.monotonic() - track.started_at > seconds, seconds + 30
    )


def selected_pair(peer: Peer) -> tuple[str, str]:
    """Types of the nominated local and remote candidates (aioice internals, read only here)."""
    assert peer.pc is not None
    ice = peer.pc.getTransceivers()[0].sender.transport.transport
    pair = ice._connection._nominated[1]
    return pair.local_candidate.type, pair.remote_candidate.type
