"""Captions only: a viewer on a plain WebSocket, no WebRTC, reads a real speaker's captions."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import pytest

from tests.support.client import Peer, load_audio, silence
from tests.support.servers import TESTDATA, BackendProcess

pytestmark = pytest.mark.slow

CHANNEL_TYPES = {"caption", "translation", "caption_withdrawn", "speech"}


async def join_captions_only(viewer: Peer, room: str, name: str) -> dict[str, Any]:
    """The viewer never calls `connect`: its WebSocket is all it has."""
    await viewer.send({"v": 1, "type": "join", "room": room, "name": name, "captions_only": True})
    return await viewer.expect("joined")


def on_websocket(viewer: Peer) -> list[dict[str, Any]]:
    return [r.message for r in viewer.signals if r.message["type"] in CHANNEL_TYPES]


def finals(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(m["id"], m["text"]) for m in messages if m["type"] == "caption" and m["final"]]


async def test_a_captions_only_viewer_gets_every_final_in_order_on_its_websocket(
    backend: BackendProcess,
) -> None:
    room = f"co-{uuid.uuid4().hex[:8]}"
    speech = np.concatenate([silence(0.5), load_audio(TESTDATA / "jfk.flac"), silence(3)])
    async with Peer(backend.ws_url) as viewer, Peer(backend.ws_url) as speaker:
        joined = await join_captions_only(viewer, room, "Hall B")
        assert joined["audio_slots"] == 0
        await viewer.send({"v": 1, "type": "offer", "sdp": "v=0\r\n"})
        assert (await viewer.expect("error"))["code"] == "captions_only"

        speaker_joined = await speaker.join(room, "Speaker", language="en")
        assert "Hall B" not in {p["name"] for p in speaker_joined["participants"]}  # an audience
        await speaker.connect(speech)

        def spoken() -> list[tuple[str, str]]:
            return finals(speaker.finals())

        await speaker.wait_for(
            lambda: (
                speaker.track
                and speaker.track.finished_at
                and spoken()
                and not speaker.open_utterances()
            ),
            timeout=60,
        )
        await viewer.wait_for(lambda: finals(on_websocket(viewer)) == spoken(), timeout=10)

        received = on_websocket(viewer)
        assert "country" in " ".join(text for _, text in finals(received)).lower()
        assert [m["seq"] for m in received] == list(range(1, len(received) + 1))
        assert any(m["type"] == "speech" for m in received)

        async with Peer(backend.ws_url) as late:
            await join_captions_only(late, room, "Late")
            await late.wait_for(lambda: len(finals(on_websocket(late))) == len(spoken()), 10)
            history = on_websocket(late)
            assert all(m.get("history") for m in history)
            assert [text for _, text in finals(history)] == [text for _, text in spoken()]
