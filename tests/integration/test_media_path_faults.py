"""Packet loss and a dead media path, made with iptables on the loopback of a network
namespace of the test's own (see `tests/support/netns_call.py`)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.servers import ROOT
from tests.support.transcripts import JFK, normalized_wer

pytestmark = pytest.mark.slow


def run_call(namespace: str, fault: str) -> dict[str, object]:
    command = [
        "ip",
        "netns",
        "exec",
        namespace,
        sys.executable,
        "-m",
        "tests.support.netns_call",
        fault,
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\n{fault}: {result}")
    return result


def test_captions_come_through_packet_loss_whole(namespace: str) -> None:
    result = run_call(namespace, "loss")
    assert int(result["dropped_packets"]) > 30  # type: ignore[call-overload]  # about 1 in 10
    assert result["listener_received"] == result["stored"]  # every final, live
    assert normalized_wer(JFK, str(result["listener_transcript"])) <= 0.35


def test_a_dead_media_path_is_told_in_seconds_and_loses_no_sentence(namespace: str) -> None:
    result = run_call(namespace, "blackhole")
    assert int(result["dropped_packets"]) > 50  # type: ignore[call-overload]
    code, told_after = result["speaker_told"]  # type: ignore[misc]
    assert code == "connection_lost"
    assert told_after <= 5 + 3  # RTC_ICE_DISCONNECT_TIMEOUT_S in the scenario, plus a check
    assert float(result["speaker_hung_up_after_s"]) <= told_after + 5  # type: ignore[arg-type]
    # Everything the server finished, the sentence cut by the failure included, reached both
    # once they resumed.
    stored = set(result["stored"])  # type: ignore[arg-type]
    assert stored <= set(result["listener_received"])  # type: ignore[arg-type]
    assert stored <= set(result["speaker_received"])  # type: ignore[arg-type]
    # The sentence that was under way 6 s in ("What your country…"), as far as it was heard;
    # the speech after the failure was never sent.
    assert "what" in str(result["stored_text"]).lower()
