"""One signaling connection, as a small state machine: joined or not, its peer link (webrtc),
its transcriber (asr), and the order in which they end.

Everything a session starts is released in `close`, whatever ended it: a leave message, the
WebSocket closing, the media connection failing or vanishing, shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable

from aiortc import RTCRtpReceiver
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcdatachannel import RTCDataChannel

from rtc_server.asr.recognizer import Audio
from rtc_server.asr.stream import SpeechEvent
from rtc_server.asr.transcriber import Transcriber
from rtc_server.observability import logs
from rtc_server.rooms.membership import Room
from rtc_server.rooms.participant import Participant
from rtc_server.runtime import Runtime
from rtc_server.signaling.messages import (
    Candidate,
    ClientMessage,
    IceFailed,
    Join,
    Leave,
    Offer,
    Ping,
    ProtocolError,
    SetCaptionLanguage,
)
from rtc_server.signaling.server_messages import (
    Answer,
    AudioTrack,
    AudioTracks,
    ErrorMessage,
    Joined,
    LeaveReason,
    Left,
    Notice,
    Pong,
    ServerMessage,
    TranslationCapability,
    encode,
)
from rtc_server.tasks import start_task
from rtc_server.webrtc.ice import (
    browser_ice_failure,
    browser_ice_policy,
    browser_ice_servers,
    server_rtc_configuration,
)
from rtc_server.webrtc.peer_link import NegotiationError, PeerLink, read_offer

log = logging.getLogger(__name__)

LAST_FINAL_TIMEOUT_S = 15.0  # how long a leaving speaker's last words may take to decode


class WebSocketCaptions:
    """A captions-only participant's caption channel: its session's WebSocket."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def readyState(self) -> str:
        return "closed" if self._session.closed else "open"

    @property
    def bufferedAmount(self) -> int:
        return 0  # unknown here; the endpoint closes a WebSocket whose client stops reading

    def send(self, data: str) -> None:
        self._session.send(data)


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
        self._link: PeerLink | None = None
        self._transcriber: Transcriber | None = None
        self._stream_number = 0  # which of its participant's speech streams this one is
        self._closing: asyncio.Task[None] | None = None
        self._resumed_after: int | None = None  # the client's last caption seq, if resumed
        self._captions_only = False

    @property
    def closed(self) -> bool:
        return self._closing is not None

    @property
    def joined(self) -> bool:
        return self._participant is not None

    def send(self, message: str) -> None:
        """A message's JSON text on this session's WebSocket."""
        self._send(message)

    def _say(self, message: ServerMessage) -> None:
        self._send(encode(message))

    async def handle(self, message: ClientMessage) -> None:
        if self.closed:
            raise ProtocolError("not_joined", "this session has ended; open a new connection")
        match message:
            case Join():
                await self._join(message)
            case Offer():
                await self._offer(message.sdp)
            case Candidate():
                await self._candidate(message)
            case SetCaptionLanguage():
                room, participant = self._membership()
                room.set_caption_language(participant, message.language)
            case Leave():
                self._say(Left())
                await self.close("left")
            case Ping():
                self._say(Pong())
            case IceFailed():
                reason = browser_ice_failure(message.cause, message.detail)
                self.on_connection_failed(reason, message.cause)

    # Joining

    async def _join(self, message: Join) -> None:
        if self._participant is not None:
            raise ProtocolError("already_joined", "this connection has already joined a room")
        runtime = self._runtime()
        if runtime is None:
            raise ProtocolError("not_ready", "the speech model is still loading; retry shortly")
        if message.resume is not None:
            resume = message.resume
            room, participant = runtime.rooms.resume(
                message.room, resume.participant_id, resume.token, self
            )
            self.participant_id = participant.id
            self._resumed_after = resume.last_seq
        else:
            participant = Participant(
                id=self.participant_id,
                name=message.name,
                language=message.language,
                caption_language=message.caption_language,
                connection=self,
                captions_only=message.captions_only,
            )
            room = await runtime.rooms.join(message.room, participant)
            if self.closed:  # ended while the room was opening
                runtime.rooms.leave(room, participant, "disconnected")
                return
        settings = runtime.settings
        self._rt, self._participant, self._room = runtime, participant, room
        logs.bind(room=room.id)
        self._say(
            Joined(
                participant_id=self.participant_id,
                room=room.id,
                ice_servers=browser_ice_servers(settings, self._turn_user(room)),
                ice_transport_policy=browser_ice_policy(settings),
                translation=TranslationCapability(
                    backend=runtime.translation.backend, targets=runtime.translation.targets
                ),
                participants=room.participant_list(),
                resume_token=participant.resume_token,
                resumed=message.resume is not None,
                audio_slots=settings.forward_speakers
                if settings.audio_relay and not message.captions_only
                else 0,
            )
        )
        if message.captions_only:
            self._captions_only = True
            participant.captions.attach(WebSocketCaptions(self))
            self._catch_up()
        runtime.rooms.check_captions_paused(participant)
        room.check_translation(participant)

    def _turn_user(self, room: Room) -> str:
        """TURN credentials name the room session they were minted for."""
        return f"{room.id}:{self.participant_id}"

    def _membership(self) -> tuple[Room, Participant]:
        if self._room is None or self._participant is None:
            raise ProtocolError("not_joined", "send join first")
        return self._room, self._participant

    # Negotiation: one offer from the client, one answer; the server never renegotiates.

    async def _offer(self, sdp: str) -> None:
        room, _ = self._membership()
        assert self._rt is not None
        if self._captions_only:
            raise ProtocolError(
                "captions_only", "this participant joined for captions only; it sends no offer"
            )
        if self._link is not None:
            raise ProtocolError("already_offered", "this session already has a connection")
        try:
            offer = read_offer(sdp)
        except NegotiationError as error:
            raise ProtocolError(error.kind, str(error)) from None
        if offer.sends_audio and not self._rt.speakers.claim(self):
            raise ProtocolError(
                "too_many_speakers",
                f"{self._rt.speakers.limit} microphones are already being captioned, the most "
                "this server transcribes in real time; join without your microphone to follow "
                "the captions",
            )
        settings = self._rt.settings
        link = self._link = PeerLink(
            server_rtc_configuration(settings, self._turn_user(room)),
            self,
            relay_only=settings.ice_relay_only,
            disconnect_timeout_s=settings.ice_disconnect_timeout_s,
        )
        try:
            answer = await link.answer(offer, room.audio.slots)
        except NegotiationError as error:
            self._link = None
            self._release_speaker_slot()
            room.audio.remove(self.participant_id)
            await self._end_transcription()
            await link.close()
            raise ProtocolError(error.kind, str(error)) from None
        if answer is None:
            return  # no relay address: the link has said why
        self._say(Answer(sdp=answer))
        if link.slots:
            room.audio.add_listener(self.participant_id, link.slots, self._announce_audio_tracks)
        else:
            self._announce_audio_tracks([])
        link.require_connection(settings.ice_connect_timeout_s)

    def _release_speaker_slot(self) -> None:
        if self._rt is not None:
            self._rt.speakers.release(self)

    async def _candidate(self, message: Candidate) -> None:
        self._membership()
        if self._link is None or not self._link.has_offer:
            raise ProtocolError("no_offer", "send the offer before ICE candidates")
        try:
            await self._link.add_candidate(
                message.candidate, message.sdp_mid, message.sdp_mline_index
            )
        except NegotiationError as error:
            raise ProtocolError(error.kind, str(error)) from None

    def _announce_audio_tracks(self, speakers: list[str | None]) -> None:
        """Tell the client whose voice arrives on which transceiver (by mid), whenever the
        room puts another speaker into one of its slots."""
        assert self._link is not None
        tracks = [
            AudioTrack(mid=mid, participant_id=speaker)
            for mid, speaker in zip(self._link.slot_mids, speakers, strict=True)
            if speaker is not None
        ]
        self._say(AudioTracks(tracks=tracks))

    # What the peer link reports (PeerEvents)

    def on_audio_track(self, track: MediaStreamTrack, receiver: RTCRtpReceiver) -> None:
        room, participant, runtime, link = self._room, self._participant, self._rt, self._link
        if self._transcriber is not None or self.closed:
            return
        assert room is not None and participant is not None and runtime is not None
        assert link is not None
        room.audio.add_speaker(self.participant_id, receiver)
        stream = runtime.speech_stream(participant.language, room.languages_in_use)
        if stream is not None:
            participant.streams += 1
            participant.audio_origin_ms = 0  # a resumed speaker's new audio: a new timeline
            self._stream_number = participant.streams
        self._transcriber = Transcriber(
            stream, self._heard, self._publish, self._notify, lambda: link.connected
        )
        self._transcriber.start(track, runtime.settings.max_lag_s, runtime.settings.delay_notice_s)

    def _heard(self, chunk: Audio) -> None:
        room, participant = self._membership()
        room.audio.hear(self.participant_id, chunk)
        if not participant.audio_origin_ms:  # caption times count from here
            participant.audio_origin_ms = round(time.time() * 1000)

    def _publish(self, event: SpeechEvent) -> None:
        room, participant = self._membership()
        room.captions.publish(participant, event, self._stream_number)

    def _notify(self, code: str, message: str, delay_s: float | None) -> None:
        self._say(Notice(code=code, message=message, language=None, delay_s=delay_s))

    def on_caption_channel(self, channel: RTCDataChannel) -> None:
        if self._participant is None or self._room is None:
            return
        participant = self._participant
        participant.captions.attach(channel)
        if channel.readyState == "open":
            self._catch_up()
        else:
            channel.on("open", self._catch_up)

    def _catch_up(self) -> None:
        """A caption channel just opened: the history, or what a resumed client missed."""
        room, participant = self._membership()
        if self._resumed_after is None:
            room.captions.replay_history(participant)
        else:
            participant.captions.resume(self._resumed_after)

    def on_connection_failed(self, message: str, cause: str | None) -> None:
        if self.closed:
            return
        self._say(ErrorMessage(code="connection_failed", message=message, cause=cause or None))
        self._begin_close("failed")

    def on_connection_lost(self, message: str) -> None:
        if self.closed:
            return
        log.info("%s: its media connection went quiet", self.participant_id)
        self._say(ErrorMessage(code="connection_lost", message=message))
        self._begin_close("connection_lost")

    # Teardown

    async def end_speech(self) -> None:
        """Stop listening, but stay in the room until the last words have reached it."""
        await self._end_transcription()

    async def close(self, reason: LeaveReason) -> None:
        await asyncio.shield(self._begin_close(reason))

    def _begin_close(self, reason: LeaveReason) -> asyncio.Future[None]:
        if self._closing is None:
            # Shutdown closes sessions from outside: the closing lines still name this one.
            context = logs.context_of(self.participant_id, self._room.id if self._room else None)
            self._closing = start_task(self._close(reason, self._let_go(reason)), context)
        return self._closing

    def end(self, message: ServerMessage) -> None:
        if not self.closed:
            self._say(message)
            self._begin_close("shutdown")

    def hand_over(self) -> None:
        """A new connection resumes this participant while this one still looks open (the
        client moved networks before this socket noticed): let go of it at once."""
        self._begin_close("disconnected")

    def _let_go(self, reason: LeaveReason) -> float:
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

    async def _close(self, reason: LeaveReason, last_final_timeout_s: float) -> None:
        self._release_speaker_slot()
        await self._end_transcription(last_final_timeout_s)
        if self._link is not None:
            await self._link.close()
        self._on_closed(self)
        log.info("%s closed (%s)", self.participant_id, reason)

    async def _end_transcription(self, timeout_s: float = LAST_FINAL_TIMEOUT_S) -> None:
        if self._transcriber is not None:
            await self._transcriber.finish(timeout_s)
