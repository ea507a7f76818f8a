"""Start-up, settings and the HTTP endpoints beside the WebSocket."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from rtc_server.asr.model import BASE_MODEL_SIZE, assemble_base_model
from tests.support.client import Peer, silence
from tests.support.postgres import PostgresServer
from tests.support.servers import ROOT, BackendProcess, free_port, start_backend


def run_server(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rtc_server", *args],
        capture_output=True, text=True, timeout=60, cwd=ROOT, env=env,
    )  # fmt: skip


def get(url: str) -> tuple[int, dict[str, object] | str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read().decode(), error.code
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def test_help_lists_every_option_with_its_default() -> None:
    result = run_server("--help")
    assert result.returncode == 0
    for option in (
        "--port",
        "--whisper-model",
        "--turn-urls",
        "--openai-base-url",
        "--max-room-size",
    ):
        assert option in result.stdout
    assert "5000" in result.stdout and "base" in result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--port", "70000"], "port"),
        (["--translator", "deepl"], "translator"),
        (["--turn-urls", "turn:example.test"], "turn_secret"),
        (["--translator", "openai"], "openai_api_key"),
        (["--browser-ice-relay-only"], "browser_ice_relay_only"),
    ],
)
def test_bad_setting_stops_with_one_line(args: list[str], words: str) -> None:
    result = (
        run_server(*args, "--port", str(free_port())) if args[0] != "--port" else run_server(*args)
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr


def test_base_model_is_assembled_once_and_size_checked(tmp_path: Path) -> None:
    folder = assemble_base_model(tmp_path)
    model = folder / "model.bin"
    assert model.stat().st_size == BASE_MODEL_SIZE
    assert {p.name for p in folder.iterdir()} == {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.json",
    }
    stamp = model.stat().st_mtime_ns
    assert assemble_base_model(tmp_path) == folder and model.stat().st_mtime_ns == stamp
    with open(model, "r+b") as damaged:
        damaged.truncate(1000)
    assemble_base_model(tmp_path)  # a damaged copy is rebuilt
    assert model.stat().st_size == BASE_MODEL_SIZE
    assert [p.name for p in tmp_path.iterdir()] == ["whisper-base"]  # no staging left behind


def health_until_error(*args: str) -> dict[str, object]:
    """Start the server with `args`; /health must answer 503 `loading` until it turns into
    `error`, whose body is returned."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "rtc_server", "--host", "127.0.0.1", "--port", str(port), *args],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                status, body = get(f"http://127.0.0.1:{port}/health")
            except OSError:
                time.sleep(0.1)
                continue
            if isinstance(body, dict) and body["status"] == "error":
                break
            assert status == 503 and isinstance(body, dict) and body["status"] == "loading"
            time.sleep(0.1)
        assert status == 503 and isinstance(body, dict)
        assert body["ready"] is False and body["error"]
        return body
    finally:
        process.terminate()
        process.wait(10)


def test_health_is_503_until_a_model_is_loaded(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"not a model")
    health_until_error("--whisper-model", str(tmp_path), "--data-dir", str(tmp_path / "data"))


