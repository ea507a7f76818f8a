"""One client's peer connection: the single offer and answer, candidates, relayed audio slots,
and whether the client is still there.

The client offers once (its microphone plus receive-only sections for others' voices) and the
server answers; the server never renegotiates (docs/protocol.md). What the link learns (a
track, the caption channel, a failed or vanished connection) it reports through `PeerEvents`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Literal, Protocol

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcdatachannel import RTCDataChannel
from aiortc.sdp import MediaDescription, SessionDescription, candidate_from_sdp

from rtc_server.observability import metrics
from rtc_server.tasks import BackgroundTasks
from rtc_server.webrtc.aiortc_patches.inbound_activity import InboundActivity
from rtc_server.webrtc.aiortc_patches.received_tracks import end_received_tracks
from rtc_server.webrtc.relay import ForwardedAudio
from rtc_server.webrtc.turn_check import TurnProblem, check_turn

log = logging.getLogger(__name__)

CAPTION_CHANNEL = "captions"
PEER_CLOSE_TIMEOUT_S = 3.0


class NegotiationError(Exception):
    """The client's offer or candidate cannot be used; the message says why."""

    def __init__(self, kind: Literal["bad_sdp", "no_audio", "bad_candidate"], message: str):
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Offer:
    sdp: str
    audio: list[MediaDescription]

    @property
    def sends_audio(self) -> bool:
        return any(media.direction in ("sendrecv", "sendonly") for media in self.audio)


def read_offer(sdp: str) -> Offer:
    """Check an offer's shape before anything is set up for it."""
    try:
        parsed = SessionDescription.parse(sdp)
    except Exception as error:
        raise NegotiationError("bad_sdp", f"the offer could not be parsed: {error}") from None
    if not sdp.startswith("v=0") or not parsed.media:
        raise NegotiationError("bad_sdp", "the offer is not an SDP session with media sections")
    audio = [media for media in parsed.media if media.kind == "audio"]
    if not audio:
        raise NegotiationError("no_audio", "the offer has no audio section")
    microphones = [media for media in audio if media.direction in ("sendrecv", "sendonly")]
    if len(microphones) > 1:
        raise NegotiationError(
            "bad_sdp",
            f"the offer sends audio in {len(microphones)} sections; send the microphone "
            "in one and only receive in the others",
        )
    return Offer(sdp, audio)


class PeerEvents(Protocol):
    def on_audio_track(self, track: MediaStreamTrack, receiver: RTCRtpReceiver) -> None: ...

    def on_caption_channel(self, channel: RTCDataChannel) -> None: ...

    def on_connection_failed(self, message: str, cause: str | None) -> None:
        """No media can flow: ICE failed, never connected, or TURN gave no relay."""

    def on_connection_lost(self, message: str) -> None:
        """The peer sent nothing at all, not even ICE checks, for too long."""


