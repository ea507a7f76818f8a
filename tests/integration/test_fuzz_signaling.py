"""Random and mutated signaling messages against one real server, over real WebSockets.

Properties: every bad message gets one documented error (never `internal`), or for frames the
transport refuses a close with the reason as its code (1009 too big, 1007 not UTF-8); the
connection stays usable afterwards (a
marker message still gets its answer, a ping still gets a pong); closed connections leave no
session, peer connection or task behind; and a speaker and a listener who joined before the
fuzzing keep working throughout.

The examples are derandomized (the same cases on every run) and bounded for CI.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import threading
import uuid
from collections import Counter
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
import numpy as np
import pytest
from aiortc import RTCPeerConnection
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tests.support.client import Peer, load_audio, silence
from tests.support.servers import ROOT, TESTDATA, BackendProcess, metric, settle, start_backend
from tests.support.transcripts import JFK, normalized_wer

T = TypeVar("T")
# The bystanders' aiortc stacks use `random` on their own thread while examples are generated.
pytestmark = [
    pytest.mark.slow,  # a bystander streams a recording in real time throughout
    pytest.mark.filterwarnings(
        "ignore:Do not use the `random` module:hypothesis.errors.HypothesisDeprecationWarning"
    ),
]

PROTOCOL_LIMIT = 64 * 1024
TRANSPORT_LIMIT = 1024 * 1024
REPLY_TIMEOUT_S = 20.0
# "answer" is gone from the protocol (the server never offers): it is fuzzed as unknown.
CLIENT_TYPES = ("join", "offer", "candidate", "set_caption_language", "leave", "ping")
# Messages the server may send at any time, not in answer to the last message.
UNSOLICITED = {"participants", "participant_joined", "participant_left", "notice"}
SUCCESS = {
    "join": "joined",
    "offer": "answer",
    "set_caption_language": "caption_language",
    "leave": "left",
    "ping": "pong",
}
# Lone surrogates are valid JSON escapes but not Unicode.
TRICKY_TEXT = ("", " ", "\ud800", "a\udfffb", "\x00", "\u202e", "😀" * 3, "x" * 300, "1e999")

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def documented_error_codes() -> set[str]:
    """The error codes docs/protocol.md lists: the server must send no other."""
    text = (ROOT / "docs" / "protocol.md").read_text()
    table = text.split("### `error`", 1)[1].split("###", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", table, re.MULTILINE))


ERROR_CODES = documented_error_codes()


class LoopThread:
    """An event loop in its own thread: bystanders keep running between hypothesis examples."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, work: Awaitable[T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(_awaited(work), self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


async def _awaited(work: Awaitable[T]) -> T:
    return await work


# What the fuzz client sends


@dataclass(frozen=True)
class SdpEdit:
    """A mutation of a real offer: lines removed, a line replaced, the text cut short."""

    removed: frozenset[int] = frozenset()
    replaced: tuple[int, str] | None = None
    cut: int | None = None

    def apply(self, sdp: str) -> str:
        lines = sdp.split("\r\n")
        if self.replaced is not None:
            index, text = self.replaced
            lines[index % len(lines)] = text
        kept = "\r\n".join(line for i, line in enumerate(lines) if i not in self.removed)
        return kept if self.cut is None else kept[: self.cut]


@dataclass(frozen=True)
class Frame:
    """One WebSocket frame: a message (dict or any JSON value), raw text, or raw bytes."""

    value: Any = None
    text: str | None = None
    data: bytes | None = None
    binary: bool = False  # `data` as a binary frame; otherwise as a text frame (maybe not UTF-8)

    def resolve(self, offer_sdp: str) -> Frame:
        if isinstance(self.value, dict) and isinstance(self.value.get("sdp"), SdpEdit):
            return Frame({**self.value, "sdp": self.value["sdp"].apply(offer_sdp)})
        return self

    def encoded(self) -> str | None:
        if self.text is not None:
            return self.text
        if self.data is None:
            return json.dumps(self.value)
        return None

    @property
    def size(self) -> int:
        encoded = self.encoded()
        return len(encoded.encode("utf-8", "surrogatepass")) if encoded else len(self.data or b"")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(TRICKY_TEXT),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
