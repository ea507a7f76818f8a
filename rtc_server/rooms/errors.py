"""Why the rooms refuse a join or a resume; signaling turns each into a wire error code."""

from __future__ import annotations


class RoomError(Exception):
    """A refusal with a message meant for the person joining."""


class RoomFull(RoomError):
    pass


class NotAccepting(RoomError):
    """The server is shutting down: no one joins or resumes any more."""


class NothingToResume(RoomError):
    """Unknown participant, wrong token, expired, or already resumed."""


class ClusterUnavailable(RoomError):
    """Cluster mode without Redis: a room not hosted here cannot be placed or found."""


class RoomMoving(RoomError):
    """The room's recorded host does not answer: its lease lapses soon, then the room moves."""
