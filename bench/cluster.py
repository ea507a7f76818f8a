"""Three instances as one cluster behind nginx: joins spread and forwarded, one speaker read
by many captions-only viewers, and a killed instance's room coming back.

Everything is real and on loopback: a Redis and a PostgreSQL started here, three backend
processes (`tests.support.cluster.start_cluster`) and the project's nginx in front, hashing
joins on the room. The clients run in this process, on the same cores as the servers.

- `joins`: `--rooms` rooms of two participants join through nginx (`/ws?room=<room>`);
  in every third room the second joins an instance directly instead (round robin), as a
  client that bypasses nginx would. Share of joins forwarded (`rtc_cluster_joins_forwarded_total`),
  rooms per instance, join time (opening the WebSocket → `joined`) p50/p95.
- `viewers`: one speaker (a real aiortc peer, joined through nginx) speaks the shared
  recordings; `--viewers` captions-only viewers join through nginx over plain WebSockets
  (`/ws?view=<room>&viewer=<id>`, as the web app: nginx spreads them by their id). Every
  viewer must receive every final the speaker receives (same ids, same text, same order);
  delivery delay per final per viewer = its arrival at the viewer - its arrival at the
  speaker (one monotonic clock). CPU of the three servers and
  nginx over the speaking period, per viewer and audio second.
- `failover`: a speaker and a listener in a room through nginx; the room's host is killed with
  SIGKILL; both reconnect as the web app does (0.5, 1, then 1.5 s apart, ±25 %) and the speaker
  speaks again. Kill → first live caption at the listener, `--failovers` times, each on a fresh
  cluster; every final from before the kill must be in the history the listener is given.

    .venv/bin/python -m bench.cluster --viewers 1000 --out bench/results/cluster

The last line printed is a JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import resource
import time
import urllib.request
import uuid
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import psutil

from tests.support.client import Peer, Received, load_audio, silence
from tests.support.cluster import (
    Cluster,
    history_finals,
    hosting_instance,
    instance_id_of,
    live_captions,
    rejoin,
    start_cluster,
)
from tests.support.postgres import PostgresServer
from tests.support.redis_server import RedisServer
from tests.support.servers import TESTDATA, BackendProcess

INSTANCES = 3
DIRECT_EVERY = 3  # every third room's second participant bypasses nginx
JOIN_CONCURRENCY = 50  # viewers opening their WebSockets at once
PAUSE_S = 1.5  # between recordings: longer than the server's endpoint pause
TRAILING_S = 3.0
DELIVERY_TIMEOUT_S = 30.0
DELIVERY_TARGET_P95_S = 0.25
FAILOVER_TARGET_S = 15.0
LOOP_PROBE_S = 0.05
RECORDINGS = (
    ("jfk.flac", None),
    ("stereo_diarization.wav", 0),
    ("stereo_diarization.wav", 1),
    ("hotwords.mp3", None),
)


def new_room(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:8]}"


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def spread(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50_s": percentile(values, 50),
        "p95_s": percentile(values, 95),
        "max_s": round(max(values), 3) if values else None,
    }


def raise_open_file_limit() -> int:
    """A thousand WebSockets through nginx: one descriptor each here, two each in nginx
    (which inherits this process's limit)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def cluster_env(viewers: int) -> dict[str, str]:
    """Settings for a thousand sessions: a third of the viewers (and the join rooms) on
    each instance at the least, and no per-address cap (every client here is 127.0.0.1)."""
    return {
        "RTC_MAX_SESSIONS": str(max(200, viewers + 300)),
        "RTC_MAX_CONNECTIONS_PER_IP": "0",
        "RTC_LOG_LEVEL": "warning",  # a thousand joins: keep logging off the event loop
    }


@contextlib.contextmanager
def shared_state() -> Iterator[tuple[RedisServer, PostgresServer]]:
    """A Redis and a PostgreSQL of the benchmark's own, as the tests start them."""
    redis_server, postgres = RedisServer(), PostgresServer()
    try:
        redis_server.start()
        postgres.start()
        yield redis_server, postgres
    finally:
        redis_server.close()
        postgres.close()


# /metrics


def scrape(instance: BackendProcess) -> str:
    with urllib.request.urlopen(f"{instance.base_url}/metrics", timeout=5) as response:
        return str(response.read().decode())


def total(text: str, name: str) -> float:
    """The sum of every series of `name` (all label sets)."""
    pattern = rf"^{re.escape(name)}(?:\{{[^}}]*\}})? ([0-9.e+-]+)$"
    return sum(float(value) for value in re.findall(pattern, text, re.MULTILINE))


def lag_samples(text: str, over_s: str) -> tuple[float, float]:
    """Event-loop lag samples in all, and those later than `over_s` (a bucket bound)."""
    count = total(text, "rtc_event_loop_lag_seconds_count")
    bucket = re.search(
        rf'^rtc_event_loop_lag_seconds_bucket\{{le="{re.escape(over_s)}"\}} ([0-9.e+-]+)$',
        text,
        re.MULTILINE,
    )
    within = float(bucket.group(1)) if bucket else count
    return count, count - within


def forwarded_joins(cluster: Cluster) -> float:
    return sum(total(scrape(i), "rtc_cluster_joins_forwarded_total") for i in cluster.instances)


def host_index(redis_url: str, room: str, ids: list[str]) -> int | None:
    """Which of the cluster's instances holds the room's lease (None: none)."""
    host = hosting_instance(redis_url, room)
    return ids.index(host) if host in ids else None


# A light signaling client: a plain WebSocket, no peer connection.


@dataclass
class Joined:
    ws: aiohttp.ClientWebSocketResponse
    reply: dict[str, Any]  # `joined`, or the error that refused the join
    seconds: float  # opening the WebSocket → the reply

    @property
    def ok(self) -> bool:
        return str(self.reply["type"]) == "joined"


async def open_and_join(
    session: aiohttp.ClientSession, url: str, room: str, name: str, captions_only: bool = False
) -> Joined:
    started = time.monotonic()
    ws = await session.ws_connect(url)
    join = {"v": 1, "type": "join", "room": room, "name": name}
    if captions_only:
        join["captions_only"] = True
    await ws.send_str(json.dumps(join))
    while True:
        message = await ws.receive()
        if message.type is not aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"{url}: closed before joined ({message.type})")
        reply = json.loads(message.data)
        if reply["type"] in ("joined", "error"):
            return Joined(ws, reply, time.monotonic() - started)


