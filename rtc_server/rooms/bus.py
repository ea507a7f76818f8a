"""Where a room's caption router publishes, and where its listeners' deliveries come from.

In one process the bus hands each delivery to the room's subscriber at once; a bus between
processes (so that listeners on another instance get the same captions) fits the same seam.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from rtc_server.signaling.caption_messages import ChannelMessage


@dataclass(frozen=True)
class CaptionDelivery:
    """One data-channel message for a room's listeners."""

    message: ChannelMessage  # numbered (and split) by each listener's channel
    provisional: bool = False  # may be skipped for a slow listener
    caption_language: str | None = None  # only for listeners reading this; None: everyone
    remote: bool = False  # published by another instance (a cluster's bus)


Subscriber = Callable[[CaptionDelivery], None]


class CaptionBus(Protocol):
    def publish(self, room: str, delivery: CaptionDelivery) -> None: ...

    def subscribe(self, room: str, subscriber: Subscriber) -> Callable[[], None]:
        """Deliveries of `room` from now on, in publish order; returns the unsubscribe."""


class LocalCaptionBus:
    """Every subscriber lives in this process: delivery is a call, in publish order."""

    def __init__(self) -> None:
        self._subscribers: dict[str, list[Subscriber]] = {}

    def publish(self, room: str, delivery: CaptionDelivery) -> None:
        for subscriber in list(self._subscribers.get(room, ())):
            subscriber(delivery)

    def subscribed(self, room: str) -> bool:
        return room in self._subscribers

    def subscribe(self, room: str, subscriber: Subscriber) -> Callable[[], None]:
        self._subscribers.setdefault(room, []).append(subscriber)

        def unsubscribe() -> None:
            subscribers = self._subscribers.get(room, [])
            if subscriber in subscribers:
                subscribers.remove(subscriber)
            if not subscribers:
                self._subscribers.pop(room, None)

        return unsubscribe
