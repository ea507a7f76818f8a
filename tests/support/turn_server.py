"""A real coturn on loopback, started with the project's turn/turnserver.conf."""

from __future__ import annotations

import random
import secrets
import socket
import subprocess
import time
from pathlib import Path

from aioice import stun

from tests.support.servers import ROOT, free_port

TURN_CONF = ROOT / "turn" / "turnserver.conf"
# The shared secret of a test's coturn and the backend that hands out its credentials.
SECRET = secrets.token_hex(16)
# Disjoint relay port windows for the coturn instances of one run.
_RELAY_WINDOWS = iter(range(random.randrange(50000, 58000, 1000), 65000, 100))


def _wait_for_udp_listener(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll with STUN binding requests until coturn answers."""
    request = bytes(stun.Message(stun.Method.BINDING, stun.Class.REQUEST))
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.2)
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"turnserver exited with {proc.returncode}")
            sock.sendto(request, ("127.0.0.1", port))
            try:
                sock.recvfrom(2048)
                return
            except OSError:
                continue
    raise TimeoutError("turnserver did not answer STUN")


def start_turnserver(
    binary: str,
    workdir: Path,
    secret: str,
    *extra: str,
    conf: Path = TURN_CONF,
    port: int | None = None,
) -> tuple[subprocess.Popen[bytes], int]:
    """coturn on `port` (default: a free one) of loopback; returns it and its port."""
    port = port or free_port()
    low = next(_RELAY_WINDOWS)
    log = open(workdir / f"turnserver-{port}.log", "wb")  # noqa: SIM115 - kept open for the process
    proc = subprocess.Popen(
        [
            binary,
            "-c",
            str(conf),
            # What docker-compose.yml adds, with loopback for the host's addresses.
            f"--static-auth-secret={secret}",
            "--realm=captions.test",
            f"--listening-port={port}",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            f"--min-port={low}",
            f"--max-port={low + 50}",
            f"--pidfile={workdir / f'turnserver-{port}.pid'}",
            *extra,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_udp_listener(port, proc, timeout=10)
    except Exception:
        proc.terminate()
        proc.wait(timeout=5)
        raise
    return proc, port


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
