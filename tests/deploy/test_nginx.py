"""The project's nginx.conf, run for real on loopback in front of a stand-in backend."""

from __future__ import annotations

import asyncio
import datetime
import gzip
import http.client
import re
import ssl
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiohttp import web

from tests.support.fake_backend import FakeBackend
from tests.support.nginx_proxy import NGINX_CONF, TlsFiles, check_config, run_nginx
from tests.support.servers import free_port

HASHED_JS = "/main-ABCD1234.js"


def fetch(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Status, headers and body, for error statuses too; never follows redirects."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def base_url(nginx_bin: str, fake_backend: FakeBackend, html_root: Path) -> Iterator[str]:
    with run_nginx(fake_backend.address, html_root) as url:
        yield url


def test_config_passes_nginx_t(nginx_bin: str, html_root: Path) -> None:
    result = check_config("127.0.0.1:5000", html_root)
    assert result.returncode == 0, result.stderr


def test_config_has_one_substitution_point_each() -> None:
    text = NGINX_CONF.read_text()
    assert text.count("server backend:5000;") == 1
    assert text.count("root /usr/share/nginx/html;") == 1
    assert text.count("listen 80;") == 1


def test_config_with_several_upstreams_passes_nginx_t(nginx_bin: str, html_root: Path) -> None:
    result = check_config(["127.0.0.1:5001", "127.0.0.1:5002", "127.0.0.1:5003"], html_root)
    assert result.returncode == 0, result.stderr


# --- Single-page app ---------------------------------------------------------------------


def test_client_side_routes_fall_back_to_index_html(base_url: str) -> None:
    status, headers, body = fetch(base_url + "/standup")
    assert status == 200
    assert b"<app-root>" in body
    assert headers["Cache-Control"] == "no-cache"


def test_index_html_is_revalidated_on_every_load(base_url: str) -> None:
    for path in ("/", "/index.html"):
        status, headers, _ = fetch(base_url + path)
        assert status == 200
        assert headers["Cache-Control"] == "no-cache", path


def test_hashed_assets_are_cached_for_a_year_as_immutable(base_url: str) -> None:
    for path in (HASHED_JS, "/styles-5INURTSO.css"):
        status, headers, _ = fetch(base_url + path)
        assert status == 200
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable", path


def test_unhashed_files_get_a_short_cache(base_url: str) -> None:
    status, headers, _ = fetch(base_url + "/favicon.ico")
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=3600"


def test_missing_file_is_404_not_index_html(base_url: str) -> None:
    status, headers, body = fetch(base_url + "/main-ZZZZ9999.js")
    assert status == 404
    assert b"<app-root>" not in body
    assert "Cache-Control" not in headers


def test_javascript_is_gzipped(base_url: str) -> None:
    status, headers, body = fetch(base_url + HASHED_JS, headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in headers["Vary"]
    assert gzip.decompress(body).startswith(b"console.log")


def test_proxied_json_is_gzipped(base_url: str) -> None:
    status, headers, _ = fetch(base_url + "/api/config", headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"


# --- Security headers -----------------------------------------------------------------------


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("path", ["/", HASHED_JS, "/api/config", "/main-ZZZZ9999.js"])
def test_security_headers_are_on_every_response(base_url: str, path: str) -> None:
    _, headers, _ = fetch(base_url + path)
    assert "Content-Security-Policy" in headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "microphone=(self)" in headers["Permissions-Policy"]
    assert headers["Server"] == "nginx"  # no version


def test_csp_allows_only_the_own_origin(base_url: str) -> None:
    _, headers, _ = fetch(base_url + "/")
    csp = csp_directives(headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "blob:" in csp["media-src"]
    every_source = [source for sources in csp.values() for source in sources]
    assert "*" not in every_source
    assert "'unsafe-eval'" not in every_source
    assert not any(source in ("ws:", "wss:", "http:", "https:") for source in every_source)


def test_no_hsts_over_plain_http(base_url: str) -> None:
    _, headers, _ = fetch(base_url + "/")
    assert "Strict-Transport-Security" not in headers


# --- Backend proxy ---------------------------------------------------------------------------


def test_health_is_proxied_with_its_status(base_url: str, fake_backend: FakeBackend) -> None:
    status, _, body = fetch(base_url + "/health")
    assert (status, b'"ready": true' in body) == (200, True)
    fake_backend.ready = False
    try:
        status, _, _ = fetch(base_url + "/health")
        assert status == 503
    finally:
        fake_backend.ready = True


def test_api_requests_carry_forwarded_headers(base_url: str) -> None:
    status, _, body = fetch(base_url + "/api/headers", headers={"Host": "captions.example"})
    assert status == 200
    assert b'"X-Forwarded-For": "127.0.0.1"' in body
    assert b'"X-Forwarded-Proto": "http"' in body
    assert b'"Host": "captions.example"' in body


def test_metrics_reach_the_backend_from_local_clients(base_url: str) -> None:
    status, _, body = fetch(base_url + "/metrics")
    assert status == 200
    assert b"rtc_sessions" in body


def test_metrics_are_closed_to_other_clients() -> None:
    block = NGINX_CONF.read_text().split("location = /metrics {", 1)[1].split("}", 1)[0]
    assert "deny all;" in block


def test_websocket_upgrades_through_nginx(base_url: str) -> None:
    async def exchange() -> str:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(base_url + "/ws", timeout=aiohttp.ClientWSTimeout(ws_close=5)) as ws,
        ):
            await ws.send_str('{"v": 1, "type": "ping"}')
            message = await ws.receive(timeout=5)
            return str(message.data)

    assert asyncio.run(exchange()) == '{"v": 1, "type": "ping"}'


def test_oversized_request_body_is_rejected(base_url: str) -> None:
    status, _, _ = fetch(base_url + "/api/upload", method="POST", body=b"x" * 1024)
    assert status == 200
    status, _, _ = fetch(base_url + "/api/upload", method="POST", body=b"x" * (128 * 1024))
    assert status == 413


def test_backend_down_gives_502_while_the_ui_still_loads(nginx_bin: str, html_root: Path) -> None:
    with run_nginx(f"127.0.0.1:{free_port()}", html_root) as url:
        assert fetch(url + "/api/config")[0] == 502
        assert fetch(url + "/")[0] == 200


# --- Several backends (cluster mode) ------------------------------------------------------


class NamedUpstreams:
    """Loopback aiohttp servers whose /ws answers, to a plain GET, which one it is.

    All run on one event loop in a background thread; `stop(name)` closes one, after
    which connecting to its port is refused, as with a backend that died.
    """

    def __init__(self, names: list[str]) -> None:
        self.loop = asyncio.new_event_loop()
        self.ports = {name: free_port() for name in names}
        self.runners: dict[str, web.AppRunner] = {}
        self.loop.run_until_complete(self._start())
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    @property
    def addresses(self) -> list[str]:
        return [f"127.0.0.1:{port}" for port in self.ports.values()]

    async def _start(self) -> None:
        for name, port in self.ports.items():
            app = web.Application()
            app.router.add_get("/ws", self._answer(name))
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            self.runners[name] = runner

    @staticmethod
    def _answer(name: str) -> web.Handler:
        async def handler(_request: web.Request) -> web.Response:
            return web.Response(text=name)

        return handler

    def stop(self, name: str) -> None:
        runner = self.runners.pop(name)
        asyncio.run_coroutine_threadsafe(runner.cleanup(), self.loop).result(timeout=10)

    def close(self) -> None:
        for name in list(self.runners):
            self.stop(name)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@contextmanager
def named_upstreams(*names: str) -> Iterator[NamedUpstreams]:
    upstreams = NamedUpstreams(list(names))
    try:
        yield upstreams
    finally:
        upstreams.close()


def reached(base_url: str, query: str) -> str:
    """Which upstream answered GET /ws?<query> through nginx."""
    status, _, body = fetch(f"{base_url}/ws?{query}")
    assert status == 200, (query, status, body)
    return body.decode()


ROOMS = [f"room-{number}" for number in range(31)]


@pytest.fixture(scope="module")
def cluster_url(nginx_bin: str, html_root: Path) -> Iterator[str]:
    with (
        named_upstreams("a", "b", "c") as upstreams,
        run_nginx(upstreams.addresses, html_root) as url,
    ):
        yield url


def test_every_join_of_a_room_reaches_the_same_backend(cluster_url: str) -> None:
    first = {room: reached(cluster_url, f"room={room}") for room in ROOMS}
    for order in (ROOMS, ROOMS[::-1], ROOMS[1::2] + ROOMS[::2]):
        for room in order:
            assert reached(cluster_url, f"room={room}") == first[room], room
    # Other arguments next to the room change nothing.
    assert reached(cluster_url, f"room={ROOMS[0]}&lang=de") == first[ROOMS[0]]


def test_the_room_hash_is_consistent() -> None:
    """Consistent: a backend that comes or goes moves only its own share of the rooms."""
    upstream = NGINX_CONF.read_text().split("upstream backend {", 1)[1].split("}", 1)[0]
    assert "hash $arg_room$arg_viewer consistent;" in upstream


def test_different_rooms_spread_over_the_backends(cluster_url: str) -> None:
    hosts = Counter(reached(cluster_url, f"room={room}") for room in ROOMS)
    assert len(hosts) > 1, hosts


VIEWERS = [f"v{n:03d}" for n in range(30)]


def test_viewers_spread_over_every_backend_and_each_keeps_to_its_own(cluster_url: str) -> None:
    first = {viewer: reached(cluster_url, f"view=lecture&viewer={viewer}") for viewer in VIEWERS}
    assert set(first.values()) == {"a", "b", "c"}, Counter(first.values())
    for viewer in VIEWERS[::-1]:  # a viewer reconnecting finds what it missed where it was
        assert reached(cluster_url, f"view=lecture&viewer={viewer}") == first[viewer]


@pytest.mark.parametrize("query", ["view=standup", "view="])
def test_requests_with_neither_room_nor_viewer_go_round_robin(cluster_url: str, query: str) -> None:
    answers = Counter(reached(cluster_url, query) for _ in range(30))
    assert set(answers) == {"a", "b", "c"}, answers
    assert max(answers.values()) - min(answers.values()) <= 1, answers


def test_a_room_whose_backend_is_down_is_passed_to_another(nginx_bin: str, html_root: Path) -> None:
    with (
        named_upstreams("a", "b", "c") as upstreams,
        run_nginx(upstreams.addresses, html_root) as url,
    ):
        before = {room: reached(url, f"room={room}") for room in ROOMS}
        dead = Counter(before.values()).most_common(1)[0][0]
        upstreams.stop(dead)  # its port now refuses connections
        after = {room: reached(url, f"room={room}") for room in ROOMS}
        assert dead not in after.values()
        moved = {room for room in ROOMS if after[room] != before[room]}
        # Consistent hashing: only the dead backend's rooms move, the others stay put.
        assert moved == {room for room in ROOMS if before[room] == dead}
        # Each moved room is sent to the same replacement every time.
        for room in moved:
            assert reached(url, f"room={room}") == after[room]


# --- TLS block (commented out in nginx.conf) ----------------------------------------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A self-signed certificate for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("certs")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return TlsFiles(folder / "fullchain.pem", folder / "privkey.pem", free_port())


def test_tls_block_passes_nginx_t_when_enabled(
    nginx_bin: str, html_root: Path, tls_files: TlsFiles
) -> None:
    result = check_config("127.0.0.1:5000", html_root, tls=tls_files)
    assert result.returncode == 0, result.stderr


def test_tls_serves_hsts_and_redirects_plain_http(
    nginx_bin: str, fake_backend: FakeBackend, html_root: Path, tls_files: TlsFiles
) -> None:
    with run_nginx(fake_backend.address, html_root, tls=tls_files) as url:
        status, headers, _ = fetch(url + "/standup")
        assert status == 301
        assert headers["Location"].startswith("https://")

        context = ssl.create_default_context(cafile=str(tls_files.cert))
        context.check_hostname = False
        https = f"https://127.0.0.1:{tls_files.port}"
        with urllib.request.urlopen(https + "/standup", context=context, timeout=10) as response:
            assert response.status == 200
            assert response.headers["Strict-Transport-Security"].startswith("max-age=")
            assert "Content-Security-Policy" in response.headers
        try:
            urllib.request.urlopen(https + "/health", context=context, timeout=10)
        except urllib.error.HTTPError as error:  # pragma: no cover - shows the status
            pytest.fail(f"/health over HTTPS answered {error.code}")


# --- The built UI against the CSP ------------------------------------------------------

BUILT_UI = NGINX_CONF.parent / "frontend" / "dist" / "captions" / "browser"


def csp_blockers(index_html: str) -> list[str]:
    """What in index.html the CSP above would block: inline scripts, event handlers, other hosts."""
    blockers = []
    for match in re.finditer(r"<script\b([^>]*)>", index_html, re.I):
        if "src=" not in match.group(1):
            blockers.append(f"inline script: {match.group(0)}")
    for match in re.finditer(r"<[^>]*\s(on[a-z]+)\s*=[^>]*>", index_html, re.I):
        blockers.append(f"inline event handler {match.group(1)}: {match.group(0)}")
    for match in re.finditer(r"\b(?:src|href)\s*=\s*[\"']?((?:https?:)?//[^\"'\s>]+)", index_html):
        blockers.append(f"other origin: {match.group(1)}")
    return blockers


def test_csp_check_finds_what_critical_css_inlining_adds() -> None:
    # Angular's inlineCritical keeps the stylesheet as media="print" until an inline
    # onload handler runs, which script-src 'self' blocks: the page stays unstyled.
    html = (
        '<link rel="stylesheet" href="styles-YR3A7WWF.css" media="print" '
        'onload="this.media=\'all\'"><script src="main-WLDCXFKA.js" type="module"></script>'
    )
    assert csp_blockers(html) == [f"inline event handler onload: {html.split('<script')[0]}"]
    assert csp_blockers('<script type="module" src="main-A.js"></script>') == []


def test_built_ui_needs_nothing_the_csp_forbids() -> None:
    """Runs once the UI is built (npx ng build in frontend/)."""
    index = BUILT_UI / "index.html"
    if not index.is_file():
        pytest.skip(f"no UI build at {index.relative_to(NGINX_CONF.parent)}")
    assert csp_blockers(index.read_text()) == []
