"""Translated captions end to end: a speaker over WebRTC, listeners in other languages."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
import uuid
from collections import Counter

import numpy as np
import pytest

from tests.support.client import Peer, load_audio, silence
from tests.support.servers import (
    TESTDATA,
    BackendProcess,
    FakeOpenAI,
    Fault,
    fake_translation,
    start_backend,
)

pytestmark = pytest.mark.slow


def speech() -> np.ndarray:
    return np.concatenate([silence(0.5), load_audio(TESTDATA / "jfk.flac"), silence(3)])


def covering(peer: Peer, language: str) -> dict[str, dict[str, object]]:
    """Each caption id → the final translation into `language` that renders its text (a
    sentence spoken in pieces is translated once, and that translation `covers` them all)."""
    return {
        caption_id: t
        for t in peer.translations()
        if t["final"] and t["language"] == language
        for caption_id in t.get("covers", [t["caption_id"]])
    }


def calls_for(openai_server: FakeOpenAI, texts: set[str], since: int) -> Counter[tuple[str, str]]:
    calls = openai_server.translations()[since:]
    return Counter((c.text, c.target) for c in calls if c.text in texts)


async def test_each_listener_gets_its_own_language_translated_once_per_language(
    backend: BackendProcess, openai_server: FakeOpenAI
) -> None:
    room = f"tr-{uuid.uuid4().hex[:8]}"
    calls_before = len(openai_server.translations())
    async with (
        Peer(backend.ws_url) as german,
        Peer(backend.ws_url) as french,
        Peer(backend.ws_url) as french_too,
        Peer(backend.ws_url) as speaker,
    ):
        for peer, language in ((german, "de"), (french, "fr"), (french_too, "fr")):
            assert (await peer.join(room, f"Listener {language}", caption_language=language))[
                "type"
            ] == "joined"
            await peer.connect(None)
        await speaker.join(room, "Speaker", language="en", caption_language="en")
        await speaker.connect(speech())
        listeners = (german, french, french_too)
        for peer, peer_language in zip(listeners, ("de", "fr", "fr"), strict=True):
            await peer.wait_for(
                lambda p=peer, language=peer_language: (
                    p.finals()
                    and {f["id"] for f in p.finals()} <= covering(p, language).keys()
                    and speaker.track
                    and speaker.track.finished_at
                ),
                timeout=60,
            )
        finals = german.finals()
        sentences = set()
        for peer, language in ((german, "de"), (french, "fr"), (french_too, "fr")):
            assert [f["text"] for f in peer.finals()] == [f["text"] for f in finals]
            by_caption = {t["caption_id"]: t for t in peer.translations()}
            assert len(by_caption) == len(peer.translations()), "a translation arrived twice"
            covered = covering(peer, language)
            for final in peer.finals():
                translation = covered[final["id"]]
                pieces = translation.get("covers", [final["id"]])
                text = " ".join(f["text"] for f in peer.finals() if f["id"] in pieces)
                assert translation["text"] == fake_translation(language, text)
                sentences.add(text)
                assert translation["speaker"]["id"] == speaker.participant_id
        assert speaker.translations() == []  # captions already in the speaker's language
        calls = calls_for(openai_server, sentences, calls_before)
        assert set(calls.values()) == {1}, calls  # once per (sentence, language), not per listener
        assert {target for _, target in calls} == {"de", "fr"}
        delays = []
        for translation in german.translations():
            caption_at = next(
                r.at for r in german.captions if r.message.get("id") == translation["caption_id"]
            )
            translated_at = next(r.at for r in german.captions if r.message is translation)
            assert translated_at >= caption_at
            delays.append(translated_at - caption_at)
        print(f"\ntranslation delay after the final caption: {[round(d, 3) for d in delays]} s")


async def test_listener_switches_caption_language(
    backend: BackendProcess, openai_server: FakeOpenAI
) -> None:
    room = f"tr-{uuid.uuid4().hex[:8]}"
    async with Peer(backend.ws_url) as listener, Peer(backend.ws_url) as speaker:
        await listener.join(room, "Switcher", caption_language="de")
        await listener.connect(None)
        await speaker.join(room, "Speaker", language="en")
        await speaker.connect(speech())
        await listener.wait_for(lambda: listener.translations(), timeout=60)
        start = len(listener.signals)
        await listener.send({"v": 1, "type": "set_caption_language", "language": "es-MX"})
        assert (await listener.expect("caption_language", after=start))["language"] == "es"
        await listener.wait_for(
            lambda: any(t["language"] == "es" for t in listener.translations()), timeout=60
        )
        # Every caption before the switch is sent again in Spanish: the history re-sent.
        await listener.wait_for(
            lambda: {f["id"] for f in listener.finals()} <= covering(listener, "es").keys(),
            timeout=60,
        )
        languages = [t["language"] for t in listener.translations()]
        assert languages == sorted(languages, key=lambda code: code == "es")  # de…, then es…


async def test_refused_translation_is_reported_once_and_captions_keep_flowing(
    backend: BackendProcess, openai_server: FakeOpenAI
) -> None:
    room = f"tr-{uuid.uuid4().hex[:8]}"
    openai_server.always = Fault("status", status=401)
    try:
        async with Peer(backend.ws_url) as listener, Peer(backend.ws_url) as speaker:
            # Italian: no earlier test has filled the server's cache for it.
            await listener.join(room, "Listener", caption_language="it")
            await listener.connect(None)
            await speaker.join(room, "Speaker", language="en")
            await speaker.connect(speech())
            await listener.expect("notice", timeout=60)
            openai_server.always = None  # the key works again
            await listener.wait_for(
                lambda: (
                    speaker.track
                    and speaker.track.finished_at
                    and listener.translations()
                    and not listener.open_utterances()
                ),
                timeout=60,
            )
            notices = [s.message["code"] for s in listener.signals if s.message["type"] == "notice"]
            assert notices.count("translation_paused") == 1
            assert "translation_resumed" in notices
            finals = listener.finals()
            translated = {t["caption_id"] for t in listener.translations()}
            assert len(finals) >= 2 and len(translated) < len(finals)  # some stayed untranslated
            assert len({f["id"] for f in finals}) == len(finals)  # no caption lost or doubled
    finally:
        openai_server.always = None


async def test_unavailable_caption_language_gets_a_notice(backend: BackendProcess) -> None:
    async with Peer(backend.ws_url) as listener:
        joined = await listener.join(
            f"tr-{uuid.uuid4().hex[:8]}", "Listener", caption_language="ja"
        )
        assert joined["translation"] == {"backend": "openai", "targets": ["*"]}
        assert listener.signal("notice") is None  # any target works with the GPT backend


async def test_slow_translation_never_holds_up_captions(
    backend: BackendProcess, openai_server: FakeOpenAI
) -> None:
    room = f"tr-{uuid.uuid4().hex[:8]}"
    openai_server.always = Fault("delay", seconds=1.5)  # slow, but inside the 2 s timeout
    try:
        async with Peer(backend.ws_url) as listener, Peer(backend.ws_url) as speaker:
            await listener.join(room, "Listener", caption_language="ja")  # uncached language
            await listener.connect(None)
            await speaker.join(room, "Speaker", language="en")
            await speaker.connect(speech())
            await listener.wait_for(
                lambda: (
                    listener.finals()
                    and len(listener.translations()) == len(listener.finals())
                    and not listener.open_utterances()
                    and speaker.track
                    and speaker.track.finished_at
                ),
                timeout=90,
            )
            spoken = {r.message["id"]: r.at for r in speaker.captions if r.message.get("final")}
            for received in listener.captions:
                message = received.message
                if message["type"] == "caption" and message["final"]:
                    # The listener's final arrives with the speaker's own, not after translation.
                    assert abs(received.at - spoken[message["id"]]) < 0.3
                elif message["type"] == "translation" and message["final"]:
                    assert received.at - spoken[message["caption_id"]] >= 1.4
    finally:
        openai_server.always = None


async def test_late_joiner_gets_recent_captions_in_its_language(
    backend: BackendProcess, openai_server: FakeOpenAI
) -> None:
    room = f"tr-{uuid.uuid4().hex[:8]}"
    async with Peer(backend.ws_url) as early, Peer(backend.ws_url) as speaker:
        await early.join(room, "Early", caption_language="nl")  # uncached: real calls counted
        await early.connect(None)
        await speaker.join(room, "Speaker", language="en")
        await speaker.connect(speech())
        await early.wait_for(
            lambda: (
                speaker.track
                and speaker.track.finished_at
                and not early.open_utterances()
                and len(early.translations()) == len(early.finals()) > 0
            ),
            timeout=60,
        )
        async with Peer(backend.ws_url) as late:
            joined = await late.join(room, "Late", caption_language="nl")
            assert [p["name"] for p in joined["participants"]] == ["Early", "Speaker", "Late"]
            await late.connect(None)
            history = lambda kind: [  # noqa: E731
                r.message
                for r in late.captions
                if r.message["type"] == kind and r.message.get("history")
            ]
            await late.wait_for(
                lambda: len(history("translation")) == len(early.finals()), timeout=10
            )
            assert [c["text"] for c in history("caption")] == [c["text"] for c in early.finals()]
            assert [t["text"] for t in history("translation")] == [
                t["text"] for t in early.translations()
            ]
            async with Peer(backend.ws_url) as outsider:
                assert (await outsider.join(f"other-{room}", "Elsewhere"))["type"] == "joined"
                await outsider.connect(None)
                await asyncio.sleep(0.5)
                assert outsider.captions == []  # history stays in its room

        url = f"{backend.base_url}/api/rooms/{room}/stats"
        stats = json.loads(await asyncio.to_thread(lambda: urllib.request.urlopen(url).read()))
        assert stats["participants"] == 2
        assert stats["translation"]["completed"] >= len(early.finals())

        url = f"{backend.base_url}/api/rooms/{room}/transcript"
        stored = json.loads(await asyncio.to_thread(lambda: urllib.request.urlopen(url).read()))
        assert [c["text"] for c in stored["captions"]] == [c["text"] for c in early.finals()]
        assert [c["translations"]["nl"] for c in stored["captions"]] == [
            t["text"] for t in early.translations()
        ]


def test_stats_of_a_room_that_is_not_open_is_404(backend: BackendProcess) -> None:
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{backend.base_url}/api/rooms/nobody-here/stats")
    assert error.value.code == 404


async def test_offline_backend_states_its_targets_and_warns_about_others() -> None:
    with start_backend({"RTC_TRANSLATOR": "whisper", "RTC_AUDIO_RELAY": "false"}) as offline:
        async with Peer(offline.ws_url) as french, Peer(offline.ws_url) as english:
            joined = await french.join("offline", "Reads French", caption_language="fr")
            assert joined["translation"] == {"backend": "whisper", "targets": ["en"]}
            notice = await french.expect("notice")
            assert notice["code"] == "translation_unavailable" and notice["language"] == "fr"
            assert "English" in notice["message"]
            await english.join("offline", "Reads English", caption_language="en")
            await french.connect(silence(0.2))
            await english.connect(silence(0.2))
            await asyncio.sleep(1)
            assert english.signal("notice") is None
            # Caption-only deployment: nobody is sent anybody's audio.
            assert joined["audio_slots"] == 0
            for peer in (french, english):
                tracks = [s.message for s in peer.signals if s.message["type"] == "audio_tracks"]
                assert tracks and all(t["tracks"] == [] for t in tracks)