# 1. Joins spread and forwarded


@dataclass
class JoinRecord:
    room: str
    way: str  # "nginx" or "direct"
    order: int  # 1: opened the room, 2: joined it
    seconds: float
    instance: int | None = None  # the instance a direct join went to


async def measure_joins(cluster: Cluster, redis_url: str, rooms: int) -> dict[str, Any]:
    ids = [instance_id_of(i) for i in cluster.instances]
    forwarded_before = forwarded_joins(cluster)
    records: list[JoinRecord] = []
    held: list[aiohttp.ClientWebSocketResponse] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        for index in range(rooms):
            room = new_room("join")
            for order in (1, 2):
                direct = order == 2 and index % DIRECT_EVERY == 0
                target = (index // DIRECT_EVERY) % INSTANCES if direct else None
                url = cluster.instances[target].ws_url if target is not None else None
                joined = await open_and_join(session, url or cluster.room_url(room), room, "P")
                if not joined.ok:
                    raise RuntimeError(f"join refused: {joined.reply}")
                held.append(joined.ws)
                way = "direct" if direct else "nginx"
                records.append(JoinRecord(room, way, order, joined.seconds, target))
        # Every room still open: its lease says where it lives.
        hosts = {r.room: host_index(redis_url, r.room, ids) for r in records}
        forwarded = forwarded_joins(cluster) - forwarded_before
        await asyncio.gather(*(ws.close() for ws in held), return_exceptions=True)
    return join_figures(records, hosts, forwarded)


def join_figures(
    records: list[JoinRecord], hosts: dict[str, int | None], forwarded: float
) -> dict[str, Any]:
    through_nginx = [r for r in records if r.way == "nginx"]
    direct = [r for r in records if r.way == "direct"]
    relayed = [r for r in direct if r.instance != hosts[r.room]]
    local = [r for r in direct if r.instance == hosts[r.room]]
    per_instance = [list(hosts.values()).count(i) for i in range(INSTANCES)]
    return {
        "rooms": len(hosts),
        "joins": len(records),
        "joins_through_nginx": len(through_nginx),
        "joins_direct": len(direct),
        "joins_forwarded": int(forwarded),
        "forwarded_share": round(forwarded / len(records), 3),
        "direct_joins_to_another_instance": len(relayed),
        "rooms_per_instance": per_instance,
        "join_nginx": spread([r.seconds for r in through_nginx]),
        "join_nginx_opening_room": spread([r.seconds for r in through_nginx if r.order == 1]),
        "join_direct_on_host": spread([r.seconds for r in local]),
        "join_forwarded": spread([r.seconds for r in relayed]),
    }


# 2. One speaker, many captions-only viewers


@dataclass
class Final:
    id: str
    text: str
    at: float  # monotonic arrival of its last piece


def assemble_finals(received: list[Received]) -> list[Final]:
    """Final captions (not history) in arrival order, split pieces joined in part order."""
    pieces: dict[str, dict[int, str]] = {}
    finals = []
    for r in received:
        m = r.message
        if m["type"] != "caption" or not m["final"] or m.get("history"):
            continue
        parts = pieces.setdefault(m["id"], {})
        parts[m.get("part", 0)] = m["text"]
        if len(parts) == m.get("parts", 1):
            finals.append(Final(m["id"], "".join(parts[p] for p in sorted(parts)), r.at))
    return finals


@dataclass
class Viewer:
    joined: Joined
    received: list[Received] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self.joined.ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                at = time.monotonic()  # before parsing: parsing is the client's own cost
                self.received.append(Received(json.loads(message.data), at))

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)
        await self.joined.ws.close()


