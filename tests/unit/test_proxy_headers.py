"""The client's address: forwarding headers believed only from trusted proxies."""

from __future__ import annotations

from typing import Any
from unittest import mock

from aiohttp.test_utils import make_mocked_request

from rtc_server.access.proxy_headers import client_address, parse_networks


def test_client_address_believes_forwarding_headers_only_from_trusted_proxies() -> None:
    def request(peer: str, headers: dict[str, str]) -> Any:
        transport = mock.Mock()
        transport.get_extra_info.side_effect = lambda name, default=None: (
            (peer, 40000) if name == "peername" else default
        )
        return make_mocked_request("GET", "/ws", headers=headers, transport=transport)

    proxies = parse_networks(["172.16.0.0/12"])
    forged = {"X-Forwarded-For": "6.6.6.6, 203.0.113.9", "X-Real-IP": "6.6.6.6"}
    assert client_address(request("198.51.100.1", forged), proxies) == "198.51.100.1"
    assert client_address(request("172.18.0.3", forged), proxies) == "203.0.113.9"
    chained = {"X-Forwarded-For": "203.0.113.9, 172.18.0.7"}
    assert client_address(request("172.18.0.3", chained), proxies) == "203.0.113.9"
    assert (
        client_address(request("172.18.0.3", {"X-Real-IP": "203.0.113.5"}), proxies)
        == "203.0.113.5"
    )
    assert client_address(request("172.18.0.3", forged), []) == "172.18.0.3"