def test_unusable_data_dir_is_reported_by_health(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    body = health_until_error("--data-dir", str(tmp_path / "taken" / "data"))
    assert "cannot open the transcript store" in str(body["error"])
    assert str(tmp_path / "taken") in str(body["error"])


def test_a_refused_database_login_is_reported_by_health(postgres: PostgresServer) -> None:
    body = health_until_error("--database-url", postgres.url(password="not-the-password"))
    assert "cannot open the transcript database" in str(body["error"])
    assert "password authentication failed" in str(body["error"])


def test_health_reports_ready_model_and_sessions(backend: BackendProcess) -> None:
    status, body = get(f"{backend.base_url}/health")
    assert status == 200
    assert body == {
        "status": "ok",
        "ready": True,
        "model": "base",
        "sessions": body["sessions"],  # type: ignore[index]
        "transcript_store": "ok",
    }


def test_config_lists_languages_and_translation(backend: BackendProcess) -> None:
    status, body = get(f"{backend.base_url}/api/config")
    assert status == 200 and isinstance(body, dict)
    assert {"code": "de", "name": "German"} in body["languages"]  # type: ignore[operator]
    assert body["translation"] == {"backend": "openai", "targets": ["*"], "unavailable_reason": ""}
    assert body["protocol"] == 1


@pytest.mark.parametrize(
    ("translator", "targets", "words"),
    [
        ("none", [], ["RTC_TRANSLATOR=none", "RTC_OPENAI_API_KEY", "RTC_OPENAI_BASE_URL"]),
        ("whisper", ["en"], ["English only", "RTC_OPENAI_API_KEY", "RTC_OPENAI_BASE_URL"]),
    ],
)
def test_config_says_why_languages_cannot_be_caption_languages(
    translator: str, targets: list[str], words: list[str]
) -> None:
    with start_backend({"RTC_TRANSLATOR": translator, "RTC_LANGUAGES": "en,de,fr"}) as backend:
        _, body = get(f"{backend.base_url}/api/config")
    assert isinstance(body, dict)
    translation = body["translation"]
    assert isinstance(translation, dict) and translation["targets"] == targets
    for word in words:
        assert word in translation["unavailable_reason"], translation


def test_ice_servers_hand_out_time_limited_turn_credentials() -> None:
    secret = "s3cret"
    env = {
        "RTC_TURN_URLS": "turn:turn.example.test:3478",
        "RTC_TURN_SECRET": secret,
        "RTC_TURN_TTL_S": "600",
        "RTC_ICE_RELAY_ONLY": "true",  # the server's own peers only
    }
    with start_backend(env) as backend:
        _, body = get(f"{backend.base_url}/api/ice-servers")
        _, again = get(f"{backend.base_url}/api/ice-servers")
    assert isinstance(body, dict) and isinstance(again, dict)
    (server,) = body["ice_servers"]  # type: ignore[misc]
    assert server["urls"] == ["turn:turn.example.test:3478"]
    expiry, _, user = server["username"].partition(":")
    assert 590 <= int(expiry) - time.time() <= 610 and user
    expected = hmac.new(secret.encode(), server["username"].encode(), hashlib.sha1).digest()
    assert base64.b64decode(server["credential"]) == expected
    assert again["ice_servers"][0]["username"] != server["username"]  # type: ignore[index]
    # A relay-only server is still reached from a browser's own address (the guide's first
    # path); browsers are told relay only with RTC_BROWSER_ICE_RELAY_ONLY (test_rooms_turn).
    assert body["ice_transport_policy"] == "all"


def test_metrics_are_prometheus_text(backend: BackendProcess) -> None:
    status, body = get(f"{backend.base_url}/metrics")
    assert status == 200 and isinstance(body, str)
    for name in ("rtc_sessions", "rtc_asr_inference_seconds", "rtc_translation_calls_total"):
        assert name in body


def test_web_app_is_served_with_an_spa_fallback(backend: BackendProcess) -> None:
    dist = ROOT / "frontend" / "dist" / "captions" / "browser"
    if not (dist / "index.html").is_file():
        pytest.skip("web app not built")
    index = (dist / "index.html").read_text()
    assert get(f"{backend.base_url}/")[1] == index
    assert get(f"{backend.base_url}/r/standup")[1] == index  # a route inside the app
    assert get(f"{backend.base_url}/..%2f..%2fpyproject.toml")[1] == index  # never outside


async def test_sigterm_closes_every_session_and_exits_cleanly() -> None:
    with start_backend() as backend:
        async with Peer(backend.ws_url) as peer:
            await peer.join("shutdown", "Stayer")
            await peer.connect(silence(5))
            backend.process.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(backend.process.wait, 20)
            await peer.wait_for(lambda: peer.ws.closed, timeout=10)
    assert code == 0
    assert f"{peer.participant_id} closed (shutdown)" in backend.log()