rooms = st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)
languages = st.sampled_from(["en", "de", "fr", "en-US", "pt-BR", "auto", "xx", "EN", ""])
candidates = st.sampled_from(
    [
        "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host",
        "candidate:1 1 tcp 1 127.0.0.1 9 typ host tcptype active",
        "candidate:nonsense",
        "candidate:1 1 udp 1 999.1.1.1 70000 typ relay",
        "",
    ]
) | st.text(max_size=40)
sdp_edits = st.builds(
    SdpEdit,
    removed=st.frozensets(st.integers(0, 60), max_size=4),
    replaced=st.none() | st.tuples(st.integers(0, 60), st.text(max_size=30)),
    cut=st.none() | st.integers(0, 4000),
)
sdps = sdp_edits | st.text(max_size=50)
valid_messages = st.one_of(
    st.fixed_dictionaries(
        {"v": st.just(1), "type": st.just("join"), "room": rooms, "name": st.text(max_size=70)},
        optional={"language": languages, "caption_language": languages | st.none()},
    ),
    st.fixed_dictionaries({"v": st.just(1), "type": st.just("offer"), "sdp": sdps}),
    st.fixed_dictionaries({"v": st.just(1), "type": st.just("answer"), "sdp": sdps}),
    st.fixed_dictionaries(
        {"v": st.just(1), "type": st.just("candidate")},
        optional={
            "candidate": candidates | st.none(),
            "sdp_mid": st.sampled_from(["0", "1", "x"]) | st.none(),
            "sdp_mline_index": st.integers(-1, 2**40) | st.none(),
        },
    ),
    st.fixed_dictionaries(
        {"v": st.just(1), "type": st.just("set_caption_language"), "language": languages}
    ),
    st.just({"v": 1, "type": "leave"}),
    st.just({"v": 1, "type": "ping"}),
)


