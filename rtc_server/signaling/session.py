"""One signaling connection: its room membership, peer connection and speech stream.

Everything a session starts (peer connection, tasks, relayed tracks, recognizer) is released
in `close`, whatever ended it: a leave message, the WebSocket closing, ICE failing, shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcdatachannel import RTCDataChannel
from aiortc.sdp import MediaDescription, SessionDescription, candidate_from_sdp

from rtc_server.asr.hearing import MESSAGES, Hearing, HearingWatch
from rtc_server.asr.recognizer import Audio
from rtc_server.asr.stream import RecognizeStream
from rtc_server.observability import logs, metrics
from rtc_server.rooms.membership import Participant, Room
from rtc_server.runtime import Runtime
from rtc_server.signaling.messages import (
    Candidate,
    ClientMessage,
    IceFailed,
    IceFailureCause,
    Join,
    Leave,
    Offer,
    Ping,
    ProtocolError,
    SetCaptionLanguage,
    server_message,
)
from rtc_server.tasks import BackgroundTasks, start_task
from rtc_server.webrtc.aiortc_patches.inbound_activity import InboundActivity
from rtc_server.webrtc.aiortc_patches.received_tracks import end_received_tracks
from rtc_server.webrtc.ice import browser_ice_policy, browser_ice_servers, server_rtc_configuration
from rtc_server.webrtc.media import pump_audio
from rtc_server.webrtc.relay import ForwardedAudio
from rtc_server.webrtc.turn_check import TurnProblem, check_turn

log = logging.getLogger(__name__)

CAPTION_CHANNEL = "captions"
PEER_CLOSE_TIMEOUT_S = 3.0
LAST_FINAL_TIMEOUT_S = 15.0  # how long a leaving speaker's last words may take to decode
DELAY_CHECK_S = 0.5
BROWSER_ICE_FAILURES: dict[IceFailureCause, str] = {
    "turn_refused": "the TURN server refused its credentials",
    "turn_unreachable": "the TURN server did not answer",
    "no_candidates": "it found no network address to use",
}


class Session:
    def __init__(
        self,
        runtime: Callable[[], Runtime | None],
        send: Callable[[str], None],
        on_closed: Callable[[Session], None],
    ) -> None:
        self.participant_id = f"p-{secrets.token_hex(4)}"
        self._runtime = runtime
        self._send = send
        self._on_closed = on_closed
        self._rt: Runtime | None = None
        self._participant: Participant | None = None
        self._room: Room | None = None
        self._pc: RTCPeerConnection | None = None
        self._stream: RecognizeStream | None = None
        self._pump: asyncio.Task[None] | None = None
        self._publisher: asyncio.Task[None] | None = None
        self._tasks = BackgroundTasks()
        self._slots: list[ForwardedAudio] = []  # others' voices, one per audio transceiver
        self._slot_mids: list[str] = []
        self._audio_arrived_at: float | None = None  # monotonic time of the latest audio
        self._closing: asyncio.Task[None] | None = None
        self._resumed_after: int | None = None  # the client's last caption seq, if resumed

    @property
    def closed(self) -> bool:
        return self._closing is not None

    async def handle(self, message: ClientMessage) -> None:
        if self.closed:
            raise ProtocolError("not_joined", "this session has ended; open a new connection")
        match message:
            case Join():
                await self._join(message)
            case Offer():
                await self._offer(message)
            case Candidate():
                await self._candidate(message)
            case SetCaptionLanguage():
                room, participant = self._membership()
                room.set_caption_language(participant, message.language)
            case Leave():
                self._send(server_message("left"))
                await self.close("left")
            case Ping():
                self._send(server_message("pong"))
            case IceFailed():
                await self._browser_ice_failed(message.cause, message.detail)

    # Joining

    async def _join(self, message: Join) -> None:
        if self._participant is not None:
            raise ProtocolError("already_joined", "this connection has already joined a room")
        runtime = self._runtime()
        if runtime is None:
            raise ProtocolError("not_ready", "the speech model is still loading; retry shortly")
        if message.resume is not None:
            room, participant = runtime.rooms.resume(
                message.room, message.resume, self._send, self._hand_over
            )
            self.participant_id = participant.id
            self._resumed_after = message.resume.last_seq
        else:
            participant = Participant(
                id=self.participant_id,
                name=message.name,
                language=message.language,
                caption_language=message.caption_language,
                send_signal=self._send,
                hand_over=self._hand_over,
            )
            room = await runtime.rooms.join(message.room, participant)
            if self.closed:  # ended while the room was opening
                runtime.rooms.leave(room, participant, "disconnected")
                return
        settings = runtime.settings
        self._rt, self._participant, self._room = runtime, participant, room
        logs.bind(room=room.id)
        self._send(
            server_message(
                "joined",
                participant_id=self.participant_id,
                room=room.id,
                ice_servers=browser_ice_servers(settings, self._turn_user(room)),
                ice_transport_policy=browser_ice_policy(settings),
                translation={
                    "backend": runtime.translation.backend,
                    "targets": runtime.translation.targets,
                },
                participants=room.participant_list(),
                resume_token=participant.resume_token,
                resumed=message.resume is not None,
                audio_slots=settings.forward_speakers if settings.audio_relay else 0,
            )
        )
        room.check_translation(participant)

    def _turn_user(self, room: Room) -> str:
        """TURN credentials name the room session they were minted for."""
        return f"{room.id}:{self.participant_id}"

    def _membership(self) -> tuple[Room, Participant]:
        if self._room is None or self._participant is None:
            raise ProtocolError("not_joined", "send join first")
        return self._room, self._participant

    # Negotiation: one offer from the client, one answer; the server never renegotiates.

    async def _offer(self, message: Offer) -> None:
        room, _ = self._membership()
        if self._pc is not None:
            raise ProtocolError("already_offered", "this session already has a connection")
        try:
            parsed = SessionDescription.parse(message.sdp)
        except Exception as error:
            raise ProtocolError("bad_sdp", f"the offer could not be parsed: {error}") from None
        if not message.sdp.startswith("v=0") or not parsed.media:
            raise ProtocolError("bad_sdp", "the offer is not an SDP session with media sections")
        audio = [media for media in parsed.media if media.kind == "audio"]
        if not audio:
            raise ProtocolError("no_audio", "the offer has no audio section")
        microphones = [media for media in audio if media.direction in ("sendrecv", "sendonly")]
        if len(microphones) > 1:
            raise ProtocolError(
                "bad_sdp",
                f"the offer sends audio in {len(microphones)} sections; send the microphone "
                "in one and only receive in the others",
            )
        assert self._rt is not None
        self._claim_speaker_slot(bool(microphones))
        configuration = server_rtc_configuration(self._rt.settings, self._turn_user(room))
        pc = RTCPeerConnection(configuration)
        metrics.PEER_CONNECTIONS.inc()
        self._pc = pc
        pc.on("track", self._on_track)
        pc.on("datachannel", self._on_datachannel)
        pc.on("connectionstatechange", self._on_connection_state)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(message.sdp, "offer"))
            self._fill_slots(pc, audio, room)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as error:
            log.warning("%s: offer refused", self.participant_id, exc_info=True)
            self._pc = None
            for slot in self._slots:
                slot.stop()
            self._slots, self._slot_mids = [], []
            self._rt.speakers.discard(self)
            room.audio.remove(self.participant_id)
            await self._end_recognition()
            await self._close_peer_connection(pc)
            raise ProtocolError("bad_sdp", f"the offer could not be applied: {error}") from None
        if self._rt.settings.ice_relay_only and " typ relay" not in pc.localDescription.sdp:
            await self._no_relay(configuration)
            return
        self._send(server_message("answer", sdp=pc.localDescription.sdp))
        if self._slots:
            room.audio.add_listener(self.participant_id, self._slots, self._announce_audio_tracks)
        else:
            self._announce_audio_tracks([])
        self._tasks.spawn(self._require_connection(self._rt.settings.ice_connect_timeout_s))

    def _fill_slots(self, pc: RTCPeerConnection, audio: list[MediaDescription], room: Room) -> None:
        """Every audio section the client can receive on carries one relayed voice."""
        if not room.audio.enabled:
            return
        receives = {m.rtp.muxId for m in audio if m.direction in ("sendrecv", "recvonly")}
        for transceiver in pc.getTransceivers():
            if transceiver.mid not in receives or len(self._slots) >= room.audio.slots:
                continue
            slot = ForwardedAudio()
            transceiver.sender.replaceTrack(slot)
            transceiver.direction = "sendrecv"  # the answer narrows it to what the client offered
            self._slots.append(slot)
            self._slot_mids.append(transceiver.mid)

    def _claim_speaker_slot(self, sends_audio: bool) -> None:
        """Recognition is the scarce resource: past `max_speakers` microphones the server
        would fall behind everyone, so one more is refused while listening stays open."""
        assert self._rt is not None
        if not sends_audio:
            return
        limit = self._rt.settings.max_speakers
        if len(self._rt.speakers) >= limit:
            raise ProtocolError(
                "too_many_speakers",
                f"{limit} microphones are already being captioned, the most this server "
                "transcribes in real time; join without your microphone to follow the captions",
            )
        self._rt.speakers.add(self)
        metrics.SPEAKERS.set(len(self._rt.speakers))

    async def _candidate(self, message: Candidate) -> None:
        self._membership()
        pc = self._pc
        if pc is None or pc.remoteDescription is None:
            raise ProtocolError("no_offer", "send the offer before ICE candidates")
        if not message.candidate:
            await pc.addIceCandidate(None)  # end of candidates
            return
        try:
            candidate = candidate_from_sdp(message.candidate.removeprefix("candidate:"))
        except Exception as error:
            raise ProtocolError("bad_candidate", f"unreadable candidate: {error}") from None
        candidate.sdpMid = message.sdp_mid
        candidate.sdpMLineIndex = message.sdp_mline_index
        try:
            await pc.addIceCandidate(candidate)
        except Exception as error:
            raise ProtocolError("bad_candidate", f"candidate refused: {error}") from None

    def _announce_audio_tracks(self, speakers: list[str | None]) -> None:
        """Tell the client whose voice arrives on which transceiver (by mid), whenever the
        room puts another speaker into one of its slots."""
        tracks = [
            {"mid": mid, "participant_id": speaker}
            for mid, speaker in zip(self._slot_mids, speakers, strict=True)
            if speaker is not None
        ]
        self._send(server_message("audio_tracks", tracks=tracks))

    # Peer connection events

    def _on_track(self, track: MediaStreamTrack) -> None:
        room, participant, runtime = self._room, self._participant, self._rt
        if track.kind != "audio" or self._pump is not None or self.closed:
            return
        assert room is not None and participant is not None and runtime is not None
        assert self._pc is not None
        receiver = next(r for r in self._pc.getReceivers() if r.track is track)
        room.audio.add_speaker(self.participant_id, receiver)
        speaker_id = self.participant_id
        stream: RecognizeStream | None = None  # none: the media path alone (benchmarks)
        if runtime.settings.recognition:
            language = None if participant.language == "auto" else participant.language
            offered = frozenset(runtime.settings.languages)
            stream = RecognizeStream(
                runtime.recognizer,
                language,
                runtime.stream_options,
                candidates=lambda: offered | room.languages_in_use(),
            )
            participant.streams += 1
            participant.audio_origin_ms = 0  # a resumed speaker's new audio: a new timeline

        def hear(chunk: Audio) -> None:
            self._audio_arrived_at = time.monotonic()
            room.audio.hear(speaker_id, chunk)
            if stream is not None:
                if not participant.audio_origin_ms:  # caption times count from here
                    participant.audio_origin_ms = round(time.time() * 1000)
                stream.push_audio(chunk)

        self._pump = self._tasks.spawn(pump_audio(track, hear, runtime.settings.max_lag_s))
        self._tasks.spawn(self._watch_hearing(stream))
        if stream is None:
            return
        self._stream = stream
        self._publisher = self._tasks.spawn(
            self._publish_captions(stream, room, participant, participant.streams)
        )
        self._tasks.spawn(self._report_delay(stream, runtime.settings.delay_notice_s))

    async def _publish_captions(
        self, stream: RecognizeStream, room: Room, participant: Participant, number: int
    ) -> None:
        async for event in stream:
            room.publish(participant, event, number)

    async def _report_delay(self, stream: RecognizeStream, threshold_s: float) -> None:
        """When recognition falls behind (more speech than the machine decodes in real time),
        partials are shed first; once finals themselves wait, the speaker is told, and told
        again when they are back on time. Finals are late, never dropped."""
        delayed = False
        while True:
            await asyncio.sleep(DELAY_CHECK_S)
            backlog = stream.final_backlog_s
            if not delayed and backlog > threshold_s:
                delayed = True
                metrics.DELAY_NOTICES.inc()
                message = "the server is busy: your captions are running late"
                self._send(
                    server_message(
                        "notice",
                        code="captions_delayed",
                        message=message,
                        language=None,
                        delay_s=round(backlog, 1),
                    )
                )
            elif delayed and backlog < threshold_s / 2:
                delayed = False
                message = "your captions are on time again"
                self._send(
                    server_message(
                        "notice", code="captions_on_time", message=message, language=None
                    )
                )

    async def _watch_hearing(self, stream: RecognizeStream | None) -> None:
        """Tell the speaker at once when its audio stops arriving (and end the sentence it
        was in, marked interrupted) or its speech yields no caption; see `hearing`."""
        watch = HearingWatch()
        while True:
            await asyncio.sleep(DELAY_CHECK_S)
            pc = self._pc
            if pc is None or pc.connectionState != "connected" or self._audio_arrived_at is None:
                continue  # before the first audio, or once the connection itself is in doubt
            idle_s = time.monotonic() - self._audio_arrived_at
            uncaptioned_s = stream.uncaptioned_speech_s if stream is not None else 0.0
            for told in watch.check(idle_s, uncaptioned_s):
                if told is Hearing.AUDIO_STOPPED:
                    log.warning("%s: no audio for %.1f s", self.participant_id, idle_s)
                    if stream is not None:
                        stream.flush(interrupted=True)
                metrics.HEARING_NOTICES.labels(told.value).inc()
                self._send(
                    server_message("notice", code=told.value, message=MESSAGES[told], language=None)
                )

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        if channel.label != CAPTION_CHANNEL or self._participant is None or self._room is None:
            return
        participant, room, resumed_after = self._participant, self._room, self._resumed_after

        def catch_up() -> None:
            if resumed_after is None:
                room.replay_history(participant)
            else:
                participant.captions.resume(resumed_after)

        participant.captions.attach(channel)
        if channel.readyState == "open":
            catch_up()
        else:
            channel.on("open", catch_up)

    async def _on_connection_state(self) -> None:
        if self._pc is None:
            return
        if self._pc.connectionState == "failed":
            await self._fail_connection("the media connection failed (ICE); join again to retry")
        elif self._pc.connectionState == "connected" and self._rt is not None:
            self._tasks.spawn(
                self._watch_liveness(
                    InboundActivity(self._pc), self._rt.settings.ice_disconnect_timeout_s
                )
            )

    async def _watch_liveness(self, inbound: InboundActivity, timeout_s: float) -> None:
        """End the session once the peer has sent nothing, not even ICE checks, for
        `timeout_s`: it has vanished without closing anything."""
        while True:
            idle = inbound.idle_s()
            if self.closed:
                return  # it ends anyway; its peer went quiet because of that
            if idle > timeout_s:
                break
            await asyncio.sleep(timeout_s - idle + 0.1)
        log.info("%s: nothing received for %.0f s", self.participant_id, inbound.idle_s())
        self._send(
            server_message(
                "error",
                code="connection_lost",
                message=f"nothing arrived from your media connection for {timeout_s:.0f} s; "
                "resume the session (or join again) to continue",
            )
        )
        self._tasks.spawn(self.close("connection_lost"))

    async def _require_connection(self, timeout_s: float) -> None:
        """ICE can wait forever for candidates that never come (say, TURN refused the
        client's credentials): give up with a clear error instead of hanging."""
        await asyncio.sleep(timeout_s)
        if self._pc is not None and self._pc.connectionState != "connected":
            await self._fail_connection(
                f"no media connection after {timeout_s:.0f} s; if you force relay, "
                "check that the TURN server is reachable and accepts your credentials"
            )

    async def _no_relay(self, configuration: RTCConfiguration) -> None:
        """The server may only use TURN, and gathering gave it no relay address: no media
        can flow, so say why now rather than after the connect timeout."""
        # Gathering already waited for TURN: a short check is enough to tell why it failed.
        trouble = await check_turn(configuration, timeout_s=1.5)
        cause = trouble.describe() if trouble else "the TURN server gave no relay address"
        await self._fail_connection(
            f"the server cannot relay media: {cause}; the server's operator must fix its TURN "
            "settings",
            cause=(trouble.problem if trouble else TurnProblem.FAILED).value,
        )

    async def _browser_ice_failed(self, cause: IceFailureCause, detail: str) -> None:
        """The browser found no way at all to send media (its own TURN allocation failed, or
        it has no network): say so now, not after the connect timeout."""
        metrics.BROWSER_ICE_FAILURES.labels(cause).inc()
        advice = (
            "; check RTC_TURN_URLS and RTC_TURN_SECRET against the TURN server"
            if cause.startswith("turn_")
            else ""
        )
        log.warning(
            "%s: the browser gathered no ICE candidates: %s (%s)%s",
            self.participant_id,
            BROWSER_ICE_FAILURES[cause],
            detail or "no detail",
            advice,
        )
        await self._fail_connection(
            f"your browser cannot connect to the media server: {BROWSER_ICE_FAILURES[cause]}",
            cause=cause,
        )

    async def _fail_connection(self, message: str, cause: str | None = None) -> None:
        details = {"cause": cause} if cause else {}
        self._send(server_message("error", code="connection_failed", message=message, **details))
        self._tasks.spawn(self.close("failed"))

    # Teardown

    def send(self, message: str) -> None:
        """A message on this session's WebSocket (a server notice)."""
        self._send(message)

    async def end_speech(self) -> None:
        """Stop listening, but stay in the room until the last words have reached it."""
        await self._end_recognition()

    async def close(self, reason: str) -> None:
        await asyncio.shield(self._begin_close(reason))

    def _begin_close(self, reason: str) -> asyncio.Future[None]:
        if self._closing is None:
            # Shutdown closes sessions from outside: the closing lines still name this one.
            context = logs.context_of(self.participant_id, self._room.id if self._room else None)
            self._closing = start_task(self._close(reason, self._let_go(reason)), context)
        return self._closing

    def _hand_over(self) -> None:
        """A new connection resumes this participant while this one still looks open (the
        client moved networks before this socket noticed): let go of it at once."""
        self._begin_close("disconnected")

    def _let_go(self, reason: str) -> float:
        """Leave the room, or stay resumable when the connection merely dropped; returns
        how long the last words may take to decode."""
        room, participant, runtime = self._room, self._participant, self._rt
        if room is None or participant is None or runtime is None:
            return LAST_FINAL_TIMEOUT_S
        window_s = runtime.settings.resume_window_s
        if reason in ("disconnected", "connection_lost") and window_s > 0:
            # Its captions, the last sentence's final included, wait for it to resume.
            runtime.rooms.hold(room, participant, window_s, reason)
            return max(window_s, LAST_FINAL_TIMEOUT_S)  # it is still in the room that long
        runtime.rooms.leave(room, participant, reason)
        return LAST_FINAL_TIMEOUT_S

    async def _close(self, reason: str, last_final_timeout_s: float) -> None:
        if self._rt is not None:
            self._rt.speakers.discard(self)
            metrics.SPEAKERS.set(len(self._rt.speakers))
        await self._end_recognition(last_final_timeout_s)
        for slot in self._slots:
            slot.stop()
        await self._tasks.cancel_all()
        if self._pc is not None:
            await self._close_peer_connection(self._pc)
        self._on_closed(self)
        log.info("%s closed (%s)", self.participant_id, reason)

    @staticmethod
    async def _close_peer_connection(pc: RTCPeerConnection) -> None:
        try:
            # Closing says goodbye over the network (DTLS alert, TURN deallocation): a dead
            # path or TURN server must not hold the session's end.
            await asyncio.wait_for(pc.close(), PEER_CLOSE_TIMEOUT_S)
        except TimeoutError:
            log.warning("peer connection did not close within %.0f s", PEER_CLOSE_TIMEOUT_S)
        end_received_tracks(pc)
        metrics.PEER_CONNECTIONS.dec()

    async def _end_recognition(self, timeout_s: float = LAST_FINAL_TIMEOUT_S) -> None:
        """Stop reading audio; the speaker's last words still reach the room (or are
        withdrawn), within a time limit."""
        stream, pump, publisher = self._stream, self._pump, self._publisher
        self._stream = self._pump = self._publisher = None
        if stream is None or pump is None or publisher is None:
            return
        pump.cancel()
        try:
            await asyncio.wait_for(stream.end_input(), timeout_s)
            await asyncio.wait_for(publisher, timeout_s)
        except TimeoutError:
            log.warning("%s: last final did not finish in time", self.participant_id)
        await stream.aclose()
