"""This instance as a member of a cluster: its lease, the rooms it hosts, where a join goes.

Every third of a lease it registers with its load, renews the leases of the rooms it hosts
(a room whose lease another instance took is handed back to its clients, who reconnect to
the right host), says which caption languages its readers of each room want, and learns
what the other instances' readers of its own rooms want. While Redis is unreachable it
keeps every room it hosts and refuses to open new ones; once Redis is back it registers and
claims its rooms again.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Protocol

from redis.exceptions import RedisError

from rtc_server.cluster.directory import ClusterDirectory, InstanceInfo, InstanceLoad
from rtc_server.observability import metrics
from rtc_server.rooms.errors import ClusterUnavailable, RoomMoving
from rtc_server.tasks import BackgroundTasks

log = logging.getLogger(__name__)

REDIS_DOWN = (
    "the cluster cannot reach its shared state (Redis), so no new room can be opened on it "
    "right now; try again shortly"
)
HOST_GONE = "the room's server does not answer; the room moves to another server within seconds"
ROOM_TAKEN = "this room has moved to another server; reconnecting finds it there"
FULL_AT = 0.8  # busier than this, an instance passes new rooms on to a less busy one


class LocalRooms(Protocol):
    """The rooms open on this instance (the room registry)."""

    def reader_languages(self) -> dict[str, set[str]]:
        """Each open room's caption languages read here."""

    def evict(self, room: str, message: str) -> None:
        """Send the room's members here away with `message`: it is hosted elsewhere now."""


def new_instance_id() -> str:
    """Unique per process: a restarted instance must not take its predecessor's leases."""
    return f"{socket.gethostname()}-{secrets.token_hex(3)}"