class PeerLink:
    def __init__(
        self,
        configuration: RTCConfiguration,
        events: PeerEvents,
        relay_only: bool,
        disconnect_timeout_s: float,
    ) -> None:
        self._configuration = configuration
        self._events = events
        self._relay_only = relay_only
        self._disconnect_timeout_s = disconnect_timeout_s
        self._pc = RTCPeerConnection(configuration)
        metrics.PEER_CONNECTIONS.inc()
        self._tasks = BackgroundTasks()
        self._closed = False
        self.slots: list[ForwardedAudio] = []  # others' voices, one per audio transceiver
        self.slot_mids: list[str] = []
        self._pc.on("track", self._on_track)
        self._pc.on("datachannel", self._on_datachannel)
        self._pc.on("connectionstatechange", self._on_connection_state)

    @property
    def connected(self) -> bool:
        return self._pc.connectionState == "connected"

    async def answer(self, offer: Offer, relay_slots: int) -> str | None:
        """The answer's SDP, with up to `relay_slots` receive sections carrying others'
        voices; None when the server may only relay and has no relay address (the events
        have been told why)."""
        try:
            await self._pc.setRemoteDescription(RTCSessionDescription(offer.sdp, "offer"))
            self._fill_slots(offer.audio, relay_slots)
            await self._pc.setLocalDescription(await self._pc.createAnswer())
        except Exception as error:
            log.warning("offer refused", exc_info=True)
            raise NegotiationError("bad_sdp", f"the offer could not be applied: {error}") from None
        sdp: str = self._pc.localDescription.sdp
        if self._relay_only and " typ relay" not in sdp:
            await self._no_relay()
            return None
        return sdp

    def _fill_slots(self, audio: list[MediaDescription], count: int) -> None:
        """Every audio section the client can receive on carries one relayed voice."""
        receives = {m.rtp.muxId for m in audio if m.direction in ("sendrecv", "recvonly")}
        for transceiver in self._pc.getTransceivers():
            if transceiver.mid not in receives or len(self.slots) >= count:
                continue
            slot = ForwardedAudio()
            transceiver.sender.replaceTrack(slot)
            transceiver.direction = "sendrecv"  # the answer narrows it to what the client offered
            self.slots.append(slot)
            self.slot_mids.append(transceiver.mid)

    async def add_candidate(
        self, candidate: str | None, mid: str | None, index: int | None
    ) -> None:
        if not candidate:
            await self._pc.addIceCandidate(None)  # end of candidates
            return
        try:
            parsed = candidate_from_sdp(candidate.removeprefix("candidate:"))
        except Exception as error:
            raise NegotiationError("bad_candidate", f"unreadable candidate: {error}") from None
        parsed.sdpMid = mid
        parsed.sdpMLineIndex = index
        try:
            await self._pc.addIceCandidate(parsed)
        except Exception as error:
            raise NegotiationError("bad_candidate", f"candidate refused: {error}") from None

    @property
    def has_offer(self) -> bool:
        return self._pc.remoteDescription is not None

    def require_connection(self, timeout_s: float) -> None:
        """ICE can wait forever for candidates that never come (say, TURN refused the
        client's credentials): give up with a clear error instead of hanging."""
        self._tasks.spawn(self._require_connection(timeout_s))

    async def _require_connection(self, timeout_s: float) -> None:
        await asyncio.sleep(timeout_s)
        if not self.connected:
            self._events.on_connection_failed(
                f"no media connection after {timeout_s:.0f} s; if you force relay, "
                "check that the TURN server is reachable and accepts your credentials",
                None,
            )

    async def _no_relay(self) -> None:
        """The server may only use TURN, and gathering gave it no relay address: no media
        can flow, so say why now rather than after the connect timeout."""
        # Gathering already waited for TURN: a short check is enough to tell why it failed.
        trouble = await check_turn(self._configuration, timeout_s=1.5)
        cause = trouble.describe() if trouble else "the TURN server gave no relay address"
        self._events.on_connection_failed(
            f"the server cannot relay media: {cause}; the server's operator must fix its TURN "
            "settings",
            (trouble.problem if trouble else TurnProblem.FAILED).value,
        )

    # Peer connection events

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind != "audio" or self._closed:
            return
        receiver = next(r for r in self._pc.getReceivers() if r.track is track)
        self._events.on_audio_track(track, receiver)

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        if channel.label == CAPTION_CHANNEL and not self._closed:
            self._events.on_caption_channel(channel)

    async def _on_connection_state(self) -> None:
        if self._closed:
            return
        if self._pc.connectionState == "failed":
            self._events.on_connection_failed(
                "the media connection failed (ICE); join again to retry", None
            )
        elif self._pc.connectionState == "connected":
            self._tasks.spawn(self._watch_liveness(InboundActivity(self._pc)))

    async def _watch_liveness(self, inbound: InboundActivity) -> None:
        """Report the peer lost once it has sent nothing, not even ICE checks, for the
        disconnect timeout: it has vanished without closing anything."""
        timeout_s = self._disconnect_timeout_s
        while True:
            idle = inbound.idle_s()
            if self._closed:
                return  # it ends anyway; its peer went quiet because of that
            if idle > timeout_s:
                break
            await asyncio.sleep(timeout_s - idle + 0.1)
        log.info("nothing received for %.0f s", inbound.idle_s())
        self._events.on_connection_lost(
            f"nothing arrived from your media connection for {timeout_s:.0f} s; "
            "resume the session (or join again) to continue"
        )

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for slot in self.slots:
            slot.stop()
        await self._tasks.cancel_all()
        try:
            # Closing says goodbye over the network (DTLS alert, TURN deallocation): a dead
            # path or TURN server must not hold the session's end.
            await asyncio.wait_for(self._pc.close(), PEER_CLOSE_TIMEOUT_S)
        except TimeoutError:
            log.warning("peer connection did not close within %.0f s", PEER_CLOSE_TIMEOUT_S)
        end_received_tracks(self._pc)
        metrics.PEER_CONNECTIONS.dec()
