"""A throwaway PostgreSQL server for tests: Debian's binaries, its own folder, a free loopback
port. It runs as the `postgres` user the package creates (PostgreSQL refuses to run as root)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from tests.support.local_server import LocalServer
from tests.support.servers import free_port

USER = "postgres"
PASSWORD = "test-password"
START_TIMEOUT_S = 30.0


def binaries() -> Path:
    """The newest installed server's bin folder (postgresql-NN puts it in /usr/lib/postgresql)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3])
    )
    if not found:
        raise RuntimeError("PostgreSQL is not installed: make system-packages")
    return found[-1].parent


class PostgresServer(LocalServer):
    """Call `start` once; `stop` and `start` again to take it away from its clients and back."""

    def __init__(self) -> None:
        self.bin = binaries()
        self.folder = Path(tempfile.mkdtemp(prefix="rtc-postgres-"))
        self.data = self.folder / "data"
        self.port = free_port()
        password_file = self.folder / "password"
        password_file.write_text(PASSWORD)
        shutil.chown(self.folder, USER)
        shutil.chown(password_file, USER)
        self._as_postgres(
            "initdb", "-D", str(self.data), "-U", USER, f"--pwfile={password_file}",
            "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync",
        )  # fmt: skip

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "runuser", "-u", USER, "--", str(self.bin / "postgres"), "-D", str(self.data),
                "-p", str(self.port), "-k", str(self.folder), "-h", "127.0.0.1",
                "-c", "fsync=off", "-c", "full_page_writes=off",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "server.log").open("ab"),
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not start:\n{self.log()}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, as when the database goes away."""
        if self.process is not None:
            # Straight to postgres: runuser would pass SIGTERM on (a "smart" shutdown that
            # waits for every client) and kill it two seconds later.
            postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
            os.kill(postmaster, signal.SIGINT)
            self.process.wait(timeout=30)
            self.process = None

    def create_database(self) -> str:
        """A new empty database; its URL."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _as_postgres(self, program: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", USER, "--", str(self.bin / program), *args],
            check=True,
            capture_output=True,
        )