class ClusterNode:
    def __init__(
        self,
        directory: ClusterDirectory,
        instance_id: str,
        url: str,
        lease_s: float,
        load: Callable[[], InstanceLoad],
    ) -> None:
        self.id = instance_id
        self.url = url
        self.draining = False
        self.redis_ok = True
        self._directory = directory
        self._lease_s = lease_s
        self._load = load
        self._hosted: dict[str, float] = {}  # room → when it was claimed (monotonic)
        self._other_readers: dict[str, frozenset[str]] = {}
        self._tasks = BackgroundTasks()
        self._rooms: LocalRooms | None = None
        metrics.CLUSTER_REDIS_UP.set(1)

    def info(self) -> InstanceInfo:
        return InstanceInfo(self.id, self.url, replace(self._load(), draining=self.draining))

    async def start(self, rooms: LocalRooms) -> None:
        """Register at once (a first failure is logged, not fatal), then keep the leases."""
        self._rooms = rooms
        await self._renew()
        self._tasks.spawn(self._keep_leases())

    def hosts(self, room: str) -> bool:
        return room in self._hosted

    # Where a join goes

    async def place(self, room: str, forwarded: bool) -> str | None:
        """Where a participant's join for `room` is served: None here, else the URL of the
        instance that hosts the room (or is to). A join another instance `forwarded` here
        is never passed on again."""
        if room in self._hosted:
            return None  # even while Redis is away
        try:
            host = await self._directory.host(room)
            if host is None:
                target = None if forwarded else await self._less_busy_instance()
                if target is not None:
                    return target.url
                host = await self._directory.claim(room, self.id)
            if host == self.id:
                self._hosted.setdefault(room, time.monotonic())
                metrics.ROOMS_HOSTED.set(len(self._hosted))
                return None
            info = None if forwarded else await self._directory.instance(host)
        except RedisError as error:
            self._set_redis_ok(False, error)
            raise ClusterUnavailable(REDIS_DOWN) from None
        if info is None:  # its lease has not lapsed yet, or it forwarded the join here
            raise RoomMoving(HOST_GONE)
        return info.url

    async def _less_busy_instance(self) -> InstanceInfo | None:
        """Another instance for a new room when this one is too busy or stopping; None: here.
        A room opens where nginx's hash sends its joins whenever that instance has room for
        it, so that forwarding stays the exception."""
        load = self.info().load
        if not load.draining and load.busy < FULL_AT:
            return None
        others = [
            instance
            for instance in await self._directory.instances()
            if instance.id != self.id and not instance.load.draining
        ]
        best = min(others, key=lambda instance: instance.load.busy, default=None)
        if best is None or (not load.draining and best.load.busy >= load.busy):
            return None
        return best

    # What the rooms here need

    def other_readers(self, room: str) -> frozenset[str]:
        return self._other_readers.get(room, frozenset())

    def room_closed(self, room: str) -> None:
        self._hosted.pop(room, None)
        self._other_readers.pop(room, None)
        metrics.ROOMS_HOSTED.set(len(self._hosted))
        self._tasks.spawn(self._forget(room))

    async def _forget(self, room: str) -> None:
        try:
            await self._directory.release(room, self.id)
            await self._directory.set_readers(room, self.id, set())
        except RedisError:
            pass  # the lease lapses by itself

    # Leases

    async def _keep_leases(self) -> None:
        while True:
            await asyncio.sleep(self._lease_s / 3)
            await self._renew()

    async def _renew(self) -> None:
        assert self._rooms is not None
        try:
            await self._directory.register(self.info())
            for room in await self._directory.renew(sorted(self._hosted), self.id):
                await self._reclaim(room)
            readers = self._rooms.reader_languages()
            self._drop_unopened(readers.keys())
            for room, languages in readers.items():
                await self._directory.set_readers(room, self.id, languages)
            for room in list(self._hosted):
                wanted = await self._directory.readers(room)
                wanted.pop(self.id, None)
                self._other_readers[room] = frozenset().union(*wanted.values())
        except RedisError as error:
            self._set_redis_ok(False, error)
        else:
            self._set_redis_ok(True)

    async def _reclaim(self, room: str) -> None:
        """A hosted room's lease is gone (Redis lost it, or it lapsed while Redis was away):
        take it again, unless another instance has meanwhile."""
        if await self._directory.claim(room, self.id) == self.id:
            return
        log.warning("room %s is now hosted by another instance; its members here move", room)
        self._hosted.pop(room, None)
        metrics.ROOMS_HOSTED.set(len(self._hosted))
        assert self._rooms is not None
        self._rooms.evict(room, ROOM_TAKEN)

    def _drop_unopened(self, open_here: Iterable[str]) -> None:
        """Give back a room claimed for a join that never opened it here (the client left, or
        the join was refused) once it has had a lease's time to open."""
        stale_before = time.monotonic() - self._lease_s
        opened = set(open_here)
        for room, claimed_at in list(self._hosted.items()):
            if room not in opened and claimed_at < stale_before:
                self.room_closed(room)

    def _set_redis_ok(self, ok: bool, error: Exception | None = None) -> None:
        if ok == self.redis_ok:
            return
        self.redis_ok = ok
        metrics.CLUSTER_REDIS_UP.set(int(ok))
        if ok:
            log.info("cluster: Redis is back; registered again with %d rooms", len(self._hosted))
        else:
            log.error(
                "cluster: Redis unreachable (%s): keeping the %d rooms hosted here, refusing "
                "new ones until it is back",
                error,
                len(self._hosted),
            )

    async def drain(self) -> None:
        """Stopping: take no new rooms and give up the leases of those here, so that their
        members, once hung up, rejoin them on another instance."""
        self.draining = True
        hosted, self._hosted = self._hosted, {}
        metrics.ROOMS_HOSTED.set(0)
        try:
            await self._directory.register(self.info())
            for room in hosted:
                await self._directory.release(room, self.id)
        except RedisError as error:
            log.warning("cluster: could not hand the rooms back (%s); their leases lapse", error)

    async def close(self) -> None:
        await self._tasks.cancel_all()
        try:
            for room in self._hosted:
                await self._directory.release(room, self.id)
            await self._directory.deregister(self.id)
        except RedisError:
            pass  # the leases lapse by themselves
        await self._directory.redis.aclose()
