"""The caption bus of a cluster: a room's captions reach its readers on every instance.

Readers on the publishing instance get each delivery at once, as on one server. Every
delivery is also appended, in publish order, to the room's Redis stream; an instance with
readers of a room hosted elsewhere follows that stream (one task per room) and hands each
entry to its readers. The stream keeps the latest entries, so a reader that lost Redis for a
moment continues where it stopped; a writer that cannot reach Redis keeps its entries, in
order, until it can.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from pydantic import TypeAdapter
from redis.exceptions import RedisError

from rtc_server.cluster.directory import ClusterDirectory
from rtc_server.observability import metrics
from rtc_server.rooms.bus import CaptionDelivery, LocalCaptionBus, Subscriber
from rtc_server.signaling.caption_messages import CaptionChannelMessage
from rtc_server.tasks import start_task

log = logging.getLogger(__name__)

OUTBOX_LIMIT = 10_000  # deliveries waiting for Redis; beyond it the oldest go
READ_BLOCK_MS = 1000
RETRY_S = (0.2, 0.5, 1.0, 2.0)
_MESSAGE: TypeAdapter[CaptionChannelMessage] = TypeAdapter(CaptionChannelMessage)


def encode_delivery(delivery: CaptionDelivery) -> str:
    return json.dumps(
        {
            "message": delivery.message.model_dump(mode="json"),
            "provisional": delivery.provisional,
            "caption_language": delivery.caption_language,
        }
    )


def decode_delivery(text: str) -> CaptionDelivery:
    data = json.loads(text)
    return CaptionDelivery(
        _MESSAGE.validate_python(data["message"]),
        provisional=data["provisional"],
        caption_language=data["caption_language"],
        remote=True,
    )


class RedisCaptionBus:
    def __init__(self, directory: ClusterDirectory, instance_id: str) -> None:
        self._directory = directory
        self._instance_id = instance_id
        self._local = LocalCaptionBus()
        self._outbox: asyncio.Queue[tuple[str, CaptionDelivery]] = asyncio.Queue(OUTBOX_LIMIT)
        self._writer: asyncio.Task[None] | None = None
        self._readers: dict[str, asyncio.Task[None]] = {}

    def publish(self, room: str, delivery: CaptionDelivery) -> None:
        self._local.publish(room, delivery)
        if self._outbox.full():
            self._outbox.get_nowait()
            metrics.CLUSTER_CAPTIONS_DROPPED.inc()
        self._outbox.put_nowait((room, delivery))
        if self._writer is None or self._writer.done():
            self._writer = start_task(self._write())

    def subscribe(self, room: str, subscriber: Subscriber) -> Callable[[], None]:
        unsubscribe_here = self._local.subscribe(room, subscriber)
        if room not in self._readers:
            self._readers[room] = start_task(self._follow(room))

        def unsubscribe() -> None:
            unsubscribe_here()
            if not self._local.subscribed(room) and room in self._readers:
                self._readers.pop(room).cancel()

        return unsubscribe

    async def _write(self) -> None:
        """Append waiting deliveries, a batch at a time, in order; retry while Redis is away."""
        failures = 0
        while not self._outbox.empty():
            batch = [self._outbox.get_nowait() for _ in range(min(200, self._outbox.qsize()))]
            by_room: dict[str, list[dict[str, str]]] = {}
            for room, delivery in batch:
                entry = {"origin": self._instance_id, "delivery": encode_delivery(delivery)}
                by_room.setdefault(room, []).append(entry)
            pending = list(by_room.items())
            while pending:
                room, entries = pending[0]
                try:
                    await self._directory.append_captions(room, entries)
                    pending.pop(0)
                except RedisError as error:
                    if failures == 0:
                        log.warning("captions cannot reach the other instances: %s", error)
                    await asyncio.sleep(RETRY_S[min(failures, len(RETRY_S) - 1)])
                    failures += 1
            if failures:
                log.info("captions reach the other instances again")
                failures = 0

    async def _follow(self, room: str) -> None:
        """Hand the room's captions from other instances to the readers here."""
        after: str | None = None
        failures = 0
        while True:
            try:
                if after is None:
                    after = await self._directory.last_caption_id(room)
                entries = await self._directory.read_captions(room, after, READ_BLOCK_MS)
                failures = 0
            except RedisError as error:
                if failures == 0:
                    log.warning("room %s: captions from other instances paused: %s", room, error)
                await asyncio.sleep(RETRY_S[min(failures, len(RETRY_S) - 1)])
                failures += 1
                continue
            for entry_id, fields in entries:
                after = entry_id
                if fields.get("origin") != self._instance_id:
                    self._local.publish(room, decode_delivery(fields["delivery"]))

    async def close(self) -> None:
        """Send what is still waiting (briefly) and stop following rooms."""
        if self._writer is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._writer), 2.0)
            except TimeoutError:
                log.warning("%d captions did not reach the other instances", self._outbox.qsize())
        tasks = [*self._readers.values(), *([self._writer] if self._writer else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._readers.clear()
