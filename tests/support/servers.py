"""Real servers for tests, on loopback: the backend process and a local OpenAI-compatible API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = ROOT.parent / "shared" / "testdata"
OUTPUT = ROOT / "test-output"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class BackendProcess:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base_url}/health", timeout=5) as response:
            return dict(json.load(response))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def start_backend(
    env: dict[str, str] | None = None,
    args: list[str] | None = None,
    ready_timeout: float = 120,
    source: Path = ROOT,
) -> Iterator[BackendProcess]:
    """Run `python -m rtc_server` on a free loopback port; stop it with SIGTERM afterwards.

    Each backend keeps its transcripts in a temporary folder of its own unless `env` names
    one (RTC_DATA_DIR), as a test of a restart does. `source`: the checkout to run (a
    benchmark compares with an earlier revision)."""
    with contextlib.ExitStack() as stack:
        data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="rtc-data-"))
        env = {"RTC_DATA_DIR": data_dir, **(env or {})}
        yield stack.enter_context(_run_backend(env, args, ready_timeout, source))


@contextlib.contextmanager
def _run_backend(
    env: dict[str, str], args: list[str] | None, ready_timeout: float, source: Path
) -> Iterator[BackendProcess]:
    port = int(env.get("RTC_PORT") or free_port())  # a cluster's instance knows its URL first
    OUTPUT.mkdir(exist_ok=True)
    log_path = OUTPUT / f"backend-{port}.log"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RTC_")},
        "RTC_HOST": "127.0.0.1",
        "RTC_PORT": str(port),
        "RTC_ICE_HOST_ADDRESSES": "127.0.0.1",
        "RTC_LOG_LEVEL": "info",
        **env,
    }
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "rtc_server", *(args or [])],
            cwd=source,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    backend = BackendProcess(port, process, log_path)
    try:
        _wait_ready(backend, ready_timeout)
        yield backend
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(backend: BackendProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if backend.process.poll() is not None:
            raise RuntimeError(f"backend exited early:\n{backend.log()}")
        with contextlib.suppress(OSError):
            if backend.health().get("ready"):
                return
        time.sleep(0.2)
    raise TimeoutError(f"backend not ready after {timeout} s:\n{backend.log()}")


# The backend's own figures, read from /metrics.


def metric(backend: BackendProcess, name: str, **labels: str) -> float:
    with urllib.request.urlopen(f"{backend.base_url}/metrics", timeout=5) as response:
        text = response.read().decode()
    selected = ",".join(f'{key}="{value}"' for key, value in labels.items())
    series = f"{name}{{{selected}}}" if labels else name
    match = re.search(rf"^{re.escape(series)} ([0-9.e+-]+)$", text, re.MULTILINE)
    assert match, f"{series} not in /metrics"
    return float(match.group(1))


async def settle(backend: BackendProcess, baseline_tasks: float) -> None:
    """Wait until no session, peer connection or extra task is left on the server."""
    for _ in range(100):
        if (
            metric(backend, "rtc_sessions") == 0
            and metric(backend, "rtc_peer_connections") == 0
            and metric(backend, "rtc_asyncio_tasks") <= baseline_tasks
        ):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(
        f"leak: sessions={metric(backend, 'rtc_sessions')} "
        f"pcs={metric(backend, 'rtc_peer_connections')} "
        f"tasks={metric(backend, 'rtc_asyncio_tasks')} (baseline {baseline_tasks})"
    )


# A local OpenAI-compatible chat completions server with fault injection.

LANGUAGE_NAMES = {
    "German": "de",
    "French": "fr",
    "Spanish": "es",
    "English": "en",
    "Italian": "it",
    "Japanese": "ja",
    "Dutch": "nl",
}


def fake_translation(target: str, text: str) -> str:
    """What the fake server answers: deterministic, and recognizably a translation."""
    return f"[{target}] {text}"


@dataclass
class Fault:
    """One injected failure, consumed by the next request.

    kind: "status" (answer `status` with `headers` and an error `code`), "delay" (sleep
    `seconds`, then answer normally), or "drop" (start streaming, then cut the connection).
    """

    kind: str
    status: int = 500
    seconds: float = 0.0
    code: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RecordedCall:
    target: str
    text: str
    stream: bool
    messages: list[dict[str, str]]
    at: float
    fault: str | None


class FakeOpenAI:
    """Runs in its own thread with its own event loop, so sync and async tests can use it."""

    def __init__(self, word_delay_s: float = 0.02) -> None:
        self.port = free_port()
        self.word_delay_s = word_delay_s
        self.calls: list[RecordedCall] = []
        self.faults: list[Fault] = []
        self.always: Fault | None = None  # a fault for every request until cleared
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def translations(self) -> list[RecordedCall]:
        return [call for call in self.calls if call.fault is None]

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        messages = body["messages"]
        system, text = messages[0]["content"], messages[-1]["content"]
        match = re.search(r"to (\w+)\.", system)
        target = LANGUAGE_NAMES.get(match.group(1), "??") if match else "??"
        fault = self.faults.pop(0) if self.faults else self.always
        self.calls.append(
            RecordedCall(
                target, text, bool(body.get("stream")), messages, time.monotonic(),
                fault.kind if fault and fault.kind != "delay" else None,
            )
        )  # fmt: skip
        if fault is not None and fault.kind == "status":
            error = {"error": {"message": "injected", "type": "test", "code": fault.code}}
            return web.json_response(error, status=fault.status, headers=fault.headers)
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
        answer = fake_translation(target, text)
        if not body.get("stream"):
            return web.json_response(_completion(answer))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        words = answer.split(" ")
        for index, word in enumerate(words):
            piece = word if index == 0 else " " + word
            await response.write(f"data: {json.dumps(_chunk(piece))}\n\n".encode())
            await asyncio.sleep(self.word_delay_s)
            if fault is not None and fault.kind == "drop" and index == len(words) // 2:
                assert request.transport is not None
                request.transport.close()
                return response
        await response.write(f"data: {json.dumps(_chunk(None, finish=True))}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        return response


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


def _completion(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "test",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
    }


def _chunk(text: str | None, finish: bool = False) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "test",
        "choices": [
            {
                "index": 0,
                "delta": {} if text is None else {"content": text},
                "finish_reason": "stop" if finish else None,
            }
        ],
    }
