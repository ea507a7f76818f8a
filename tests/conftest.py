"""Shared real servers: one backend with the real model, one local OpenAI-compatible API."""

from __future__ import annotations

from collections.abc import Iterator

import jiwer
import pytest

from tests.servers import BackendProcess, FakeOpenAI, start_backend


@pytest.fixture(scope="session")
def openai_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="session")
def backend(openai_server: FakeOpenAI) -> Iterator[BackendProcess]:
    with start_backend(translating_env(openai_server)) as process:
        yield process


def translating_env(openai_server: FakeOpenAI) -> dict[str, str]:
    """Backend settings for translation through the local OpenAI-compatible server."""
    return {
        "RTC_TRANSLATOR": "openai",
        "RTC_OPENAI_BASE_URL": openai_server.base_url,
        "RTC_OPENAI_API_KEY": "test-key",
        "RTC_OPENAI_TIMEOUT_S": "2",
        "RTC_OPENAI_MAX_RETRIES": "2",
        "RTC_TRANSLATION_RETRY_PAUSE_S": "1",
        "RTC_MAX_ROOM_SIZE": "4",
        # Whoever closes the WebSocket leaves at once; resuming is tested on its own backend.
        "RTC_RESUME_WINDOW_S": "0",
    }


def normalized_wer(reference: str, hypothesis: str) -> float:
    transform = jiwer.Compose(
        [
            jiwer.ToLowerCase(),
            jiwer.RemovePunctuation(),
            jiwer.RemoveMultipleSpaces(),
            jiwer.Strip(),
            jiwer.ReduceToListOfListOfWords(),
        ]
    )
    return float(
        jiwer.wer(
            reference,
            hypothesis,
            reference_transform=transform,
            hypothesis_transform=transform,
        )
    )
