"""What the instances of a cluster share in Redis: who is alive (with its load), which
instance hosts which room, the languages each instance's readers want, and every room's
captions as a stream.

Everything is a lease (a key with an expiry its holder renews), so an instance that dies
without a word drops out by itself; claims are single Redis commands, so two instances
claiming one room at once cannot both win.

    rtc:instance:<id>       JSON InstanceInfo                  lease
    rtc:room:<room>         hosting instance id                lease
    rtc:readers:<room>      hash: instance id → "de,fr"        lease
    rtc:captions:<room>     stream of {origin, delivery}       capped, expires when idle
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import redis.asyncio as redis

_INSTANCE = "rtc:instance:"
_ROOM = "rtc:room:"
_READERS = "rtc:readers:"
_CAPTIONS = "rtc:captions:"
STREAM_LENGTH = 1000  # captions kept per room stream, for readers that fall behind briefly
STREAM_IDLE_S = 3600  # a room stream nobody writes to goes away after this

# Renew or release a lease only while this instance still holds it.
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"  # noqa: E501
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"  # noqa: E501


@dataclass(frozen=True)
class InstanceLoad:
    speakers: int
    max_speakers: int
    sessions: int
    max_sessions: int
    lag_s: float  # how far its slowest recognition stream is behind real time
    draining: bool = False

    @property
    def spare(self) -> bool:
        """Room for one more meeting: not stopping, a free microphone seat and connections."""
        return (
            not self.draining
            and self.speakers < self.max_speakers
            and self.sessions < self.max_sessions
        )

    @property
    def busy(self) -> float:
        """How full it is, 0 to 1 and above: its scarcest resource, worse when it lags."""
        used = max(self.speakers / self.max_speakers, self.sessions / self.max_sessions)
        return used + self.lag_s


@dataclass(frozen=True)
class InstanceInfo:
    id: str
    url: str  # how the other instances reach it (http://address:port)
    load: InstanceLoad

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | bytes) -> InstanceInfo:
        data = json.loads(text)
        return cls(id=data["id"], url=data["url"], load=InstanceLoad(**data["load"]))


class ClusterDirectory:
    """The cluster's shared records, one Redis command (or script) per question."""

    def __init__(self, client: redis.Redis, lease_s: float) -> None:
        self.redis = client
        self._lease_ms = int(lease_s * 1000)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    # Instances

    async def register(self, instance: InstanceInfo) -> None:
        await self.redis.set(_INSTANCE + instance.id, instance.to_json(), px=self._lease_ms)

    async def deregister(self, instance_id: str) -> None:
        await self.redis.delete(_INSTANCE + instance_id)

    async def instances(self) -> list[InstanceInfo]:
        keys = [key async for key in self.redis.scan_iter(match=_INSTANCE + "*", count=100)]
        if not keys:
            return []
        return [InstanceInfo.from_json(value) for value in await self.redis.mget(keys) if value]

    async def instance(self, instance_id: str) -> InstanceInfo | None:
        value = await self.redis.get(_INSTANCE + instance_id)
        return InstanceInfo.from_json(value) if value else None

    # Rooms

    async def claim(self, room: str, instance_id: str) -> str:
        """Record `instance_id` as the room's host unless one is recorded; the host after."""
        if await self.redis.set(_ROOM + room, instance_id, nx=True, px=self._lease_ms):
            return instance_id
        return await self.host(room) or await self.claim(room, instance_id)

    async def host(self, room: str) -> str | None:
        value = await self.redis.get(_ROOM + room)
        return value.decode() if isinstance(value, bytes) else value

    async def renew(self, rooms: list[str], instance_id: str) -> list[str]:
        """Extend this instance's room leases; the rooms it no longer holds."""
        lost = []
        for room in rooms:
            if not await self._renew(keys=[_ROOM + room], args=[instance_id, self._lease_ms]):
                lost.append(room)
        return lost

    async def release(self, room: str, instance_id: str) -> None:
        await self._release(keys=[_ROOM + room], args=[instance_id])

    # What each instance's readers of a room want translated

    async def set_readers(self, room: str, instance_id: str, languages: set[str]) -> None:
        key = _READERS + room
        async with self.redis.pipeline(transaction=True) as pipe:
            if languages:
                pipe.hset(key, instance_id, ",".join(sorted(languages)))
            else:
                pipe.hdel(key, instance_id)
            pipe.pexpire(key, self._lease_ms)
            await pipe.execute()

    async def readers(self, room: str) -> dict[str, set[str]]:
        kept: dict[bytes, bytes] = await self.redis.hgetall(_READERS + room)  # type: ignore[misc]
        return {_text(instance): set(_text(wanted).split(",")) for instance, wanted in kept.items()}

    # Captions

    async def append_captions(self, room: str, entries: list[dict[str, str]]) -> list[str]:
        """Add to the room's stream in order; the entries' ids."""
        key = _CAPTIONS + room
        async with self.redis.pipeline(transaction=False) as pipe:
            for entry in entries:
                pipe.xadd(key, dict(entry), maxlen=STREAM_LENGTH, approximate=True)  # type: ignore[arg-type]
            pipe.expire(key, STREAM_IDLE_S)
            ids = await pipe.execute()
        return [_text(entry_id) for entry_id in ids[:-1]]

    async def read_captions(
        self, room: str, after: str, block_ms: int
    ) -> list[tuple[str, dict[str, str]]]:
        """The room's captions after entry `after` ("$": from now), waiting up to `block_ms`."""
        answer = await self.redis.xread({_CAPTIONS + room: after}, block=block_ms, count=500)
        if not answer:
            return []
        _, entries = answer[0]
        return [
            (_text(entry_id), {_text(k): _text(v) for k, v in fields.items()})
            for entry_id, fields in entries
        ]

    async def last_caption_id(self, room: str) -> str:
        """Where a reader starting now begins: the latest entry ("0-0" for none yet)."""
        latest = await self.redis.xrevrange(_CAPTIONS + room, count=1)
        return _text(latest[0][0]) if latest else "0-0"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
