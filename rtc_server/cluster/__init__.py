"""Several instances as one service (RTC_REDIS_URL): shared state in Redis."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as redis

from rtc_server.cluster.caption_bus import READ_BLOCK_MS, RedisCaptionBus
from rtc_server.cluster.directory import ClusterDirectory, InstanceLoad
from rtc_server.cluster.forwarding import Forwarder
from rtc_server.cluster.node import ClusterNode, new_instance_id
from rtc_server.settings import Settings


@dataclass
class Cluster:
    node: ClusterNode
    bus: RedisCaptionBus
    forwarder: Forwarder

    @classmethod
    def connect(cls, settings: Settings, load: Callable[[], InstanceLoad]) -> Cluster:
        """Nothing is sent yet: the first lease says whether Redis answers."""
        assert settings.redis_url is not None and settings.instance_url is not None
        client = redis.Redis.from_url(
            settings.redis_url.get_secret_value(),
            socket_connect_timeout=2.0,
            socket_timeout=READ_BLOCK_MS / 1000 + 2.0,
        )
        directory = ClusterDirectory(client, settings.cluster_lease_s)
        instance_id = new_instance_id()
        node = ClusterNode(
            directory, instance_id, settings.instance_url, settings.cluster_lease_s, load
        )
        return cls(node, RedisCaptionBus(directory, instance_id), Forwarder(instance_id))

    async def close(self) -> None:
        """After the rooms: their last captions still go out through the bus."""
        await self.bus.close()
        await self.forwarder.close()
        await self.node.close()