def speech_program(passes: int) -> np.ndarray:
    """The shared recordings one after another, pauses between, `passes` times."""
    pause = silence(PAUSE_S)
    one = [piece for name, ch in RECORDINGS for piece in (load_audio(TESTDATA / name, ch), pause)]
    return np.concatenate([silence(0.5), *one * passes, silence(TRAILING_S)])


class LoopProbe:
    """How late this process's own event loop runs a timer: the clients' share of a delay."""

    def __init__(self) -> None:
        self.lateness: list[float] = []
        self._task = asyncio.ensure_future(self._probe())

    async def _probe(self) -> None:
        while True:
            due = time.monotonic() + LOOP_PROBE_S
            await asyncio.sleep(LOOP_PROBE_S)
            self.lateness.append(time.monotonic() - due)

    async def stop(self) -> dict[str, Any]:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return spread(self.lateness)


class CpuMeter:
    """CPU seconds of the servers, nginx (master and workers) and Redis between two reads."""

    def __init__(self, cluster: Cluster, redis_server: RedisServer) -> None:
        nginx = [p for p in psutil.Process().children() if p.name() == "nginx"]
        self.groups: dict[str, list[psutil.Process]] = {
            f"instance_{i + 1}": [psutil.Process(b.process.pid)]
            for i, b in enumerate(cluster.instances)
        }
        self.groups["nginx"] = [w for m in nginx for w in (m, *m.children())]
        assert redis_server.process is not None
        self.groups["redis"] = [psutil.Process(redis_server.process.pid)]
        self._start = self._read()
        self._wall = time.monotonic()

    def _read(self) -> dict[str, float]:
        def cpu(process: psutil.Process) -> float:
            times = process.cpu_times()
            return float(times.user + times.system)

        return {name: sum(cpu(p) for p in group) for name, group in self.groups.items()}

    def stop(self) -> tuple[dict[str, float], float]:
        """CPU seconds per group, and wall seconds, since the start."""
        end = self._read()
        used = {name: round(end[name] - self._start[name], 2) for name in end}
        return used, time.monotonic() - self._wall


async def join_viewers(
    session: aiohttp.ClientSession, cluster: Cluster, room: str, count: int
) -> list[Joined]:
    gate = asyncio.Semaphore(JOIN_CONCURRENCY)

    async def one(index: int) -> Joined:
        async with gate:
            url = cluster.viewer_url(room, f"viewer-{index}")
            return await open_and_join(session, url, room, f"Viewer {index}", captions_only=True)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


