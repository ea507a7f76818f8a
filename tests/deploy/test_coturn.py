"""turn/turnserver.conf, loaded by a real coturn on loopback.

coturn gets the project's file plus the options docker-compose.yml adds, with
loopback addresses in place of the host's. Permission checks (ChannelBind) never
send anything to the peer address, so addresses outside loopback appear in them
only as data: no packet leaves this machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from aioice import stun
from aioice.turn import TurnClientUdpProtocol, create_turn_endpoint

from rtc_server.webrtc.ice import turn_credentials
from tests.support.turn_server import start_turnserver, stop

SECRET = "loopbackTestSecret42"
# Stand-ins for .env's PUBLIC_IP / PRIVATE_IP. Neither is contacted: coturn only
# maps one to the other and checks permissions against them.
PUBLIC_IP = "198.51.100.7"
PRIVATE_IP = "10.9.8.7"


def rest_credentials(secret: str, lifetime_s: int = 3600) -> tuple[str, str]:
    """TURN REST API credentials, minted exactly as the backend mints them."""
    return turn_credentials(secret, "test", lifetime_s)


@pytest.fixture(scope="module")
def production_turn(turnserver_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """coturn as compose runs it: public/private mapping, only the relay's own address allowed."""
    workdir = tmp_path_factory.mktemp("coturn")
    proc, port = start_turnserver(
        turnserver_bin,
        workdir,
        SECRET,
        f"--external-ip={PUBLIC_IP}/{PRIVATE_IP}",
        f"--allowed-peer-ip={PRIVATE_IP}",
    )
    yield port
    stop(proc)


@pytest.fixture(scope="module")
def loopback_turn(turnserver_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """coturn as compose runs it, with 127.0.0.1 as PRIVATE_IP, so that data can flow.

    Relayed addresses are announced as PUBLIC_IP and mapped back to 127.0.0.1 when
    used as peers. Loopback peers are refused before any allow rule is read, so this
    instance alone also gets --allow-loopback-peers; PUBLIC_IP lies in a denied range,
    so nothing would be sent there even if the mapping failed.
    """
    workdir = tmp_path_factory.mktemp("coturn-loopback")
    proc, port = start_turnserver(
        turnserver_bin,
        workdir,
        SECRET,
        f"--external-ip={PUBLIC_IP}/127.0.0.1",
        "--allowed-peer-ip=127.0.0.1",
        "--allow-loopback-peers",
    )
    yield port
    stop(proc)


async def allocate(port: int, username: str, password: str) -> TurnClientUdpProtocol:
    loop = asyncio.get_running_loop()
    server = ("127.0.0.1", port)
    _, protocol = await loop.create_datagram_endpoint(
        lambda: TurnClientUdpProtocol(
            server, username=username, password=password, lifetime=600, channel_refresh_time=500
        ),
        remote_addr=server,
    )
    try:
        await asyncio.wait_for(protocol.connect(), 5)
    except BaseException:
        protocol.transport.close()
        raise
    return protocol


async def release(protocol: TurnClientUdpProtocol) -> None:
    await asyncio.wait_for(protocol.delete(), 5)


def peer_permission_error(port: int, peer: tuple[str, int]) -> int | None:
    """Bind a channel to `peer` (nothing is sent to it); the STUN error code, or None."""

    async def attempt() -> int | None:
        protocol = await allocate(port, *rest_credentials(SECRET))
        try:
            await asyncio.wait_for(protocol.channel_bind(0x4000, peer), 5)
            return None
        except stun.TransactionFailed as failure:
            return int(failure.response.attributes["ERROR-CODE"][0])
        finally:
            await release(protocol)

    return asyncio.run(attempt())


def test_allocation_with_rest_credentials_succeeds(production_turn: int) -> None:
    async def attempt() -> tuple[str, int]:
        protocol = await allocate(production_turn, *rest_credentials(SECRET))
        relayed = protocol.relayed_address
        await release(protocol)
        assert relayed is not None
        return relayed

    host, _ = asyncio.run(attempt())
    assert host == "127.0.0.1"


@pytest.mark.parametrize(
    ("secret", "lifetime_s"), [("wrong-secret", 3600), (SECRET, -60)], ids=["wrong", "expired"]
)
def test_allocation_with_bad_credentials_is_refused(
    production_turn: int, secret: str, lifetime_s: int
) -> None:
    async def attempt() -> None:
        await allocate(production_turn, *rest_credentials(secret, lifetime_s))

    with pytest.raises(stun.TransactionFailed) as failure:
        asyncio.run(attempt())
    assert failure.value.response.attributes["ERROR-CODE"][0] == 401


@pytest.mark.parametrize(
    "peer",
    [
        "127.0.0.1",  # the host itself
        "10.9.8.8",  # the relay's subnet neighbour
        "172.17.0.1",  # Docker's bridge
        "192.168.1.1",  # a LAN router
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
    ],
)
def test_relay_refuses_private_peers(production_turn: int, peer: str) -> None:
    assert peer_permission_error(production_turn, (peer, 9)) == 403


def test_relay_accepts_its_own_public_address_as_peer(production_turn: int) -> None:
    """Relay to relay: a peer at PUBLIC_IP is mapped to PRIVATE_IP, which is allowed."""
    assert peer_permission_error(production_turn, (PUBLIC_IP, 50000)) is None
    assert peer_permission_error(production_turn, (PRIVATE_IP, 50000)) is None


def test_data_flows_between_two_relays_of_one_server(loopback_turn: int) -> None:
    """Browser relay <-> backend relay, both allocated on the same coturn."""

    class Inbox(asyncio.DatagramProtocol):
        def __init__(self) -> None:
            self.received: asyncio.Queue[bytes] = asyncio.Queue()

        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            self.received.put_nowait(data)

    async def exchange() -> tuple[bytes, bytes]:
        server = ("127.0.0.1", loopback_turn)
        a_transport, a = await create_turn_endpoint(Inbox, server, *rest_credentials(SECRET))
        b_transport, b = await create_turn_endpoint(Inbox, server, *rest_credentials(SECRET))
        try:
            a_relay = a_transport.get_extra_info("sockname")
            b_relay = b_transport.get_extra_info("sockname")
            assert a_relay[0] == b_relay[0] == PUBLIC_IP  # what ICE candidates carry
            for _ in range(50):  # each side needs the other's permission first
                a_transport.sendto(b"from-a", b_relay)
                b_transport.sendto(b"from-b", a_relay)
                await asyncio.sleep(0.05)
                if not a.received.empty() and not b.received.empty():
                    break
            return await asyncio.wait_for(b.received.get(), 1), await asyncio.wait_for(
                a.received.get(), 1
            )
        finally:
            a_transport.close()
            b_transport.close()
            await asyncio.sleep(0.1)

    assert asyncio.run(exchange()) == (b"from-a", b"from-b")
