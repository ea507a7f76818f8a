"""Translated captions end to end: a speaker over WebRTC, listeners in other languages."""

from __future__ import annotations

import uuid
from collections import Counter

import numpy as np
import pytest

from tests.client import Peer, load_audio, silence
from tests.servers import TESTDATA, BackendProcess, FakeOpenAI, Fault, fake_translation

pytestmark = pytest.mark.slow


def speech() -> np.ndarray:
    return np.concatenate([silence(0.5), load_audio(TESTDATA / "jfk.flac"), silence(3)])


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
        for peer in listeners:
            await peer.wait_for(
                lambda p=peer: (
                    p.finals()
                    and len(p.translations()) == len(p.finals())
                    and speaker.track
                    and speaker.track.finished_at
                ),
                timeout=60,
            )
        finals = german.finals()
        texts = {f["text"] for f in finals}
        for peer, language in ((german, "de"), (french, "fr"), (french_too, "fr")):
            assert [f["text"] for f in peer.finals()] == [f["text"] for f in finals]
            by_caption = {t["caption_id"]: t for t in peer.translations()}
            assert len(by_caption) == len(peer.translations()), "a translation arrived twice"
            for final in peer.finals():
                translation = by_caption[final["id"]]
                assert translation["language"] == language
                assert translation["text"] == fake_translation(language, final["text"])
                assert translation["speaker"]["id"] == speaker.participant_id
        assert speaker.translations() == []  # captions already in the speaker's language
        calls = calls_for(openai_server, texts, calls_before)
        assert set(calls.values()) == {1}, calls  # once per (sentence, language), not per listener
        assert {target for _, target in calls} == {"de", "fr"}
        delays = []
        for final in german.finals():
            caption_at = next(r.at for r in german.captions if r.message is final)
            translated_at = next(
                r.at
                for r in german.captions
                if r.message["type"] == "translation"
                and r.message["final"]
                and r.message["caption_id"] == final["id"]
            )
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
