"""Several real instances as one service: a real Redis, a real PostgreSQL, the project's nginx
in front, real speech. Joins meet in one room wherever they arrive, captions reach viewers on
every instance, and rooms survive Redis going away, an instance killed, and a rolling restart."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.request import urlopen

import numpy as np
import pytest

from tests.support.client import Peer, load_audio, silence
from tests.support.cluster import (
    Cluster,
    history_finals,
    hosting_instance,
    live_captions,
    rejoin,
    start_cluster,
)
from tests.support.postgres import PostgresServer
from tests.support.redis_server import RedisServer
from tests.support.servers import (
    TESTDATA,
    BackendProcess,
    FakeOpenAI,
    fake_translation,
    metric,
    translating_env,
)
from tests.support.transcripts import normalized_wer

pytestmark = pytest.mark.slow

CHANNEL_TYPES = {"caption", "translation", "caption_withdrawn", "speech"}
JFK = TESTDATA / "jfk.flac"
FAILOVER_TARGET_S = 15.0


def new_room() -> str:
    return f"cl-{uuid.uuid4().hex[:8]}"


def speech(seconds_of_silence_after: float = 3.0) -> np.ndarray:
    return np.concatenate([silence(0.5), load_audio(JFK), silence(seconds_of_silence_after)])


def host_of(cluster: Cluster, redis_url: str, room: str) -> BackendProcess:
    host = hosting_instance(redis_url, room)
    assert host is not None, f"no instance hosts {room}"
    return cluster.instance(host)


def forwarded(cluster: Cluster) -> float:
    return sum(metric(i, "rtc_cluster_joins_forwarded_total") for i in cluster.instances)


async def join_captions_only(viewer: Peer, room: str, name: str) -> dict[str, Any]:
    await viewer.send({"v": 1, "type": "join", "room": room, "name": name, "captions_only": True})
    return await viewer.expect("joined")


def websocket_finals(viewer: Peer) -> list[tuple[str, str]]:
    return [
        (r.message["id"], r.message["text"])
        for r in viewer.signals
        if r.message["type"] == "caption" and r.message["final"]
    ]


def finals(peer: Peer) -> list[tuple[str, str]]:
    return [(f["id"], f["text"]) for f in peer.finals()]


async def spoken_to_the_end(speaker: Peer, timeout: float = 60) -> list[tuple[str, str]]:
    track = speaker.track
    assert track is not None
    await speaker.wait_for(
        lambda: track.finished_at and speaker.finals() and not speaker.open_utterances(), timeout
    )
    return finals(speaker)


@pytest.fixture(scope="module")
def cluster(redis_server: RedisServer, postgres: PostgresServer) -> Iterator[Cluster]:
    with start_cluster(3, redis_server.url(), postgres.create_database()) as running:
        yield running


async def test_a_meeting_spread_over_three_instances_is_one_room_with_captions_on_each(
    cluster: Cluster, redis_server: RedisServer
) -> None:
    room = new_room()
    first, second, third = cluster.instances
    forwarded_before = forwarded(cluster)
    async with (
        Peer(first.ws_url) as speaker,
        Peer(second.ws_url) as listener,
        Peer(third.ws_url) as viewer,
    ):
        await speaker.join(room, "Speaker")
        joined = await listener.join(room, "Listener")
        assert {p["name"] for p in joined["participants"]} == {"Speaker", "Listener"}
        assert (await join_captions_only(viewer, room, "Hall"))["room"] == room
        host = host_of(cluster, redis_server.url(), room)
        assert host is first  # it had room for it, and nginx would have sent its joins there
        assert forwarded(cluster) == forwarded_before + 1  # the listener's, from the second

        await listener.connect(None)
        await speaker.connect(speech())
        said = await spoken_to_the_end(speaker)
        assert "country" in " ".join(text for _, text in said).lower()
        await listener.wait_for(lambda: finals(listener) == said, 10)
        await viewer.wait_for(lambda: websocket_finals(viewer) == said, 10)  # through Redis

        async with Peer(second.ws_url) as late:  # an instance where nothing of it ran yet
            await join_captions_only(late, room, "Late")
            await late.wait_for(lambda: websocket_finals(late) == said, 10)
            assert all(
                r.message.get("history") for r in late.signals if r.message["type"] == "caption"
            )


async def test_a_viewer_on_another_instance_resumes_with_exactly_what_it_missed(
    cluster: Cluster,
) -> None:
    room = new_room()
    host, _, elsewhere = cluster.instances
    async with Peer(host.ws_url) as speaker, Peer(elsewhere.ws_url) as viewer:
        await speaker.join(room, "Speaker")
        joined = await join_captions_only(viewer, room, "Viewer")
        await speaker.connect(speech())
        first = await spoken_to_the_end(speaker)
        await viewer.wait_for(lambda: websocket_finals(viewer) == first, 10)
        last_seq = max(r.message["seq"] for r in viewer.signals if "seq" in r.message)
        await viewer.cut()  # its instance holds it, and what it misses, for the resume window

        assert speaker.track is not None
        speaker.track.play(speech())
        again = await spoken_to_the_end(speaker)
        assert len(again) > len(first)
        missed = finals(speaker)[len(first) :]
        async with Peer(elsewhere.ws_url) as back:
            resume = {
                "participant_id": joined["participant_id"],
                "token": joined["resume_token"],
                "last_seq": last_seq,
            }
            await back.send(
                {"v": 1, "type": "join", "room": room, "name": "Viewer", "captions_only": True,
                 "resume": resume}
            )  # fmt: skip
            assert (await back.expect("joined"))["resumed"] is True
            await back.wait_for(lambda: websocket_finals(back) == missed, 10)
            numbered = [r.message["seq"] for r in back.signals if "seq" in r.message]
            assert numbered == list(range(last_seq + 1, last_seq + 1 + len(numbered)))


async def test_a_viewer_elsewhere_reading_german_gets_the_host_s_translations(
    redis_server: RedisServer, postgres: PostgresServer, openai_server: FakeOpenAI
) -> None:
    """Only the host translates: it learns through Redis which languages readers on other
    instances want (within one lease renewal, 2 s)."""
    room = new_room()
    env = {k: v for k, v in translating_env(openai_server).items() if "OPENAI" in k or "TRANS" in k}
    with start_cluster(2, redis_server.url(), postgres.create_database(), env) as running:
        host, elsewhere = running.instances
        async with Peer(host.ws_url) as speaker, Peer(elsewhere.ws_url) as viewer:
            await speaker.join(room, "Speaker")
            await viewer.send(
                {"v": 1, "type": "join", "room": room, "name": "Viewer", "captions_only": True,
                 "caption_language": "de"}
            )  # fmt: skip
            await viewer.expect("joined")
            await asyncio.sleep(2.5)  # a lease renewal: the host knows German is read
            await speaker.connect(speech())
            said = await spoken_to_the_end(speaker)
            text = " ".join(t for _, t in said)

            def german() -> str:
                return " ".join(
                    r.message["text"]
                    for r in viewer.signals
                    if r.message["type"] == "translation" and r.message["final"]
                )

            await viewer.wait_for(lambda: "country" in german(), 30)
    assert websocket_finals(viewer) == said
    assert german().startswith(fake_translation("de", ""))
    assert normalized_wer(text, german().replace("[de] ", "")) == 0


async def test_nginx_sends_every_join_of_a_room_to_the_instance_that_hosts_it(
    cluster: Cluster, redis_server: RedisServer
) -> None:
    forwarded_before = forwarded(cluster)
    rooms = [new_room() for _ in range(8)]
    hosts = set()
    for room in rooms:
        async with Peer(cluster.room_url(room)) as one, Peer(cluster.room_url(room)) as two:
            await one.join(room, "One")
            joined = await two.join(room, "Two")
            assert len(joined["participants"]) == 2
            hosts.add(host_of(cluster, redis_server.url(), room).port)
    assert forwarded(cluster) == forwarded_before  # forwarding is the exception
    assert len(hosts) >= 2  # rooms spread over the instances


async def test_of_two_instances_claiming_a_new_room_at_once_one_hosts_it(
    cluster: Cluster, redis_server: RedisServer
) -> None:
    first, second, _ = cluster.instances
    for _ in range(10):
        room = new_room()
        async with Peer(first.ws_url) as one, Peer(second.ws_url) as two:
            joined = await asyncio.gather(one.join(room, "One"), two.join(room, "Two"))
            assert [j["type"] for j in joined] == ["joined", "joined"], joined
            # Whoever joined first learns of the other: they are in one room.
            await one.wait_for(lambda p=one: _sees(p, 2), 5)  # type: ignore[misc]
            await two.wait_for(lambda p=two: _sees(p, 2), 5)  # type: ignore[misc]
            assert host_of(cluster, redis_server.url(), room) in (first, second)


def _sees(peer: Peer, count: int) -> bool:
    lists = [
        r.message["participants"]
        for r in peer.signals
        if r.message["type"] in ("joined", "participants")
    ]
    return bool(lists) and len(lists[-1]) == count


async def test_instances_keep_their_rooms_while_redis_is_away_and_register_again(
    redis_server: RedisServer, postgres: PostgresServer
) -> None:
    room = new_room()
    with start_cluster(2, redis_server.url(), postgres.create_database()) as running:
        here, other = running.instances
        async with Peer(here.ws_url) as speaker:
            await speaker.join(room, "Speaker")
            await speaker.connect(speech())
            before = await spoken_to_the_end(speaker)
            redis_server.stop()
            try:
                await speaker.wait_for(
                    lambda: here.health()["cluster"]["redis"] == "unavailable", 10
                )
                assert here.health()["ready"]  # not a reason to restart it
                assert speaker.track is not None
                speaker.track.play(speech())
                await speaker.wait_for(lambda: len(finals(speaker)) >= 2 * len(before), 60)
                for instance in (here, other):
                    async with Peer(instance.ws_url) as newcomer:
                        refused = await newcomer.join(new_room(), "New")
                        assert refused["code"] == "cluster_unavailable", refused
            finally:
                redis_server.start()
            await speaker.wait_for(lambda: here.health()["cluster"]["redis"] == "ok", 10)
            await speaker.wait_for(lambda: other.health()["cluster"]["redis"] == "ok", 10)
            assert host_of(running, redis_server.url(), room) is here  # claimed again
            async with Peer(other.ws_url) as newcomer, Peer(other.ws_url) as another:
                assert (await newcomer.join(room, "New"))["type"] == "joined"
                assert (await another.join(new_room(), "Another"))["type"] == "joined"


async def test_a_killed_instance_s_room_comes_back_on_another_with_its_history(
    redis_server: RedisServer, postgres: PostgresServer
) -> None:
    room = new_room()
    with start_cluster(3, redis_server.url(), postgres.create_database()) as running:
        async with Peer(running.room_url(room)) as listener, Peer(running.room_url(room)) as talker:
            await listener.join(room, "Listener")
            await talker.join(room, "Speaker")
            await listener.connect(None)
            await talker.connect(speech())
            said = await spoken_to_the_end(talker)
            await listener.wait_for(lambda: finals(listener) == said, 10)
            host = host_of(running, redis_server.url(), room)

            host.process.kill()
            killed_at = time.monotonic()
            await listener.wait_for(lambda: listener.ws.closed, 10)
            deadline = killed_at + 60
            back = await rejoin(running, room, "Listener", listener, deadline)
            again = await rejoin(running, room, "Speaker", talker, deadline)
            try:
                await back.connect(None)
                await again.connect(speech())
                first_live = await back.wait_for(lambda: live_captions(back), 60)
                flowing_after = first_live[0].at - killed_at
                history = history_finals(back)
                new_host = host_of(running, redis_server.url(), room)
            finally:
                await back.close()
                await again.close()
    print(f"\nSIGKILL → captions flowing again: {flowing_after:.1f} s")
    assert new_host is not host
    assert history[: len(said)] == said  # every final committed before the kill
    assert flowing_after <= FAILOVER_TARGET_S


async def test_a_rolling_restart_moves_the_meeting_without_losing_a_caption(
    redis_server: RedisServer, postgres: PostgresServer
) -> None:
    room = new_room()
    with start_cluster(2, redis_server.url(), postgres.create_database()) as running:
        async with Peer(running.room_url(room)) as listener, Peer(running.room_url(room)) as talker:
            await listener.join(room, "Listener")
            await talker.join(room, "Speaker")
            await listener.connect(None)
            await talker.connect(speech(seconds_of_silence_after=0.0))
            host = host_of(running, redis_server.url(), room)
            await asyncio.sleep(6.0)  # mid-speech
            host.process.terminate()  # SIGTERM: drains
            await listener.wait_for(lambda: listener.ws.closed, 30)
            await talker.wait_for(lambda: talker.ws.closed, 30)
            live = finals(listener)
            assert live == finals(talker) and live  # the last words' final came before hang-up
            deadline = time.monotonic() + 30
            back = await rejoin(running, room, "Listener", listener, deadline)
            try:
                await back.connect(None)
                await back.wait_for(lambda: len(history_finals(back)) >= len(live), 20)
                assert history_finals(back) == live
                new_host = host_of(running, redis_server.url(), room)
                url = f"{new_host.base_url}/api/rooms/{room}/transcript"
                stored = json.loads(await asyncio.to_thread(lambda: urlopen(url).read()))
            finally:
                await back.close()
    assert new_host is not host
    assert [(c["id"], c["text"]) for c in stored["captions"]] == live
