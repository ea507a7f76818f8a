"""The cluster's shared records in a real Redis: leases, claims, instances and the caption bus."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from rtc_server.cluster.caption_bus import RedisCaptionBus
from rtc_server.cluster.directory import ClusterDirectory, InstanceInfo, InstanceLoad
from rtc_server.rooms.bus import CaptionDelivery
from rtc_server.signaling.caption_messages import Caption, Translation
from rtc_server.signaling.messages import Speaker
from tests.support.redis_server import RedisServer

LEASE_S = 1.0


@pytest.fixture
async def directories(redis_server: RedisServer) -> AsyncIterator[list[ClusterDirectory]]:
    """Three instances' views of one Redis, each with its own connections."""
    clients = [redis.Redis.from_url(redis_server.url()) for _ in range(3)]
    yield [ClusterDirectory(client, LEASE_S) for client in clients]
    for client in clients:
        await client.aclose()


def room_name() -> str:
    return f"room-{uuid.uuid4().hex[:8]}"


async def test_of_instances_claiming_one_room_at_once_exactly_one_wins(
    directories: list[ClusterDirectory],
) -> None:
    for _ in range(30):
        room = room_name()
        hosts = await asyncio.gather(
            *(directory.claim(room, f"instance-{n}") for n, directory in enumerate(directories))
        )
        assert len(set(hosts)) == 1, hosts  # every claimant is told the same winner
        assert hosts[0] in {"instance-0", "instance-1", "instance-2"}
        assert await directories[0].host(room) == hosts[0]


async def test_only_the_holder_renews_or_releases_and_an_unrenewed_lease_lapses(
    directories: list[ClusterDirectory],
) -> None:
    first, second, _ = directories
    room = room_name()
    assert await first.claim(room, "a") == "a"
    assert await second.renew([room], "b") == [room]  # not b's to renew
    await second.release(room, "b")
    assert await first.host(room) == "a"  # nor to release
    for _ in range(3):  # renewed past its first lease
        await asyncio.sleep(LEASE_S / 2)
        assert await first.renew([room], "a") == []
    assert await second.claim(room, "b") == "a"
    await asyncio.sleep(LEASE_S * 1.2)
    assert await first.host(room) is None  # lapsed
    assert await second.claim(room, "b") == "b"
    await second.release(room, "b")
    assert await first.host(room) is None


async def test_instances_are_listed_with_their_load_while_their_lease_lasts(
    directories: list[ClusterDirectory],
) -> None:
    load = InstanceLoad(speakers=1, max_speakers=8, sessions=3, max_sessions=200, lag_s=0.1)
    mine = InstanceInfo(f"i-{uuid.uuid4().hex[:6]}", "http://127.0.0.1:1", load)
    await directories[0].register(mine)
    assert mine in await directories[1].instances()
    assert await directories[2].instance(mine.id) == mine
    await asyncio.sleep(LEASE_S * 1.2)
    assert mine not in await directories[1].instances()


def caption(text: str, final: bool = True) -> Caption:
    speaker = Speaker(id="p-1", name="Ann")
    return Caption(
        id=f"p-1:{text}", speaker=speaker, language="en", text=text, final=final,
        start=0.0, end=1.0, origin=0,
    )  # fmt: skip


async def test_captions_reach_readers_on_other_instances_in_order_and_once(
    directories: list[ClusterDirectory],
) -> None:
    host = RedisCaptionBus(directories[0], "host")
    viewer = RedisCaptionBus(directories[1], "viewer")
    room = room_name()
    here: list[CaptionDelivery] = []
    there: list[CaptionDelivery] = []
    host.subscribe(room, here.append)
    viewer.subscribe(room, there.append)
    await asyncio.sleep(0.3)  # the viewer's reader has found where the stream ends
    speaker = Speaker(id="p-1", name="Ann")
    translation = Translation(
        caption_id="p-1:2", speaker=speaker, language="de", source_language="en",
        text="Hallo", final=True,
    )  # fmt: skip
    sent = [
        CaptionDelivery(caption("one", final=False), provisional=True),
        CaptionDelivery(caption("two")),
        CaptionDelivery(translation, caption_language="de"),
    ]
    for delivery in sent:
        host.publish(room, delivery)
    assert here == sent  # at once, and only once, on the publishing instance
    for _ in range(50):
        if len(there) == len(sent):
            break
        await asyncio.sleep(0.05)
    assert [d.message for d in there] == [d.message for d in sent]
    assert [(d.provisional, d.caption_language) for d in there] == [
        (False, None) if i else (True, None) for i in range(2)
    ] + [(False, "de")]
    assert all(d.remote for d in there)
    await asyncio.sleep(0.2)
    assert len(here) == len(sent)  # its own entries do not come back to it
    await host.close()
    await viewer.close()


async def test_captions_published_while_redis_is_down_arrive_once_it_is_back(
    redis_server: RedisServer, directories: list[ClusterDirectory]
) -> None:
    host = RedisCaptionBus(directories[0], "host")
    viewer = RedisCaptionBus(directories[1], "viewer")
    room = room_name()
    there: list[CaptionDelivery] = []
    viewer.subscribe(room, there.append)
    await asyncio.sleep(0.3)
    host.publish(room, CaptionDelivery(caption("before")))
    for _ in range(50):
        if there:
            break
        await asyncio.sleep(0.05)
    redis_server.stop()
    try:
        for word in ("during", "outage"):
            host.publish(room, CaptionDelivery(caption(word)))
        await asyncio.sleep(1.0)
    finally:
        redis_server.start()
    for _ in range(100):
        if len(there) == 3:
            break
        await asyncio.sleep(0.1)
    assert [d.message.text for d in there if isinstance(d.message, Caption)] == [
        "before", "during", "outage",
    ]  # fmt: skip
    await host.close()
    await viewer.close()