@st.composite
def mutated(draw: st.DrawFn, message: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """A valid message, or one with a field dropped, retyped, added, or its type/version
    changed."""
    body = dict(draw(message))
    mutation = draw(st.sampled_from(["none", "drop", "retype", "extra", "type", "version"]))
    if mutation == "drop":
        body.pop(draw(st.sampled_from(sorted(body))))
    elif mutation == "retype":
        body[draw(st.sampled_from(sorted(body)))] = draw(json_values)
    elif mutation == "extra":
        body[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
    elif mutation == "type":
        body["type"] = draw(st.sampled_from(CLIENT_TYPES) | st.text(max_size=12) | json_values)
    elif mutation == "version":
        body["v"] = draw(json_values)
    return body


def nested(depth: int, inside: str = "") -> str:
    return "[" * depth + inside + "]" * depth


# Deep enough to exhaust the JSON parser's recursion limit, or clearly not (not near it).
depths = st.integers(1, 500) | st.integers(1_100, 30_000)
garbage_frames = st.one_of(
    st.builds(Frame, text=st.text(max_size=200)),
    st.builds(Frame, data=st.binary(max_size=200), binary=st.just(True)),
    # Text frames that are not UTF-8: the transport refuses them.
    st.builds(Frame, data=st.binary(max_size=50).map(lambda b: b"\xff" + b + b"\xc3")),
    st.builds(Frame, text=depths.map(nested)),
    st.builds(
        Frame,
        text=depths.map(
            lambda depth: f'{{"v": 1, "type": "join", "room": {nested(depth)}, "name": "n"}}'
        ),
    ),
    st.builds(
        Frame,
        text=st.integers(PROTOCOL_LIMIT - 30, TRANSPORT_LIMIT + 100).map(
            lambda size: json.dumps({"v": 1, "type": "ping", "pad": "x" * size})
        ),
    ),
)
message_frames = st.builds(Frame, value=mutated(valid_messages))


# The fuzz client


@dataclass
class Exchange:
    """What came back for one frame: the replies, or how the connection ended."""

    replies: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None


@dataclass
class Conversation:
    joined: bool = False
    offered: bool = False  # the server accepted an offer: candidates and answers may be silent


class FuzzClient:
    def __init__(self, http: aiohttp.ClientSession, url: str, offer_sdp: str) -> None:
        self._http = http
        self._url = url
        self._offer_sdp = offer_sdp
        self._markers = itertools.count()

    async def converse(self, frames: list[Frame], join_first: bool) -> list[str]:
        """One fresh connection: optionally a valid join, then the frames, each checked.
        Returns what each frame got (an error code, the answer's type, or the close code)."""
        outcomes: list[str] = []
        async with self._http.ws_connect(self._url, max_msg_size=0) as ws:
            state = Conversation()
            if join_first:
                join = Frame({"v": 1, "type": "join", "room": fuzz_room(), "name": "Fuzz"})
                exchange = await self._exchange(ws, join)
                assert _types(exchange) == ["joined"], exchange
                state.joined = True
            for sent in frames:
                frame = sent.resolve(self._offer_sdp)
                exchange = await self._exchange(ws, frame)
                outcomes.append(_outcome(exchange))
                if not check(frame, exchange, state):
                    return outcomes  # the connection ended as it should: nothing more to send
            # Still usable at the end: a ping gets its pong.
            await ws.send_str(json.dumps({"v": 1, "type": "ping"}))
            pong = await _next_solicited(ws, Exchange())
            assert pong is not None and pong["type"] == "pong", pong
        return outcomes

    async def _exchange(self, ws: aiohttp.ClientWebSocketResponse, frame: Frame) -> Exchange:
        """Send `frame`, then a marker message whose error echoes a unique type: everything
        before that error answers `frame`."""
        with contextlib.suppress(ConnectionError):  # refused mid-frame: the close tells why
            if frame.binary:
                await ws.send_bytes(frame.data or b"")
            elif frame.data is not None:
                await ws.send_frame(frame.data, aiohttp.WSMsgType.TEXT)
            else:
                await ws.send_str(frame.encoded() or "")
        marker = f"marker-{next(self._markers)}"
        exchange = Exchange()
        if not ws.closed:
            with contextlib.suppress(ConnectionError):  # the frame may have closed it
                await ws.send_str(json.dumps({"v": 1, "type": marker}))
        while True:
            reply = await _next_solicited(ws, exchange)
            if reply is None:
                return exchange
            if reply["type"] == "error" and marker in reply["message"]:
                assert reply["code"] == "unknown_type", reply
                return exchange
            exchange.replies.append(reply)


async def _next_solicited(
    ws: aiohttp.ClientWebSocketResponse, exchange: Exchange
) -> dict[str, Any] | None:
    """The next server message that answers something (None once the connection is closed,
    noted in `exchange`)."""
    while True:
        message = await ws.receive(timeout=REPLY_TIMEOUT_S)
        if message.type is not aiohttp.WSMsgType.TEXT:
            assert message.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.CLOSED,
            ), message
            # The code the server sent; the client's own may say it could not finish sending.
            closed = message.type is aiohttp.WSMsgType.CLOSE
            exchange.close_code = message.data if closed else ws.close_code
            return None
        reply = json.loads(message.data)
        assert isinstance(reply, dict) and reply.get("v") == 1, reply
        assert isinstance(reply.get("type"), str), reply
        if reply["type"] == "error":
            assert reply.get("code") in ERROR_CODES, f"undocumented error: {reply}"
            assert reply["code"] != "internal", f"server fault: {reply}"
            assert isinstance(reply.get("message"), str) and reply["message"], reply
        if reply["type"] not in UNSOLICITED and reply["type"] != "audio_tracks":
            return reply


def _outcome(exchange: Exchange) -> str:
    if exchange.close_code is not None:
        return f"closed {int(exchange.close_code)}"
    replies = [r["code"] if r["type"] == "error" else r["type"] for r in exchange.replies]
    return " ".join(replies) or "accepted silently"


def _types(exchange: Exchange) -> list[str]:
    return [reply["type"] for reply in exchange.replies]


def expected_error(frame: Frame) -> str | None:
    """The error a frame must get whatever state the session is in (None: depends)."""
    if frame.binary:
        return "bad_json"
    if frame.size > PROTOCOL_LIMIT:
        return "too_large"
    encoded = frame.encoded()
    if encoded is None:
        return None  # not UTF-8: the transport closes
    try:
        value = json.loads(encoded)
    except (ValueError, RecursionError):
        return "bad_json"
    if not isinstance(value, dict):
        return "bad_json"
    version = value.get("v")
    if type(version) is not int or version != 1:  # missing, true and 1.0 are not 1
        return "unsupported_version"
    if value.get("type") not in CLIENT_TYPES:
        return "unknown_type"
    return None


def check(frame: Frame, exchange: Exchange, state: Conversation) -> bool:
    """Assert the answer to `frame` is right; False when the connection has (rightly) ended."""
    if frame.size > TRANSPORT_LIMIT:
        # The server sends its close (1009) at once, then drops the socket with our unread
        # bytes in it: the reset can overtake the close frame, which the client then never sees.
        assert exchange.close_code in (
            aiohttp.WSCloseCode.MESSAGE_TOO_BIG,
            aiohttp.WSCloseCode.ABNORMAL_CLOSURE,
        ), exchange
        return False
    if frame.data is not None and not frame.binary:  # a text frame that is not UTF-8
        assert exchange.close_code == aiohttp.WSCloseCode.INVALID_TEXT, exchange
        return False
    errors = [reply for reply in exchange.replies if reply["type"] == "error"]
    expected = expected_error(frame)
    kind = frame.value.get("type") if isinstance(frame.value, dict) else None
    if kind == "leave" and expected is None and _types(exchange) == ["left"]:
        assert exchange.close_code is not None, "a leave must end the connection"
        return False
    assert exchange.close_code is None, f"connection closed after {frame}: {exchange}"
    if expected is not None:
        assert [error["code"] for error in errors] == [expected], exchange
        assert len(exchange.replies) == 1, exchange
        return True
    assert len(exchange.replies) <= 1, f"several answers to one message: {exchange}"
    if errors:
        return True
    success = SUCCESS.get(str(kind))
    if success is None:  # a candidate: accepted silently, only once an offer is in
        assert state.offered and not exchange.replies, f"{frame} accepted: {exchange}"
        return True
    assert _types(exchange) == [success], f"{frame} got {exchange}"
    state.joined |= kind == "join"
    state.offered |= kind == "offer"
    return True


def fuzz_room() -> str:
    return f"fuzz-{uuid.uuid4().hex[:8]}"


# Fixtures: one server, bystanders who joined before the fuzzing


@dataclass
class Bystanders:
    listener: Peer
    speaker: Peer
    pings: asyncio.Task[None]


@dataclass(repr=False)
class FuzzRun:
    server: BackendProcess
    loop: LoopThread
    client: FuzzClient
    http: aiohttp.ClientSession
    bystanders: Bystanders
    baseline_tasks: float
    cases: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def converse(self, frames: list[Frame], join_first: bool = False) -> None:
        self.cases += 1
        for outcome in self.loop.run(self.client.converse(frames, join_first)):
            event(outcome)  # --hypothesis-show-statistics lists how often each happened
            self.outcomes[outcome] += 1


@pytest.fixture(scope="module")
def fuzz() -> Iterator[FuzzRun]:
    env = {
        "RTC_WHISPER_MODEL": "tiny.en",
        "RTC_TRANSLATOR": "none",
        "RTC_MAX_ROOM_SIZE": "3",
        "RTC_RESUME_WINDOW_S": "0",  # a fuzz connection that drops leaves its room at once
    }
    loop = LoopThread()
    try:
        with start_backend(env) as server:
            baseline = loop.run(_baseline(server))
            http = loop.run(_session())
            offer_sdp = loop.run(_real_offer())
            bystanders = loop.run(_join_bystanders(server))
            yield FuzzRun(
                server, loop, FuzzClient(http, server.ws_url, offer_sdp), http, bystanders, baseline
            )
            loop.run(_release(bystanders, http))
    finally:
        loop.stop()


async def _baseline(server: BackendProcess) -> float:
    await settle(server, float("inf"))
    return metric(server, "rtc_asyncio_tasks")


async def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()


async def _real_offer() -> str:
    """A real aiortc offer (audio and a captions channel) for the SDP mutations."""
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="sendrecv")
    pc.createDataChannel("captions")
    await pc.setLocalDescription(await pc.createOffer())
    sdp: str = pc.localDescription.sdp
    await pc.close()
    return sdp


