"""What a room needs from the rest of a cluster: the seam between rooms and `cluster/`."""

from __future__ import annotations

from typing import Protocol


class Hosting(Protocol):
    def other_readers(self, room: str) -> frozenset[str]:
        """Caption languages the room's readers on other instances want translated."""

    def room_closed(self, room: str) -> None:
        """The room's last member here left: whatever this instance held for it goes."""


class SingleInstance:
    """One process is the whole service: every reader is here."""

    def other_readers(self, room: str) -> frozenset[str]:
        return frozenset()

    def room_closed(self, room: str) -> None:
        pass
