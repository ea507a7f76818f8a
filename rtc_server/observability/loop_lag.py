"""How late the event loop runs: everything real-time (ICE checks, RTP, captions) waits on it.

A loop that falls seconds behind makes browsers declare the connection lost although the
network is fine, so its lateness is measured and exported, and a long stall is logged.
"""

from __future__ import annotations

import asyncio
import logging
import time

from rtc_server.observability import metrics

log = logging.getLogger(__name__)

SAMPLE_EVERY_S = 0.25
WARN_AFTER_S = 0.5  # a stall this long delays ICE answers and relayed audio noticeably


async def watch_event_loop(every_s: float = SAMPLE_EVERY_S) -> None:
    """Sleep `every_s` again and again, recording how much later than asked each wake-up came."""
    while True:
        asked = time.monotonic()
        await asyncio.sleep(every_s)
        late = max(0.0, time.monotonic() - asked - every_s)
        metrics.EVENT_LOOP_LAG.observe(late)
        if late > WARN_AFTER_S:
            log.warning("event loop %.2f s late", late)