def viewer_delays(speaker: list[Final], viewers: list[Viewer]) -> tuple[list[float], int]:
    """Delivery delays of every final at every viewer, and the viewers that did not get
    exactly the speaker's finals in the speaker's order."""
    said = [(f.id, f.text) for f in speaker]
    at_speaker = {f.id: f.at for f in speaker}
    delays, wrong = [], 0
    for viewer in viewers:
        got = assemble_finals(viewer.received)
        if [(f.id, f.text) for f in got] != said:
            wrong += 1
        delays += [f.at - at_speaker[f.id] for f in got if f.id in at_speaker]
    return delays, wrong


async def measure_viewers(
    cluster: Cluster, redis_server: RedisServer, count: int, passes: int
) -> dict[str, Any]:
    room = new_room("lecture")
    audio = speech_program(passes)
    audio_s = audio.size / 48_000
    viewers: list[Viewer] = []
    connector = aiohttp.TCPConnector(limit=0)  # the default (100) would hold viewers back
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        Peer(cluster.room_url(room)) as speaker,
    ):
        await speaker.join(room, "Speaker")
        joins = await join_viewers(session, cluster, room, count)
        refused: dict[str, int] = {}
        for joined in joins:
            if joined.ok:
                viewers.append(Viewer(joined))
                viewers[-1].start()
            else:
                refused[joined.reply["code"]] = refused.get(joined.reply["code"], 0) + 1
                await joined.ws.close()
        sessions = [int(total(scrape(i), "rtc_sessions")) for i in cluster.instances]
        ids = [instance_id_of(i) for i in cluster.instances]
        host = host_index(redis_server.url(), room, ids)
        await speaker.connect(silence(0.2))
        before = [scrape(i) for i in cluster.instances]
        probe, cpu = LoopProbe(), CpuMeter(cluster, redis_server)
        assert speaker.track is not None
        speaker.track.play(audio)
        finals = await spoken_to_the_end(speaker, audio_s)
        complete = await all_delivered(finals, viewers)
        used, wall_s = cpu.stop()
        bench_loop = await probe.stop()
        after = [scrape(i) for i in cluster.instances]
        delays, wrong = viewer_delays(finals, viewers)
        await asyncio.gather(*(v.close() for v in viewers), return_exceptions=True)
    return {
        "viewers_requested": count,
        "viewers_joined": len(viewers),
        "viewers_refused": refused,
        "sessions_per_instance": sessions,
        "host_instance": None if host is None else host + 1,
        "viewer_join": spread([j.seconds for j in joins if j.ok]),
        "audio_s": round(audio_s, 1),
        "finals": len(finals),
        "all_delivered": complete,
        "viewers_with_wrong_finals": wrong,
        "delivery": spread(delays),
        "delivery_target_p95_s": DELIVERY_TARGET_P95_S,
        **cpu_figures(used, wall_s, len(viewers), audio_s),
        **viewer_cost_elsewhere(used, sessions, host, audio_s),
        "server_event_loop_lag_over_100ms": lag_shares(before, after),
        "messages_dropped": dropped(before, after),
        "bench_loop_lateness": bench_loop,
    }


async def spoken_to_the_end(speaker: Peer, audio_s: float) -> list[Final]:
    track = speaker.track
    assert track is not None
    await speaker.wait_for(
        lambda: track.finished_at and speaker.finals() and not speaker.open_utterances(),
        audio_s + 60,
    )
    return assemble_finals(speaker.captions)


async def all_delivered(finals: list[Final], viewers: list[Viewer]) -> bool:
    """Wait (a while) until every viewer has as many finals as the speaker."""
    deadline = time.monotonic() + DELIVERY_TIMEOUT_S
    while time.monotonic() < deadline:
        if all(len(assemble_finals(v.received)) >= len(finals) for v in viewers):
            return True
        await asyncio.sleep(0.2)
    return False


def cpu_figures(
    used: dict[str, float], wall_s: float, viewers: int, audio_s: float
) -> dict[str, Any]:
    servers = sum(seconds for name, seconds in used.items() if name.startswith("instance_"))
    with_nginx = servers + used["nginx"]
    per = viewers * audio_s
    return {
        "cpu_s": used,
        "cpu_window_s": round(wall_s, 1),
        "cpu_cores_servers_and_nginx": round(with_nginx / wall_s, 3),
        "cpu_s_per_viewer_per_audio_s": round(with_nginx / per, 6) if per else None,
        "nginx_cpu_s_per_viewer_per_audio_s": round(used["nginx"] / per, 6) if per else None,
    }


