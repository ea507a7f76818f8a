"""The shared real backend: the real model, translating through the local OpenAI-compatible API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.servers import BackendProcess, FakeOpenAI, start_backend, translating_env


@pytest.fixture(scope="session")
def backend(openai_server: FakeOpenAI) -> Iterator[BackendProcess]:
    with start_backend(translating_env(openai_server)) as process:
        yield process
