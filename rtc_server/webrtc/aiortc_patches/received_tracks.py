"""End the tracks a closed peer connection received.

aiortc ends them only if media ever flowed: the tracks of a peer that never connected would
keep their readers (the room's relay task, the recognizer's pump) waiting forever.
"""

from __future__ import annotations

from aiortc import RTCPeerConnection
from aiortc.rtcrtpreceiver import RemoteStreamTrack


def end_received_tracks(pc: RTCPeerConnection) -> None:
    for receiver in pc.getReceivers():
        if isinstance(receiver.track, RemoteStreamTrack):
            receiver.track._queue.put_nowait(None)  # what aiortc's receiver sends when it stops
