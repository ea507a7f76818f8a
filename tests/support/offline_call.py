"""A browser that goes offline and comes back, in a network namespace of the test's own.

Run by `tests/e2e/test_offline_browser.py` as
`ip netns exec NS python -m tests.support.offline_call WAV`: the server and two Chromiums on
the namespace's loopback, driven by `frontend/e2e/offline.e2e.mjs`, which cuts the speaker's
browser off with iptables. Prints one JSON line: the script's result and the finals the server
stored.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

from tests.support.browser import run_browser_script
from tests.support.netns_call import stored_finals
from tests.support.servers import start_backend

OFFLINE_GID = 4242  # the speaker's Chromium runs as this group; nothing else here does
# Chromium gathers no ICE candidates on loopback: an interface of the namespace's own (a veth
# pair with both ends here) gives it a host address (a documentation address); nothing leaves
# the namespace.
NETWORK = (
    ("ip", "link", "set", "lo", "up"),
    ("ip", "link", "add", "web0", "type", "veth", "peer", "name", "web1"),
    ("ip", "addr", "add", "192.0.2.10/24", "dev", "web0"),
    ("ip", "link", "set", "web0", "up"),
    ("ip", "link", "set", "web1", "up"),
)


def main(wav: str) -> None:
    for command in NETWORK:
        subprocess.run(command, check=True)
    room = f"offline-{uuid.uuid4().hex[:8]}"
    # The production defaults for noticing and resuming; a small model, two browsers share
    # the cores with the server.
    with start_backend({"RTC_TRANSLATOR": "none", "RTC_WHISPER_MODEL": "tiny.en"}) as backend:
        env = {
            "BASE_URL": backend.base_url,
            "ROOM": room,
            "SPEAKER_WAV": wav,
            "OFFLINE_GID": str(OFFLINE_GID),
        }
        result = run_browser_script("offline.e2e.mjs", env, timeout_s=300)
        result["stored"] = stored_finals(backend, room)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
