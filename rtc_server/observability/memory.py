"""Giving freed memory back to the system.

Most of what each join used to keep was the zlib state of permessage-deflate, which
signaling now declines (`signaling/endpoint.py`). What remains freed but unreturned is native
memory that glibc keeps in the arenas of the threads that used it (the transcript store's, the
event loop's); calling `malloc_trim` every 10 s gives it back (measured with `bench.soak`:
about 38 KB per join before the trim, about 15 KB after, both with deflate). Elsewhere than
glibc this does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

TRIM_EVERY_S = 10.0


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    return trim


async def release_freed_memory(every_s: float = TRIM_EVERY_S) -> None:
    """Return freed heap memory to the system now and then, for as long as it runs."""
    trim = _malloc_trim()
    if trim is None:
        log.info("malloc_trim is not available here: freed memory stays with the allocator")
        return
    while True:
        await asyncio.sleep(every_s)
        trim(0)
