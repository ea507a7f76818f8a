"""Every workaround that reaches into aiortc's (or aioice's) internals, and nothing else.

Each module names what it works around and why; all were written for the aiortc series in
`version.py`, and `tests/unit/test_aiortc_patches.py` fails when aiortc moves under them.

- `jitter`: an audio jitter buffer that gives up on a lost packet (installed process-wide)
- `host_addresses`: host candidates only on chosen addresses (installed process-wide)
- `opus_tap`: each received Opus frame to the relay, before it is decoded (per receiver)
- `inbound_activity`: when a peer last sent anything, ICE checks included (per connection)
- `received_tracks`: end the tracks of a peer connection that never carried media
"""

from __future__ import annotations

from rtc_server.webrtc.aiortc_patches import host_addresses, jitter
from rtc_server.webrtc.aiortc_patches.version import check_aiortc


def install(host_addresses_only: list[str]) -> None:
    """Once, at start-up: refuse an aiortc these were not written for, then patch it."""
    check_aiortc()
    jitter.install()
    host_addresses.restrict_host_addresses(host_addresses_only)
