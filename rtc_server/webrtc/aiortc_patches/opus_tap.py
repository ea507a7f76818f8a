"""The one hook into aiortc's receiver: every received Opus frame, as it arrived, to a callback.

The audio relay forwards each speaker's packets instead of decoding and encoding them again for
every listener. aiortc's `RTCRtpReceiver` has no public way out for encoded frames (upstream
declined one, aiortc issue #449): its jitter buffer hands each complete frame to a private
queue, `RTCRtpReceiver.__decoder_queue`, read by its decoder thread. `tap_receiver` wraps that
queue's `put`, so the callback sees each frame in order, on the event loop, just before it is
decoded once (for recognition).

Written for aiortc 1.16 (see the package's AIORTC_VERSION). `tap_receiver` refuses to run when
the private name is gone.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

import aiortc
from aiortc import RTCRtpReceiver

from rtc_server.webrtc.aiortc_patches.version import AiortcChanged

_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
OPUS_CLOCK_RATE = 48_000

OpusFrameHandler = Callable[[bytes, int], None]  # payload, RTP timestamp (48 kHz, unwrapped)


def tap_receiver(receiver: RTCRtpReceiver, on_opus_frame: OpusFrameHandler) -> None:
    """Call `on_opus_frame` with every Opus frame `receiver` is about to decode."""
    decoder_queue = getattr(receiver, _DECODER_QUEUE, None)
    if not isinstance(decoder_queue, queue.Queue):
        raise AiortcChanged(
            f"aiortc {aiortc.__version__}: RTCRtpReceiver has no {_DECODER_QUEUE} to tap"
        )
    put = decoder_queue.put

    def tee(item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is not None:  # None tells the decoder thread to stop
            codec, frame = item
            if codec.name.lower() == "opus":
                on_opus_frame(frame.data, frame.timestamp)
        put(item, block, timeout)

    decoder_queue.put = tee  # type: ignore[method-assign]
