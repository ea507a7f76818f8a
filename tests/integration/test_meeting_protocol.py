"""Meetings at the protocol level, numbered as Chromium numbers them.

Chromium offers Opus as payload type 111 and its own RTP header extension ids; aiortc's own
offers use 96 and other ids. The server once renegotiated with aiortc's numbers whenever someone
joined, and from then on Chromium sent its microphone as type 96, which the server's receiver
(set up with 111) dropped: only the last person to join was captioned. `chromium-offer.sdp` is
the offer of a real Chromium (the web app's transceivers: microphone plus two receive slots).
"""

from __future__ import annotations

import contextlib
import re
import uuid
from pathlib import Path

import numpy as np
import pytest
from aiortc.sdp import SessionDescription

from tests.support.client import Peer, load_audio, silence
from tests.support.servers import TESTDATA, BackendProcess

pytestmark = pytest.mark.slow

# SDP lines end in CRLF, as Chromium sends them.
CHROMIUM_OFFER = "\r\n".join(
    [*(Path(__file__).parent / "data" / "chromium-offer.sdp").read_text().splitlines(), ""]
)
JFK = TESTDATA / "jfk.flac"


def chromium_numbers() -> tuple[dict[str, int], dict[str, int]]:
    """Codec payload types and header extension ids in the real Chromium offer."""
    offer = SessionDescription.parse(CHROMIUM_OFFER)
    audio = offer.media[0].rtp
    codecs = {codec.name.lower(): codec.payloadType for codec in audio.codecs}
    extensions = {extension.uri: extension.id for extension in audio.headerExtensions}
    return codecs, extensions


def as_chromium_numbers_it(sdp: str) -> str:
    """An aiortc offer renumbered to Chromium's payload types and extension ids."""
    codecs, extensions = chromium_numbers()
    offer = SessionDescription.parse(sdp)
    for media in offer.media:
        if media.kind != "audio":
            continue
        renumbered = {c.payloadType: codecs[c.name.lower()] for c in media.rtp.codecs}
        for codec in media.rtp.codecs:
            codec.payloadType = renumbered[codec.payloadType]
        media.fmt = [renumbered[pt] for pt in media.fmt]
        for extension in media.rtp.headerExtensions:
            extension.id = extensions[extension.uri]
    return str(offer)


async def test_a_chromium_offer_is_answered_in_chromiums_numbers(backend: BackendProcess) -> None:
    async with Peer(backend.ws_url) as peer:
        joined = await peer.join(f"sdp-{uuid.uuid4().hex[:6]}", "Chromium")
        assert joined["audio_slots"] == 3
        await peer.send({"v": 1, "type": "offer", "sdp": CHROMIUM_OFFER})
        answer = SessionDescription.parse((await peer.expect("answer"))["sdp"])
    audio = [media for media in answer.media if media.kind == "audio"]
    # The microphone is received, and every section can carry someone's voice back.
    assert [media.direction for media in audio] == ["sendrecv", "sendonly", "sendonly"]
    codecs, extensions = chromium_numbers()
    for media in audio:
        assert media.rtp.codecs[0].name == "opus"
        assert media.rtp.codecs[0].payloadType == codecs["opus"]
        for extension in media.rtp.headerExtensions:
            assert extension.id == extensions[extension.uri]


async def test_receive_sections_beyond_the_slots_are_answered_inactive(
    backend: BackendProcess,
) -> None:
    async with Peer(backend.ws_url) as peer:
        joined = await peer.join(f"sdp-{uuid.uuid4().hex[:6]}", "Greedy")
        peer.audio_slots = joined["audio_slots"] + 2
        await peer.connect(silence(0.2))
        assert peer.pc is not None
        answer = SessionDescription.parse(peer.pc.remoteDescription.sdp)
    directions = [media.direction for media in answer.media if media.kind == "audio"]
    assert directions == ["sendrecv", "sendonly", "sendonly", "inactive", "inactive"]


async def test_a_second_sending_section_is_refused(backend: BackendProcess) -> None:
    twice = CHROMIUM_OFFER.replace("a=recvonly", "a=sendrecv", 1)
    async with Peer(backend.ws_url) as peer:
        await peer.join(f"sdp-{uuid.uuid4().hex[:6]}", "Two microphones")
        await peer.send({"v": 1, "type": "offer", "sdp": twice})
        error = await peer.expect("error")
    assert error["code"] == "bad_sdp" and "2 sections" in error["message"]


async def test_an_offer_with_only_unknown_codecs_is_refused(backend: BackendProcess) -> None:
    only_isac = re.sub(
        r"m=audio 9 UDP/TLS/RTP/SAVPF [0-9 ]+", "m=audio 9 UDP/TLS/RTP/SAVPF 103", CHROMIUM_OFFER
    )
    only_isac = re.sub(r"a=(rtpmap|fmtp|rtcp-fb):\d+ [^\r\n]*\r\n", "", only_isac)
    only_isac = only_isac.replace("a=sendrecv\r\n", "a=sendrecv\r\na=rtpmap:103 ISAC/16000\r\n")
    async with Peer(backend.ws_url) as peer:
        await peer.join(f"sdp-{uuid.uuid4().hex[:6]}", "Odd client")
        await peer.send({"v": 1, "type": "offer", "sdp": only_isac})
        error = await peer.expect("error")
        assert error["code"] == "bad_sdp" and "could not be applied" in error["message"]
        await peer.send({"v": 1, "type": "ping"})
        await peer.expect("pong")  # the session is still there, ready for a better offer


async def test_a_speaker_is_captioned_while_others_join_leave_and_its_ssrc_changes(
    backend: BackendProcess,
) -> None:
    room = f"meeting-{uuid.uuid4().hex[:6]}"
    speech = np.concatenate([load_audio(JFK), silence(1.5)])
    async with Peer(backend.ws_url) as alice, Peer(backend.ws_url) as reader:
        await reader.join(room, "Reader")
        await reader.connect(None)
        await alice.join(room, "Alice")
        await alice.connect(silence(0.5), rewrite_offer=as_chromium_numbers_it)
        assert alice.track is not None

        async def alice_is_captioned(step: str) -> None:
            before = len(reader.finals(alice.participant_id))
            assert alice.track is not None
            alice.track.play(speech)

            def heard() -> str:
                finals = reader.finals(alice.participant_id)[before:]
                return " ".join(final["text"] for final in finals).lower()

            with contextlib.suppress(TimeoutError):
                await reader.wait_for(lambda: "your country" in heard(), timeout=40)
            assert "your country" in heard(), f"{step}: {heard()!r}"

        await alice_is_captioned("alone")
        async with Peer(backend.ws_url) as bob:
            await bob.join(room, "Bob")
            await bob.connect(silence(0.5))
            await alice_is_captioned("after Bob joined")
        await reader.wait_for(lambda: reader.signal("participant_left"), timeout=10)
        await alice_is_captioned("after Bob left")
        alice.new_ssrc()
        await alice_is_captioned("after a new SSRC")
        # What broke Chromium: the server renegotiating in its own numbers. It no longer does.
        assert alice.signal("offer") is None and reader.signal("offer") is None
