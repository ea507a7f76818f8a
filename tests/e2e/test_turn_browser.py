"""A browser whose TURN server refuses it, in real Chromium against a real coturn.

The server tells browsers to relay only and hands them credentials that coturn refuses (its
secret is not coturn's): the page must say so within seconds, naming the cause, and the server
must log it for its operator. Driven by `frontend/e2e/turn-refused.e2e.mjs`.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import BROWSER_TEST_MARKS, run_browser_script
from tests.support.servers import BackendProcess, metric, start_backend
from tests.support.turn_server import start_turnserver, stop

pytestmark = BROWSER_TEST_MARKS


@pytest.fixture
def refusing_turn_server(tmp_path: Path) -> Iterator[BackendProcess]:
    binary = shutil.which("turnserver")
    assert binary is not None, "coturn is installed by `make system-packages`"
    proc, port = start_turnserver(binary, tmp_path, "coturn-secret")
    env = {
        "RTC_TURN_URLS": f"turn:127.0.0.1:{port}?transport=udp",
        "RTC_TURN_SECRET": "not-coturn-secret",
        "RTC_BROWSER_ICE_RELAY_ONLY": "true",
        "RTC_TRANSLATOR": "none",
    }
    try:
        with start_backend(env) as backend:
            yield backend
    finally:
        stop(proc)


def test_a_browser_refused_by_turn_is_told_why_within_seconds(
    refusing_turn_server: BackendProcess,
) -> None:
    result = run_browser_script(
        "turn-refused.e2e.mjs",
        {"BASE_URL": refusing_turn_server.base_url, "ROOM": "turn-refused"},
        timeout_s=120,
    )

    print(f"\nrefused by TURN: told after {result['told_after_ms']} ms: {result['banner']!r}")
    assert result["told_after_ms"] < 5_000, result  # not the 20-30 s of a connect timeout
    assert "refused this browser" in result["banner"], result
    assert metric(refusing_turn_server, "rtc_browser_ice_failures_total", cause="turn_refused") == 1
    deadline = time.monotonic() + 5
    while "the browser gathered no ICE candidates" not in refusing_turn_server.log_path.read_text():
        assert time.monotonic() < deadline, "no warning for the operator in the server's log"
        time.sleep(0.1)
    assert result["console_errors"] == []
