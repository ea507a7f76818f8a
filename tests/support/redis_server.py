"""A throwaway redis-server for tests: Debian's binary, its own folder, a free loopback port,
nothing saved to disk. `stop` and `start` again take it away from its clients and back, empty
(as a Redis restarted without persistence)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.local_server import LocalServer
from tests.support.servers import free_port

START_TIMEOUT_S = 10.0


class RedisServer(LocalServer):
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: make system-packages")
        self.binary = binary
        self.folder = Path(tempfile.mkdtemp(prefix="rtc-redis-"))
        self.port = free_port()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.folder), "--save", "", "--appendonly", "no",
                "--logfile", str(self.folder / "server.log"),
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{self.log()}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Gone at once, as a crashed Redis: clients' connections are cut."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None
