"""The receiver hook the relay stands on, checked against the aiortc installed."""

from __future__ import annotations

import asyncio
import itertools

import av
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack

from rtc_server.webrtc.aiortc_patches.opus_tap import tap_receiver
from rtc_server.webrtc.aiortc_patches.version import check_aiortc


def test_aiortc_is_the_version_the_receiver_hook_was_written_for() -> None:
    check_aiortc()  # a new aiortc: review opus_tap.py, then move AIORTC_VERSION


async def test_the_tap_sees_each_opus_frame_once_in_order_and_decoding_goes_on() -> None:
    sending = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    receiving = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    tapped: list[tuple[bytes, int]] = []
    decoded: list[av.AudioFrame] = []

    async def read(track: MediaStreamTrack) -> None:
        while len(decoded) < 50:
            decoded.append(await track.recv())

    def on_track(track: MediaStreamTrack) -> None:
        receiver = next(r for r in receiving.getReceivers() if r.track is track)
        tap_receiver(receiver, lambda payload, timestamp: tapped.append((payload, timestamp)))
        reading.append(asyncio.ensure_future(read(track)))

    reading: list[asyncio.Future[None]] = []
    receiving.on("track", on_track)
    sending.addTrack(AudioStreamTrack())  # aiortc's silence, Opus-encoded
    try:
        await sending.setLocalDescription(await sending.createOffer())
        await receiving.setRemoteDescription(sending.localDescription)
        await receiving.setLocalDescription(await receiving.createAnswer())
        await sending.setRemoteDescription(receiving.localDescription)
        await asyncio.wait_for(reading[0], 20)
    finally:
        await sending.close()
        await receiving.close()

    assert len(tapped) >= 50
    assert all(payload for payload, _ in tapped)
    steps = {later - earlier for (_, earlier), (_, later) in itertools.pairwise(tapped)}
    assert steps == {960}  # 20 ms frames, in order, none twice
    assert all(frame.sample_rate == 48_000 for frame in decoded)
