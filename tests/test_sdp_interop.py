"""Renegotiation offers keep the RTP header extension ids the browser agreed to."""

from rtc_server.sdp_interop import keep_extension_ids

OFFER = "\r\n".join(
    [
        "m=audio 9 UDP/TLS/RTP/SAVPF 96",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:3/sendonly urn:example:new",
    ]
)


def test_extensions_move_back_to_their_negotiated_ids() -> None:
    negotiated = {
        "urn:ietf:params:rtp-hdrext:ssrc-audio-level": 1,
        "urn:ietf:params:rtp-hdrext:sdes:mid": 4,
        "urn:example:taken": 3,
    }
    assert keep_extension_ids(OFFER, negotiated).split("\r\n")[1:] == [
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:2/sendonly urn:example:new",  # 3 is taken: the first free id
    ]


def test_nothing_negotiated_leaves_the_offer_alone() -> None:
    assert keep_extension_ids(OFFER, {}) == OFFER
