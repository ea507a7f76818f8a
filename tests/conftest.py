"""Fixtures more than one kind of test uses: the local OpenAI-compatible API, a network
namespace of the test's own, a PostgreSQL server."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator

import pytest

from tests.support.local_server import serve
from tests.support.postgres import PostgresServer
from tests.support.redis_server import RedisServer
from tests.support.servers import FakeOpenAI


@pytest.fixture(scope="session")
def openai_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    yield from serve(PostgresServer)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    yield from serve(RedisServer)


@pytest.fixture
def namespace() -> Iterator[str]:
    name = f"rtc-{uuid.uuid4().hex[:8]}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.fail(f"network namespaces are needed (run as root): {made.stderr.strip()}")
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)
