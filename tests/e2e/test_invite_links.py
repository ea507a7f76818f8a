"""Invite links in a real browser, on a server that requires join tokens.

Served by the backend itself and through the production nginx: in token mode only the site's
own origin may open the WebSocket, so this also checks that nginx forwards the Host the browser
used. The browser is driven by `frontend/e2e/invite.e2e.mjs`.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import jwt
import pytest

from rtc_server.access.tokens import signing_key
from tests.support.browser import APP_INDEX, BROWSER_TEST_MARKS, run_browser_script
from tests.support.nginx_proxy import serve_app
from tests.support.servers import BackendProcess, start_backend

pytestmark = BROWSER_TEST_MARKS

ADMIN_SECRET = "invite-e2e-admin-secret-0123456789"
ROOM = "invite-e2e"


@pytest.fixture(scope="module")
def token_server() -> Iterator[BackendProcess]:
    with start_backend({"RTC_AUTH": "token", "RTC_ADMIN_SECRET": ADMIN_SECRET}) as backend:
        yield backend


@pytest.fixture(params=["backend", "nginx"])
def entry_url(request: pytest.FixtureRequest, token_server: BackendProcess) -> Iterator[str]:
    with serve_app(request.param, token_server, APP_INDEX.parent) as base_url:
        yield base_url


def create_room(base_url: str) -> dict[str, str]:
    request = urllib.request.Request(
        f"{base_url}/api/rooms",
        data=json.dumps({"room": ROOM, "ttl_s": 600}).encode(),
        headers={"Authorization": f"Bearer {ADMIN_SECRET}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.load(response))


def test_the_web_app_joins_with_an_invite_link_and_explains_missing_or_expired_ones(
    entry_url: str, token_server: BackendProcess
) -> None:
    created = create_room(entry_url)
    invite = created["invite_url"]
    assert urlsplit(invite).netloc == urlsplit(entry_url).netloc  # the address used, via nginx too
    now = int(time.time())
    expired = jwt.encode(
        {"room": ROOM, "iat": now - 7200, "exp": now - 3600, "jti": "old"},
        signing_key(ADMIN_SECRET),
        algorithm="HS256",
    )
    env = {
        "BASE_URL": entry_url,
        "ROOM": ROOM,
        "INVITE_URL": invite,
        "EXPIRED_URL": f"{entry_url}/?room={ROOM}#token={expired}",
    }
    result = run_browser_script("invite.e2e.mjs", env, timeout_s=120)
    assert "This room needs an invite link" in result["withoutToken"]
    assert "This invite link has expired" in result["expired"]
    assert urlsplit(result["joinedAddress"]).fragment == f"token={created['token']}"
    # The fragment never reached the server, so its log holds no token.
    assert created["token"] not in token_server.log()
    assert created["token"].split(".")[2] not in token_server.log()