async def _join_bystanders(server: BackendProcess) -> Bystanders:
    room = fuzz_room()
    listener = await Peer(server.ws_url).__aenter__()
    assert (await listener.join(room, "Listener"))["type"] == "joined"
    await listener.connect(None)
    speaker = await Peer(server.ws_url).__aenter__()
    assert (await speaker.join(room, "Speaker"))["type"] == "joined"
    speech = load_audio(TESTDATA / "jfk.flac")
    await speaker.connect(np.concatenate([silence(1), speech, silence(3)]))

    async def ping_forever() -> None:
        while True:
            await listener.send({"v": 1, "type": "ping"})
            await asyncio.sleep(0.5)

    return Bystanders(listener, speaker, asyncio.ensure_future(ping_forever()))


async def _release(bystanders: Bystanders, http: aiohttp.ClientSession) -> None:
    bystanders.pings.cancel()
    await asyncio.gather(bystanders.pings, return_exceptions=True)
    await bystanders.speaker.close()
    await bystanders.listener.close()
    await http.close()


def _pongs(peer: Peer) -> int:
    return sum(1 for received in peer.signals if received.message["type"] == "pong")


# The properties


@settings(FUZZ, max_examples=100)
@given(value=json_values)
@example(value={"v": 1, "type": []})  # an unhashable type was a server fault
@example(value={"v": 1, "type": {"a": 1}})
@example(value={"v": 1, "type": "join", "room": "r", "name": "\ud800"})  # not valid Unicode
def test_random_json_values(fuzz: FuzzRun, value: Any) -> None:
    fuzz.converse([Frame(value)])


