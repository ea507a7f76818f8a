"""Several real backends as one cluster (a real Redis, a real PostgreSQL), with the project's
nginx in front hashing joins on the room."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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
