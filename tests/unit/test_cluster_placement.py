"""Where a cluster instance sends a participant's join, decided against a directory in memory."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from rtc_server.cluster.directory import InstanceInfo, InstanceLoad
from rtc_server.cluster.node import ClusterNode
from rtc_server.rooms.errors import ClusterUnavailable, RoomMoving


def load(speakers: int = 0, sessions: int = 0, draining: bool = False) -> InstanceLoad:
    return InstanceLoad(
        speakers=speakers, max_speakers=10, sessions=sessions, max_sessions=100, lag_s=0.0,
        draining=draining,
    )  # fmt: skip


class MemoryDirectory:
    """The directory's answers, kept in dicts; `down` makes every call fail as Redis would."""

    def __init__(self) -> None:
        self.hosts: dict[str, str] = {}
        self.registered: dict[str, InstanceInfo] = {}
        self.down = False
        self.redis = self  # what the node closes when it stops

    def _check(self) -> None:
        if self.down:
            raise RedisConnectionError("Connection refused")

    async def host(self, room: str) -> str | None:
        self._check()
        return self.hosts.get(room)

    async def claim(self, room: str, instance_id: str) -> str:
        self._check()
        return self.hosts.setdefault(room, instance_id)

    async def instance(self, instance_id: str) -> InstanceInfo | None:
        self._check()
        return self.registered.get(instance_id)

    async def instances(self) -> list[InstanceInfo]:
        self._check()
        return list(self.registered.values())

    async def register(self, instance: InstanceInfo) -> None:
        self.registered[instance.id] = instance

    async def deregister(self, instance_id: str) -> None:
        self.registered.pop(instance_id, None)

    async def aclose(self) -> None:
        pass

    async def renew(self, rooms: list[str], instance_id: str) -> list[str]:
        return [room for room in rooms if self.hosts.get(room) != instance_id]

    async def release(self, room: str, instance_id: str) -> None:
        if self.hosts.get(room) == instance_id:
            del self.hosts[room]

    async def set_readers(self, room: str, instance_id: str, languages: set[str]) -> None:
        pass

    async def readers(self, room: str) -> dict[str, set[str]]:
        return {}


class NoRoomsHere:
    def reader_languages(self) -> dict[str, set[str]]:
        return {}

    def evict(self, room: str, message: str) -> None:
        raise AssertionError("nothing to evict")


def node(
    directory: MemoryDirectory,
    mine: InstanceLoad,
    others: dict[str, InstanceLoad],
    lease_s: float = 6.0,
) -> Any:
    for name, their_load in others.items():
        directory.registered[name] = InstanceInfo(name, f"http://{name}", their_load)
    return ClusterNode(directory, "me", "http://me", lease_s, lambda: mine)  # type: ignore[arg-type]


async def test_a_new_room_opens_where_its_join_arrived_while_that_instance_has_room() -> None:
    directory = MemoryDirectory()
    here = node(directory, load(speakers=2), {"idle": load()})
    assert await here.place("r", forwarded=False) is None
    assert directory.hosts["r"] == "me" and here.hosts("r")


async def test_a_busy_instance_passes_a_new_room_to_the_least_busy_other() -> None:
    directory = MemoryDirectory()
    others = {"half": load(speakers=5), "idle": load(sessions=10), "stopping": load(draining=True)}
    here = node(directory, load(speakers=9), others)
    assert await here.place("r", forwarded=False) == "http://idle"
    assert "r" not in directory.hosts  # the instance it goes to claims it


async def test_a_busy_instance_keeps_a_new_room_when_no_other_is_less_busy() -> None:
    directory = MemoryDirectory()
    here = node(directory, load(speakers=9), {"busier": load(speakers=10)})
    assert await here.place("r", forwarded=False) is None


async def test_a_draining_instance_sends_new_rooms_elsewhere_however_busy_the_others() -> None:
    directory = MemoryDirectory()
    here = node(directory, load(), {"busy": load(speakers=9)})
    here.draining = True
    assert await here.place("r", forwarded=False) == "http://busy"


async def test_a_join_for_a_hosted_room_goes_to_its_host() -> None:
    directory = MemoryDirectory()
    here = node(directory, load(), {"other": load()})
    directory.hosts["r"] = "other"
    assert await here.place("r", forwarded=False) == "http://other"


async def test_a_forwarded_join_is_never_passed_on_again() -> None:
    directory = MemoryDirectory()
    here = node(directory, load(speakers=9), {"idle": load()})
    assert await here.place("new", forwarded=True) is None  # hosted here though busy
    directory.hosts["elsewhere"] = "other"
    with pytest.raises(RoomMoving):
        await here.place("elsewhere", forwarded=True)


async def test_a_room_whose_host_has_no_live_record_is_moving() -> None:
    directory = MemoryDirectory()
    here = node(directory, load(), {})
    directory.hosts["r"] = "dead"  # its room lease outlives it by up to one lease
    with pytest.raises(RoomMoving):
        await here.place("r", forwarded=False)


async def test_without_redis_rooms_hosted_here_are_served_and_others_refused() -> None:
    directory = MemoryDirectory()
    here = node(directory, load(), {})
    assert await here.place("kept", forwarded=False) is None
    directory.down = True
    assert await here.place("kept", forwarded=False) is None
    with pytest.raises(ClusterUnavailable):
        await here.place("new", forwarded=False)
    assert not here.redis_ok


async def test_a_room_claimed_for_a_join_that_never_opened_it_is_given_back() -> None:
    directory = MemoryDirectory()
    here = node(directory, load(), {}, lease_s=0.1)
    await here.start(NoRoomsHere())
    assert await here.place("abandoned", forwarded=False) is None
    assert directory.hosts == {"abandoned": "me"}
    await asyncio.sleep(0.05)
    assert here.hosts("abandoned")  # it may still be opening
    await asyncio.sleep(0.3)
    assert not here.hosts("abandoned") and directory.hosts == {}
    await here.close()
    assert "me" not in directory.registered