@settings(FUZZ, max_examples=150)
@given(frames=st.lists(message_frames, min_size=1, max_size=3), join_first=st.booleans())
@example(frames=[Frame({"v": 1, "type": "offer", "sdp": SdpEdit()})], join_first=False)
@example(frames=[Frame({"v": 1, "type": "answer", "sdp": SdpEdit()})], join_first=True)
@example(frames=[Frame({"v": 1, "type": "offer", "sdp": SdpEdit(cut=400)})], join_first=True)
@example(
    frames=[
        Frame({"v": 1, "type": "offer", "sdp": SdpEdit()}),
        Frame({"v": 1, "type": "candidate", "candidate": "candidate:nonsense", "sdp_mid": "0"}),
        Frame({"v": 1, "type": "answer", "sdp": SdpEdit()}),
    ],
    join_first=True,
)
@example(
    frames=[Frame({"v": 1, "type": "set_caption_language", "language": "de"})], join_first=False
)
def test_mutated_messages_in_any_order(
    fuzz: FuzzRun, frames: list[Frame], join_first: bool
) -> None:
    fuzz.converse(frames, join_first)


@settings(FUZZ, max_examples=40)
@given(
    offer=sdp_edits,
    then=st.lists(
        st.builds(
            Frame,
            value=st.fixed_dictionaries(
                {"v": st.just(1), "type": st.just("candidate"), "candidate": candidates},
                optional={
                    "sdp_mid": st.sampled_from(["0", "1"]),
                    "sdp_mline_index": st.integers(0, 2),
                },
            )
            | st.fixed_dictionaries({"v": st.just(1), "type": st.just("answer"), "sdp": sdps}),
        ),
        max_size=2,
    ),
)
@example(offer=SdpEdit(), then=[])  # never connected: its received track leaked a task
def test_mutated_offers_after_join(fuzz: FuzzRun, offer: SdpEdit, then: list[Frame]) -> None:
    fuzz.converse([Frame({"v": 1, "type": "offer", "sdp": offer}), *then], join_first=True)


