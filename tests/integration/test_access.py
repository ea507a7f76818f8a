"""Access control: join tokens, the admin secret, origins, per-address limits, secret hygiene."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import jwt
import pytest
from aioice import stun
from aioice.turn import TurnClientUdpProtocol
from jwt.utils import base64url_encode

from rtc_server.access.tokens import signing_key
from rtc_server.app import create_app
from rtc_server.settings import Settings
from rtc_server.webrtc.ice import turn_credentials
from tests.support.client import Peer, load_audio
from tests.support.servers import (
    ROOT,
    TESTDATA,
    BackendProcess,
    FakeOpenAI,
    free_port,
    start_backend,
)
from tests.support.turn_server import start_turnserver, stop

ADMIN_SECRET = "admin-Secret-for-tests-0123456789"
TURN_SECRET = "turnSecretForAccessTests42"
OPENAI_KEY = "sk-access-test-openai-key-5551234"
BURST = 8
CONNECTIONS_PER_IP = 4
FLOOD = BURST * 10

# Every token and TURN password the server handed out: none may show up in its log.
handed_out: list[str] = []


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    binary = shutil.which("turnserver")
    if binary is None:
        pytest.skip("coturn is not installed")
    proc, port = start_turnserver(
        binary, tmp_path_factory.mktemp("coturn"), TURN_SECRET, "--realm=access.test",
        "--allow-loopback-peers", "--allowed-peer-ip=127.0.0.1",
    )  # fmt: skip
    yield port
    stop(proc)


@pytest.fixture(scope="module")
def server(
    coturn: int, openai_server: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackendProcess]:
    env = {
        "RTC_AUTH": "token",
        "RTC_ADMIN_SECRET": ADMIN_SECRET,
        "RTC_TRANSCRIPT_DIR": str(tmp_path_factory.mktemp("transcripts")),
        "RTC_TRANSLATOR": "openai",
        "RTC_OPENAI_BASE_URL": openai_server.base_url,
        "RTC_OPENAI_API_KEY": OPENAI_KEY,
        "RTC_TURN_URLS": f"turn:127.0.0.1:{coturn}?transport=udp",
        "RTC_TURN_SECRET": TURN_SECRET,
        "RTC_MAX_CONNECTIONS_PER_IP": str(CONNECTIONS_PER_IP),
        "RTC_MAX_MESSAGES_PER_S": "5",
        "RTC_MESSAGE_BURST": str(BURST),
        "RTC_LOG_LEVEL": "debug",
    }
    with start_backend(env) as process:
        yield process


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def create_room(
    http: aiohttp.ClientSession,
    server: BackendProcess,
    secret: str | None = ADMIN_SECRET,
    **body: Any,
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
    async with http.post(f"{server.base_url}/api/rooms", json=body, headers=headers) as response:
        answer = await response.json()
    if response.status == 201:
        handed_out.append(answer["token"])
    return response.status, answer


async def token_for(http: aiohttp.ClientSession, server: BackendProcess, room: str) -> str:
    status, body = await create_room(http, server, room=room)
    assert status == 201, body
    return str(body["token"])


async def get(
    http: aiohttp.ClientSession, url: str, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with http.get(url, headers=headers) as response:
        return response.status, await response.json()


async def join(ws: aiohttp.ClientWebSocketResponse, room: str, token: str | None) -> dict[str, Any]:
    message: dict[str, Any] = {"v": 1, "type": "join", "room": room, "name": "Ada"}
    if token is not None:
        message["token"] = token
    await ws.send_json(message)
    reply: dict[str, Any] = await ws.receive_json(timeout=10)
    return reply


# Creating rooms


async def test_creating_a_room_needs_the_admin_secret(
    http: aiohttp.ClientSession, server: BackendProcess
) -> None:
    status, body = await create_room(http, server, secret=None, room="board")
    assert (status, body["code"]) == (401, "admin_secret_required")
    status, body = await create_room(http, server, secret=ADMIN_SECRET[:-1] + "x", room="board")
    assert (status, body["code"]) == (403, "admin_secret_invalid")
    status, body = await create_room(http, server, room="board", ttl_s=600, label="Board meeting")
    assert status == 201, body
    assert body["room"] == "board" and body["label"] == "Board meeting"
    assert 590 <= body["expires_at"] - time.time() <= 610
    claims = jwt.decode(body["token"], signing_key(ADMIN_SECRET), algorithms=["HS256"])
    assert claims["room"] == "board" and claims["jti"] and claims["iat"] <= time.time()
    link = urlsplit(body["invite_url"])
    assert link.query == "room=board" and link.fragment == f"token={body['token']}"
    assert f"127.0.0.1:{server.port}" == link.netloc  # the token is only in the fragment

    status, unnamed = await create_room(http, server)
    assert status == 201 and unnamed["room"] and unnamed["token"] != body["token"]
    status, bad = await create_room(http, server, room="no spaces", ttl_s=1)
    assert (status, bad["code"]) == (400, "bad_request")


# Joining


async def test_joins_without_a_valid_token_for_the_room_are_refused(
    http: aiohttp.ClientSession, server: BackendProcess
) -> None:
    good = await token_for(http, server, "refusals")
    other = await token_for(http, server, "elsewhere")
    now = int(time.time())
    expired = jwt.encode(
        {"room": "refusals", "iat": now - 120, "exp": now - 60, "jti": "old"},
        signing_key(ADMIN_SECRET),
        algorithm="HS256",
    )
    forged = jwt.encode(
        {"room": "refusals", "iat": now, "exp": now + 600, "jti": "forged"},
        signing_key("not-the-admin-secret-at-all"),
        algorithm="HS256",
    )
    header, _, signature = good.split(".")
    tampered_payload = base64url_encode(
        json.dumps(
            {**jwt.decode(good, options={"verify_signature": False}), "exp": now + 10**8}
        ).encode()
    ).decode()
    cases = [
        (None, "token_required"),
        (expired, "token_expired"),
        (other, "token_wrong_room"),
        (forged, "token_invalid"),
        (f"{header}.{tampered_payload}.{signature}", "token_invalid"),
        ("not-a-jwt", "token_invalid"),
    ]
    async with http.ws_connect(server.ws_url) as ws:
        for token, code in cases:
            reply = await join(ws, "refusals", token)
            assert (reply["type"], reply.get("code")) == ("error", code), (code, reply)
            assert token is None or token not in reply["message"]
        # Refusals leave the connection open: the right token still gets in.
        joined = await join(ws, "refusals", good)
        assert joined["type"] == "joined" and joined["room"] == "refusals"


async def test_a_peer_with_an_invite_token_gets_captions_and_scoped_turn_credentials(
    http: aiohttp.ClientSession, server: BackendProcess
) -> None:
    token = await token_for(http, server, "invited")
    speech = load_audio(TESTDATA / "jfk.flac")[: 48_000 * 5]
    async with Peer(server.ws_url) as peer:
        joined = await peer.join("invited", "Ada", token=token)
        assert joined["type"] == "joined", joined
        (turn,) = joined["ice_servers"]
        expiry, room, participant = turn["username"].split(":")
        assert (room, participant) == ("invited", peer.participant_id)
        assert 3590 <= int(expiry) - time.time() <= 3610  # one hour by default
        handed_out.append(turn["credential"])
        await peer.connect(speech, ice_servers=joined["ice_servers"])  # then silence
        await peer.wait_for(peer.finals, timeout=40)
        assert "fellow" in peer.transcript().lower() or "americans" in peer.transcript().lower()

        status, stats = await get(http, f"{server.base_url}/api/rooms/invited/stats", token)
        assert status == 200 and stats["participants"] == 1
    status, transcript = await get(http, f"{server.base_url}/api/rooms/invited/transcript", token)
    assert status == 200 and transcript["captions"]


# HTTP endpoints of a room


async def test_room_endpoints_need_that_rooms_token(
    http: aiohttp.ClientSession, server: BackendProcess
) -> None:
    mine = await token_for(http, server, "ledger")
    theirs = await token_for(http, server, "other-room")
    for endpoint in ("transcript", "stats"):
        url = f"{server.base_url}/api/rooms/ledger/{endpoint}"
        status, body = await get(http, url)
        assert (status, body["code"]) == (401, "token_required")
        status, body = await get(http, url, theirs)
        assert (status, body["code"]) == (403, "token_wrong_room")
        status, body = await get(http, url, mine[:-2] + "xx")
        assert (status, body["code"]) == (401, "token_invalid")
    assert (await get(http, f"{server.base_url}/api/rooms/ledger/transcript", mine))[0] == 200
    assert (await get(http, f"{server.base_url}/api/rooms/ledger/stats", mine))[0] == 404  # empty


async def test_ice_servers_need_a_token_and_name_its_room(
    http: aiohttp.ClientSession, server: BackendProcess
) -> None:
    status, body = await get(http, f"{server.base_url}/api/ice-servers")
    assert (status, body["code"]) == (401, "token_required")
    status, body = await get(
        http, f"{server.base_url}/api/ice-servers", await token_for(http, server, "ice")
    )
    assert status == 200
    (turn,) = body["ice_servers"]
    handed_out.append(turn["credential"])
    _, room, user = turn["username"].split(":")
    assert room == "ice" and user.startswith("web-")


async def test_config_tells_the_web_app_the_mode(
    http: aiohttp.ClientSession, server: BackendProcess, backend: BackendProcess
) -> None:
    assert (await get(http, f"{server.base_url}/api/config"))[1]["auth"] == "token"
    assert (await get(http, f"{backend.base_url}/api/config"))[1]["auth"] == "open"


async def test_open_mode_still_checks_a_token_it_is_given(
    http: aiohttp.ClientSession, backend: BackendProcess
) -> None:
    async with http.ws_connect(backend.ws_url) as ws:
        reply = await join(ws, "open-room", "forged.token.value")
        assert (reply["type"], reply["code"]) == ("error", "token_invalid")
        assert (await join(ws, "open-room", None))["type"] == "joined"
    status, body = await get(http, f"{backend.base_url}/api/rooms/open-room/transcript")
    assert status == 200 and body["room"] == "open-room"
    async with http.post(f"{backend.base_url}/api/rooms", json={}) as response:
        assert response.status == 403 and (await response.json())["code"] == "admin_disabled"


async def test_turn_credentials_only_need_to_be_valid_when_the_relay_is_set_up(
    tmp_path: Any,
) -> None:
    """Why short TURN lifetimes are safe: coturn checks the expiry in the username when an
    allocation is made; refreshes, permissions and channels of that allocation keep working
    after it, even across nonce renewals. Expired credentials get no new allocation."""
    binary = shutil.which("turnserver")
    if binary is None:
        pytest.skip("coturn is not installed")
    proc, port = start_turnserver(
        binary, tmp_path, TURN_SECRET, "--allow-loopback-peers", "--allowed-peer-ip=127.0.0.1",
        "--stale-nonce=2",
    )  # fmt: skip
    loop = asyncio.get_running_loop()
    server = ("127.0.0.1", port)
    username, password = turn_credentials(TURN_SECRET, "room:p-1", ttl_s=3)

    async def allocate() -> TurnClientUdpProtocol:
        _, protocol = await loop.create_datagram_endpoint(
            lambda: TurnClientUdpProtocol(
                server, username, password, lifetime=600, channel_refresh_time=500
            ),
            remote_addr=server,
        )
        await asyncio.wait_for(protocol.connect(), 5)
        return protocol

    def request(method: stun.Method, **attributes: Any) -> stun.Message:
        message = stun.Message(message_method=method, message_class=stun.Class.REQUEST)
        message.attributes.update(attributes)
        return message

    try:
        relay = await allocate()
        await asyncio.sleep(5)  # the credentials expire, and so does the nonce
        peer = ("127.0.0.1", 9)
        for message in (
            request(stun.Method.REFRESH, LIFETIME=600),
            request(stun.Method.CREATE_PERMISSION, **{"XOR-PEER-ADDRESS": peer}),
            request(
                stun.Method.CHANNEL_BIND, **{"CHANNEL-NUMBER": 0x4001, "XOR-PEER-ADDRESS": peer}
            ),
        ):
            response, _ = await relay.request_with_retry(message)
            assert response.message_class == stun.Class.RESPONSE, message.message_method
        with pytest.raises(stun.TransactionFailed) as refused:
            await allocate()
        assert refused.value.response.attributes["ERROR-CODE"][0] == 401
        relay.transport.close()
    finally:
        stop(proc)


# Origins and per-address limits


async def test_pages_from_other_origins_cannot_open_the_websocket(
    http: aiohttp.ClientSession, server: BackendProcess
) -> None:
    for origin in ("https://evil.example", "http://127.0.0.1:1", "null"):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(server.ws_url, headers={"Origin": origin})
        assert refused.value.status == 403
    async with http.get(
        server.ws_url.replace("ws:", "http:"), headers={"Origin": "https://evil.example"}
    ) as response:
        assert response.status == 403
        assert (await response.json())["code"] == "origin_not_allowed"
    own = f"http://127.0.0.1:{server.port}"
    async with http.ws_connect(server.ws_url, headers={"Origin": own}) as ws:
        assert (await join(ws, "origins", None))["code"] == "token_required"


async def test_one_address_may_hold_only_so_many_connections(
    http: aiohttp.ClientSession, server: BackendProcess
) -> None:
    for _ in range(100):  # connections of earlier tests end shortly after they close
        if server.health()["sessions"] == 0:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.2)
    sockets = [await http.ws_connect(server.ws_url) for _ in range(CONNECTIONS_PER_IP)]
    try:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(server.ws_url)
        assert refused.value.status == 429
        await sockets.pop().close()
        for _ in range(50):  # the server notices the close shortly after
            try:
                sockets.append(await http.ws_connect(server.ws_url))
                break
            except aiohttp.WSServerHandshakeError:
                await asyncio.sleep(0.1)
        assert len(sockets) == CONNECTIONS_PER_IP
    finally:
        for ws in sockets:
            await ws.close()


async def test_a_flooding_connection_is_told_then_closed(
    http: aiohttp.ClientSession, server: BackendProcess
) -> None:
    async with http.ws_connect(server.ws_url) as ws:
        for _ in range(FLOOD):
            await ws.send_json({"v": 1, "type": "ping"})
        replies: list[dict[str, Any]] = []
        async for message in ws:
            replies.append(json.loads(message.data))
        assert ws.closed
    pongs = [r for r in replies if r["type"] == "pong"]
    errors = [r["code"] for r in replies if r["type"] == "error"]
    assert BURST <= len(pongs) < FLOOD / 2  # the burst, plus what the rate refilled meanwhile
    assert errors and set(errors) == {"rate_limited"}
    async with http.ws_connect(server.ws_url) as ws:  # others, and this address, carry on
        await ws.send_json({"v": 1, "type": "ping"})
        assert (await ws.receive_json(timeout=5))["type"] == "pong"


# Start-up


def run_server(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("RTC_")}
    return subprocess.run(
        [sys.executable, "-m", "rtc_server"], capture_output=True, text=True, timeout=60,
        cwd=ROOT, env={**environment, **env},
    )  # fmt: skip


def test_a_public_address_without_a_secret_refuses_to_start() -> None:
    port = free_port()
    # A non-loopback address as a setting only: the server must stop before it listens.
    result = run_server({"RTC_HOST": "0.0.0.0", "RTC_PORT": str(port)})
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "0.0.0.0" in line and "RTC_ADMIN_SECRET" in line and "RTC_AUTH=open" in line
    with socket.socket() as probe:  # nothing was left listening
        probe.bind(("127.0.0.1", port))
    result = run_server({"RTC_AUTH": "token", "RTC_PORT": str(port)})
    assert result.returncode == 2 and "admin_secret" in result.stderr
    result = run_server({"RTC_AUTH": "token", "RTC_ADMIN_SECRET": "short"})
    assert result.returncode == 2 and "16 characters" in result.stderr
    assert "short" not in result.stderr.replace("16 characters", "")


def test_open_mode_on_a_public_address_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="rtc_server.app"):
        create_app(Settings(host="0.0.0.0", auth="open"))
        create_app(Settings(host="0.0.0.0", admin_secret=ADMIN_SECRET))  # type: ignore[arg-type]
    warning, info = [r for r in caplog.records if r.getMessage().startswith("access:")]
    assert warning.levelno == logging.WARNING and "OPEN on 0.0.0.0" in warning.getMessage()
    assert info.levelno == logging.INFO and "join tokens required" in info.getMessage()


# Pieces


def test_only_a_loopback_server_is_open_by_default() -> None:
    assert (Settings().host, Settings().auth_mode) == ("127.0.0.1", "open")
    for host in ("::1", "localhost", "127.0.0.2"):
        assert Settings(host=host).auth_mode == "open", host
    for host in ("0.0.0.0", "::", "192.0.2.7", "captions.example.com"):
        settings = Settings(host=host, admin_secret=ADMIN_SECRET)  # type: ignore[arg-type]
        assert settings.auth_mode == "token", host
    assert Settings(auth="token", admin_secret=ADMIN_SECRET).auth_mode == "token"  # type: ignore[arg-type]


# Last: everything above ran against this server's log.


def test_the_log_holds_no_secret_or_token(server: BackendProcess) -> None:
    # A token put in a query string and a referrer by mistake: the request is logged, not them.
    leaked = handed_out[0]
    mistaken = urllib.request.Request(
        f"{server.base_url}/api/config?token={leaked}",
        headers={"Referer": f"{server.base_url}/?room=r&token={leaked}"},
    )
    urllib.request.urlopen(mistaken, timeout=5).read()
    time.sleep(0.3)  # the access line is written once the response is out
    log = server.log()
    assert "POST /api/rooms" in log and len(handed_out) > 5  # the log and the tokens are real
    assert '"GET /api/config"' in log
    for secret in (
        ADMIN_SECRET,
        TURN_SECRET,
        OPENAI_KEY,
        signing_key(ADMIN_SECRET).hex(),
        *handed_out,
    ):
        assert secret not in log
    for token in handed_out:
        if token.count(".") == 2:
            assert token.split(".")[2] not in log  # not even a token's signature
