"""Several real backends as one cluster (a real Redis, a real PostgreSQL), with the project's
nginx in front hashing joins on the room."""

from __future__ import annotations

import asyncio
import contextlib
import random
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import redis

from tests.support.client import Peer, Received
from tests.support.nginx_proxy import run_nginx
from tests.support.servers import BackendProcess, free_port, start_backend


@dataclass
class Cluster:
    instances: list[BackendProcess]
    entry: str  # nginx: http://127.0.0.1:<port>

    def room_url(self, room: str) -> str:
        """What the web app opens to join `room`: nginx sends it to the room's instance."""
        return self.entry.replace("http://", "ws://") + f"/ws?room={room}"

    def viewer_url(self, room: str, viewer: str) -> str:
        """What the web app opens to read captions only: nginx spreads viewers by their id."""
        return self.entry.replace("http://", "ws://") + f"/ws?view={room}&viewer={viewer}"

    def instance(self, instance_id: str) -> BackendProcess:
        """The backend that registered as `instance_id` (its /health says which); one that
        has stopped, or is stopping and no longer answers, is not it."""
        for backend in self.instances:
            try:
                if instance_id_of(backend) == instance_id:
                    return backend
            except OSError:
                continue
        raise LookupError(f"no running instance {instance_id}")


def instance_id_of(backend: BackendProcess) -> str:
    return str(backend.health()["cluster"]["instance"])


def cluster_env(redis_url: str, database_url: str, port: int) -> dict[str, str]:
    return {
        "RTC_PORT": str(port),
        "RTC_INSTANCE_URL": f"http://127.0.0.1:{port}",
        "RTC_REDIS_URL": redis_url,
        "RTC_DATABASE_URL": database_url,
        "RTC_TRUSTED_PROXIES": "127.0.0.1/32",
        "RTC_TRANSLATOR": "none",
    }


@contextlib.contextmanager
def start_cluster(
    size: int,
    redis_url: str,
    database_url: str,
    env: dict[str, str] | None = None,
    web_app: Path | None = None,
) -> Iterator[Cluster]:
    """`web_app`: the built UI for nginx to serve (default: a placeholder page)."""
    with contextlib.ExitStack() as stack:
        instances = []
        for _ in range(size):
            port = free_port()
            settings = {**cluster_env(redis_url, database_url, port), **(env or {})}
            instances.append(stack.enter_context(start_backend(settings)))
        html = web_app or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rtc-")))
        if web_app is None:
            (html / "index.html").write_text("<!doctype html><title>captions</title>")
        upstreams = [f"127.0.0.1:{instance.port}" for instance in instances]
        yield Cluster(instances, stack.enter_context(run_nginx(upstreams, html)))


def hosting_instance(redis_url: str, room: str) -> str | None:
    """The id of the instance holding the room's lease in Redis (None: none)."""
    host = redis.Redis.from_url(redis_url).get(f"rtc:room:{room}")
    return host.decode() if isinstance(host, bytes) else None


# Clients after a host's death, as the web app behaves.

# The web app's reconnection (frontend session.service.ts retryDelay): 0.5, 1, then 1.5 s.
RETRY_BASE_S, RETRY_QUICK_MAX_S, RETRY_JITTER = 0.5, 1.5, 0.25
PASSING_REFUSALS = ("room_moving", "cluster_unavailable", "shutting_down")


def retry_delay(attempt: int) -> float:
    """The web app's delay before reconnection attempt `attempt` (1, 2, ...)."""
    backoff = min(RETRY_QUICK_MAX_S, RETRY_BASE_S * attempt)
    return backoff * random.uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER)


async def rejoin(cluster: Cluster, room: str, name: str, gone: Peer, deadline: float) -> Peer:
    """Reconnect through nginx as the web app does: resume the participant, join afresh if
    the new host cannot resume it, wait and try again on a passing refusal."""
    attempt = 0
    while time.monotonic() < deadline:
        attempt += 1
        await asyncio.sleep(retry_delay(attempt))
        peer = Peer(cluster.room_url(room))
        try:
            await peer.__aenter__()
        except (aiohttp.ClientError, OSError):  # nginx found no instance up
            await peer._session.close()
            continue
        peer.participant_id, peer.resume_token = gone.participant_id, gone.resume_token
        peer.last_seq = gone.last_seq
        joined = await peer.resume(room, name)
        if joined["type"] == "error" and joined["code"] == "resume_failed":
            joined = await peer.join(room, name)
        if joined["type"] == "joined":
            return peer
        if joined["code"] not in PASSING_REFUSALS:
            raise RuntimeError(f"{name} refused: {joined}")
        await peer.close()
    raise TimeoutError(f"{name} could not rejoin {room}")


def live_captions(peer: Peer) -> list[Received]:
    """Captions on the peer's data channel as they were spoken (not history)."""
    return [
        r for r in peer.captions if r.message["type"] == "caption" and not r.message.get("history")
    ]


def history_finals(peer: Peer) -> list[tuple[str, str]]:
    """The finals a (re)joining participant was given as history, on its data channel."""
    return [
        (r.message["id"], r.message["text"])
        for r in peer.captions
        if r.message["type"] == "caption" and r.message["final"] and r.message.get("history")
    ]
