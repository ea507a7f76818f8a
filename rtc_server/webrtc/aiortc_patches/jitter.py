"""An audio jitter buffer that gives up on a lost packet instead of waiting for overflow.

aiortc's buffer (16 packets) holds back everything behind a missing packet until the buffer
overflows, then frees room by discarding received packets as well, and from then on releases
one frame per arriving packet, so it stays full and discards again at the next loss. Measured
with bursty loss on 20 ms Opus packets, 5% lost on the wire became 13% missing audio and
15% became 44%. Here a hole is given up once `prefetch` later packets have arrived (80 ms late
at 20 ms per packet): each lost packet costs only its own audio, and late ones still fit.
"""

from __future__ import annotations

import aiortc.rtcrtpreceiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame


class AudioJitterBuffer(JitterBuffer):
    """For Opus, where every RTP packet carries one whole frame (RFC 7587)."""

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        if sum(packet is not None for packet in self._packets) <= self._prefetch:
            return None
        while (packet := self._packets[self._origin_slot()]) is None:
            self.remove(1)  # a hole behind `prefetch` newer packets: lost
        self.remove(1)
        return JitterFrame(data=packet._data, timestamp=packet.timestamp)  # type: ignore[attr-defined]

    def _origin_slot(self) -> int:
        assert self._origin is not None
        return self._origin % self._capacity


def _jitter_buffer(capacity: int, prefetch: int = 0, is_video: bool = False) -> JitterBuffer:
    if is_video:
        return JitterBuffer(capacity, prefetch, is_video)
    return AudioJitterBuffer(capacity, prefetch)


def install() -> None:
    """Make aiortc's receivers use the audio buffer above (video keeps its own)."""
    aiortc.rtcrtpreceiver.JitterBuffer = _jitter_buffer  # type: ignore[attr-defined,assignment]