def viewer_cost_elsewhere(
    used: dict[str, float], sessions: list[int], host: int | None, audio_s: float
) -> dict[str, Any]:
    """What a viewer costs without recognition: the instances that do not host the room
    serve nothing but their viewers (captions from Redis)."""
    others = [i for i in range(len(sessions)) if i != host]
    viewers = sum(sessions[i] for i in others)
    cpu = sum(used[f"instance_{i + 1}"] for i in others)
    per = viewers * audio_s
    return {
        "cpu_s_per_viewer_per_audio_s_non_host": round(cpu / per, 6) if per else None,
    }


def lag_shares(before: list[str], after: list[str]) -> list[float | None]:
    """Per instance, the share of its event-loop samples that ran 0.1 s late or more."""
    shares: list[float | None] = []
    for old, new in zip(before, after, strict=True):
        count_0, late_0 = lag_samples(old, "0.1")
        count_1, late_1 = lag_samples(new, "0.1")
        samples = count_1 - count_0
        shares.append(round((late_1 - late_0) / samples, 3) if samples else None)
    return shares


def dropped(before: list[str], after: list[str]) -> dict[str, float]:
    names = ("rtc_caption_messages_dropped_total", "rtc_cluster_captions_dropped_total")
    return {
        name: sum(total(b, name) - total(a, name) for a, b in zip(before, after, strict=True))
        for name in names
    }


# 3. Failover after SIGKILL


async def one_failover(cluster: Cluster, redis_url: str) -> dict[str, Any]:
    room = new_room("failover")
    ids = [instance_id_of(i) for i in cluster.instances]
    speech = np.concatenate([silence(0.5), load_audio(TESTDATA / "jfk.flac"), silence(TRAILING_S)])
    async with Peer(cluster.room_url(room)) as listener, Peer(cluster.room_url(room)) as talker:
        await listener.join(room, "Listener")
        await talker.join(room, "Speaker")
        await listener.connect(None)
        await talker.connect(speech)
        said = [(f.id, f.text) for f in await spoken_to_the_end(talker, speech.size / 48_000)]
        await listener.wait_for(
            lambda: [(f["id"], f["text"]) for f in listener.finals()] == said, 10
        )
        host = host_index(redis_url, room, ids)
        assert host is not None
        cluster.instances[host].process.kill()
        killed_at = time.monotonic()
        await listener.wait_for(lambda: listener.ws.closed, 10)
        deadline = killed_at + 60
        back, again = await asyncio.gather(
            rejoin(cluster, room, "Listener", listener, deadline),
            rejoin(cluster, room, "Speaker", talker, deadline),
        )
        rejoined_at = time.monotonic()
        try:
            await back.connect(None)
            await again.connect(speech)
            first_live = (await back.wait_for(lambda: live_captions(back), 60))[0].at
            history = history_finals(back)
            new_host = host_index(redis_url, room, ids)
        finally:
            await back.close()
            await again.close()
    return {
        "kill_to_rejoined_s": round(rejoined_at - killed_at, 2),
        "kill_to_first_live_caption_s": round(first_live - killed_at, 2),
        "finals_before_kill": len(said),
        "history_has_every_final": history[: len(said)] == said,
        "moved": new_host is not None and new_host != host,
    }


async def measure_failovers(
    redis_server: RedisServer, postgres: PostgresServer, env: dict[str, str], times: int
) -> dict[str, Any]:
    runs = []
    for index in range(times):
        # A Redis database of its own: no lease of an earlier cluster's instances in it.
        redis_url = redis_server.url(db=index + 1)
        with start_cluster(INSTANCES, redis_url, postgres.create_database(), env) as cluster:
            runs.append(await one_failover(cluster, redis_url))
        print(f"failover {index + 1}: {json.dumps(runs[-1])}", flush=True)
    flowing = [r["kill_to_first_live_caption_s"] for r in runs]
    return {
        "runs": runs,
        "max_kill_to_first_live_caption_s": max(flowing) if flowing else None,
        "target_s": FAILOVER_TARGET_S,
    }


