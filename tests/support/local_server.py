"""What the throwaway database servers of the tests share: a folder of their own, a log there,
a process started and stopped on demand, and a session fixture that starts one on first use."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest


class LocalServer:
    """Subclasses set up `folder` and implement `start` and `stop`."""

    folder: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


Server = TypeVar("Server", bound=LocalServer)


def serve(make: Callable[[], Server]) -> Iterator[Server]:
    """A session fixture's body: a server missing from the machine fails the test that needs
    it, with the reason; a test that stops it starts it again before it ends."""
    try:
        server = make()
    except RuntimeError as error:
        pytest.fail(str(error))
    try:
        server.start()
        yield server
    finally:
        server.close()