@settings(FUZZ, max_examples=80)
@given(frame=garbage_frames, join_first=st.booleans())
@example(frame=Frame(text=nested(5000)), join_first=False)  # was a RecursionError
@example(
    frame=Frame(text=json.dumps({"v": 1, "type": "ping", "pad": "x" * PROTOCOL_LIMIT})),
    join_first=True,
)
@example(frame=Frame(text="x" * (TRANSPORT_LIMIT + 1)), join_first=False)
@example(  # the limit is in bytes: this is 40,000 characters, 80,000 bytes
    frame=Frame(text=json.dumps({"v": 1, "type": "ping", "pad": "é" * 40_000}, ensure_ascii=False)),
    join_first=False,
)
@example(frame=Frame(data=b"\xff\xfe"), join_first=False)
@example(frame=Frame(data=b"\x00\x01", binary=True), join_first=True)
def test_garbage_frames(fuzz: FuzzRun, frame: Frame, join_first: bool) -> None:
    fuzz.converse([frame], join_first)


def test_bystanders_unaffected_and_nothing_leaked(fuzz: FuzzRun) -> None:
    listener, speaker = fuzz.bystanders.listener, fuzz.bystanders.speaker
    print(f"\nfuzz: {fuzz.cases} cases against one server; answers: {dict(fuzz.outcomes)}")
    assert fuzz.cases >= 300
    assert fuzz.server.health()["status"] == "ok"

    async def speech_done() -> None:
        assert speaker.track is not None
        await speaker.wait_for(lambda: speaker.track.finished_at, timeout=60)  # type: ignore[union-attr]
        await listener.wait_for(
            lambda: listener.finals(speaker.participant_id) and not listener.open_utterances(),
            timeout=30,
        )
        before = _pongs(listener)
        await listener.wait_for(lambda: _pongs(listener) > before + 1, timeout=10)

    fuzz.loop.run(speech_done())
    transcript = listener.transcript(speaker.participant_id)
    print(f"bystander heard: {transcript}")
    assert normalized_wer(JFK, transcript) <= 0.3, transcript
    errors = [s.message for s in listener.signals if s.message["type"] == "error"]
    assert not errors, errors
    # Only the bystanders are left on the server, then nobody.
    assert fuzz.loop.run(_sessions_settle_to(fuzz.server, 2)) == 2
    fuzz.loop.run(_release(fuzz.bystanders, fuzz.http))
    fuzz.loop.run(settle(fuzz.server, fuzz.baseline_tasks))
    assert fuzz.server.health()["sessions"] == 0
    assert metric(fuzz.server, "rtc_rooms") == 0


async def _sessions_settle_to(server: BackendProcess, count: int) -> float:
    for _ in range(100):
        if (
            metric(server, "rtc_sessions") == count
            and metric(server, "rtc_peer_connections") == count
        ):
            break
        await asyncio.sleep(0.2)
    return metric(server, "rtc_sessions")