# Running it


async def timed(what: str, work: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    started = time.monotonic()
    figures = await work
    print(f"{what} ({time.monotonic() - started:.0f} s): {json.dumps(figures)}", flush=True)
    return figures


async def measure(arguments: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "instances": INSTANCES,
        "open_file_limit": raise_open_file_limit(),
    }
    env = cluster_env(arguments.viewers)
    results["settings"] = env
    with shared_state() as (redis_server, postgres):
        redis_url = redis_server.url()
        with start_cluster(INSTANCES, redis_url, postgres.create_database(), env) as cluster:
            results["joins"] = await timed(
                "joins", measure_joins(cluster, redis_url, arguments.rooms)
            )
            results["viewers"] = await timed(
                "viewers",
                measure_viewers(cluster, redis_server, arguments.viewers, arguments.passes),
            )
        results["failover"] = await measure_failovers(
            redis_server, postgres, env, arguments.failovers
        )
    return results


def p50_p95(figures: dict[str, Any]) -> str:
    return f"{figures['p50_s']} / {figures['p95_s']}"


def table(results: dict[str, Any]) -> str:
    joins, viewers, failover = results["joins"], results["viewers"], results["failover"]
    refused = f", refused: {viewers['viewers_refused']}" if viewers["viewers_refused"] else ""
    delivered = viewers["all_delivered"] and viewers["viewers_with_wrong_finals"] == 0
    delivery = viewers["delivery"]
    runs = failover["runs"]
    rows = [
        ("joins", f"{joins['joins']} ({joins['rooms']} rooms of 2)"),
        ("joins forwarded", f"{joins['joins_forwarded']} ({joins['forwarded_share']:.1%})"),
        (
            "direct joins that reached a non-host",
            f"{joins['direct_joins_to_another_instance']} of {joins['joins_direct']}",
        ),
        ("rooms per instance", " / ".join(map(str, joins["rooms_per_instance"]))),
        ("join p50 / p95 through nginx (s)", p50_p95(joins["join_nginx"])),
        ("join p50 / p95 forwarded (s)", p50_p95(joins["join_forwarded"])),
        (
            "viewers joined",
            f"{viewers['viewers_joined']} of {viewers['viewers_requested']}{refused}",
        ),
        ("sessions per instance", " / ".join(map(str, viewers["sessions_per_instance"]))),
        ("finals; every viewer got each, in order", f"{viewers['finals']}; {delivered}"),
        (
            "delivery p50 / p95 / max (s)",
            f"{delivery['p50_s']} / {delivery['p95_s']} / {delivery['max_s']}",
        ),
        ("CPU-s per viewer per audio-s (servers + nginx)", viewers["cpu_s_per_viewer_per_audio_s"]),
        (
            "CPU-s per viewer per audio-s, non-host instances",
            viewers["cpu_s_per_viewer_per_audio_s_non_host"],
        ),
        (
            f"CPU-s over the speaking period (host: instance {viewers['host_instance']})",
            ", ".join(f"{k} {v}" for k, v in viewers["cpu_s"].items())
            + f" in {viewers['cpu_window_s']} s",
        ),
        ("server loop lag >= 0.1 s (share)", viewers["server_event_loop_lag_over_100ms"]),
        (
            "failover: kill -> first live caption (s)",
            ", ".join(str(r["kill_to_first_live_caption_s"]) for r in runs)
            + f" (max {failover['max_kill_to_first_live_caption_s']})",
        ),
        (
            "failover: history kept / room moved",
            ", ".join(f"{r['history_has_every_final']} / {r['moved']}" for r in runs),
        ),
    ]
    lines = ["| figure | measured |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rooms", type=int, default=60, help="rooms of two for the joins")
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=2, help="times the recordings are spoken")
    parser.add_argument("--failovers", type=int, default=3)
    parser.add_argument("--out", type=Path, help="write <out>.json and <out>.md")
    arguments = parser.parse_args()
    results = asyncio.run(measure(arguments))
    if arguments.out:
        arguments.out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
        arguments.out.with_suffix(".md").write_text(table(results) + "\n")
    print(table(results))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
