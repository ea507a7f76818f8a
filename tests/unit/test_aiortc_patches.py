"""Every workaround in rtc_server.webrtc.aiortc_patches, checked against the aiortc installed:
each test fails when an internal it reaches into moves."""

from __future__ import annotations

import asyncio
import inspect
import itertools

import aioice.ice
import aiortc.rtcrtpreceiver
import av
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.jitterbuffer import JitterBuffer
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack
from aiortc.rtp import RtpPacket

from rtc_server.webrtc.aiortc_patches.inbound_activity import InboundActivity
from rtc_server.webrtc.aiortc_patches.jitter import AudioJitterBuffer
from rtc_server.webrtc.aiortc_patches.opus_tap import tap_receiver
from rtc_server.webrtc.aiortc_patches.received_tracks import end_received_tracks
from rtc_server.webrtc.aiortc_patches.version import check_aiortc


def test_aiortc_is_the_version_the_workarounds_were_written_for() -> None:
    check_aiortc()  # a new aiortc: review every aiortc_patches module, then move AIORTC_VERSION


def test_the_internals_the_process_wide_patches_replace_are_still_there() -> None:
    assert callable(aioice.ice.get_host_addresses)  # host_addresses replaces it
    # jitter replaces the module-level name the receiver builds its buffer with
    assert "JitterBuffer(" in inspect.getsource(aiortc.rtcrtpreceiver.RTCRtpReceiver.__init__)
    buffer = AudioJitterBuffer(capacity=16, prefetch=4)
    for name in ("_packets", "_prefetch", "_origin", "_capacity"):
        assert hasattr(buffer, name), name
    assert callable(buffer.remove) and callable(buffer._remove_frame)


async def test_the_tracks_of_a_peer_that_never_connected_are_ended() -> None:
    sending = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    receiving = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    tracks: list[MediaStreamTrack] = []
    receiving.on("track", tracks.append)
    sending.addTrack(AudioStreamTrack())
    try:
        await sending.setLocalDescription(await sending.createOffer())
        await receiving.setRemoteDescription(sending.localDescription)
        end_received_tracks(receiving)
        with pytest.raises(MediaStreamError):
            await asyncio.wait_for(tracks[0].recv(), 5)
    finally:
        await sending.close()
        await receiving.close()


async def test_the_tap_sees_each_opus_frame_once_in_order_and_decoding_goes_on() -> None:
    sending = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    receiving = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    tapped: list[tuple[bytes, int]] = []
    decoded: list[av.AudioFrame] = []

    async def read(track: MediaStreamTrack) -> None:
        while len(decoded) < 50:
            decoded.append(await track.recv())

    def on_track(track: MediaStreamTrack) -> None:
        activity.append(InboundActivity(receiving))
        receiver = next(r for r in receiving.getReceivers() if r.track is track)
        tap_receiver(receiver, lambda payload, timestamp: tapped.append((payload, timestamp)))
        reading.append(asyncio.ensure_future(read(track)))

    reading: list[asyncio.Future[None]] = []
    activity: list[InboundActivity] = []
    receiving.on("track", on_track)
    sending.addTrack(AudioStreamTrack())  # aiortc's silence, Opus-encoded
    try:
        await sending.setLocalDescription(await sending.createOffer())
        await receiving.setRemoteDescription(sending.localDescription)
        await receiving.setLocalDescription(await receiving.createAnswer())
        await sending.setRemoteDescription(receiving.localDescription)
        await asyncio.wait_for(reading[0], 20)
        assert activity[0].idle_s() < 0.1  # a second of audio: it saw packets arriving
    finally:
        await sending.close()
        await receiving.close()

    assert len(tapped) >= 50
    assert all(payload for payload, _ in tapped)
    steps = {later - earlier for (_, earlier), (_, later) in itertools.pairwise(tapped)}
    assert steps == {960}  # 20 ms frames, in order, none twice
    assert all(frame.sample_rate == 48_000 for frame in decoded)


def released(buffer: JitterBuffer, arrivals: list[int]) -> list[int]:
    """Feed RTP packets (by sequence number, in arrival order); the frames that come out."""
    out = []
    for number in arrivals:
        packet = RtpPacket(payload_type=111, sequence_number=number, timestamp=number * 960)
        packet._data = b"opus"  # type: ignore[attr-defined]  # what the receiver depayloads
        _, frame = buffer.add(packet)
        if frame is not None:
            out.append(frame.timestamp // 960)
    return out


@pytest.mark.parametrize("make", [AudioJitterBuffer, JitterBuffer], ids=["ours", "aiortc"])
def test_a_lost_packet_costs_only_its_own_frame(make: type[JitterBuffer]) -> None:
    lost = {10, 11, 30, 50, 51, 52, 70}
    late = {20: 22, 40: 43}  # 20 arrives after 22; 40 after 43
    order: list[int] = []
    for number in range(100):
        if number in lost or number in late:
            continue
        order.append(number)
        order += [early for early, after in late.items() if after == number]
    out = released(make(capacity=16, prefetch=4), order)
    assert out == sorted(out)
    expected = [n for n in range(100) if n not in lost]
    if make is AudioJitterBuffer:
        assert out == expected[: len(out)] and len(out) >= len(expected) - 5
    else:  # aiortc's own buffer loses received audio too: why ours replaces it
        assert len(out) < len(expected) - 5
