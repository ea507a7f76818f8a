"""Run the project's nginx.conf on loopback, in front of any upstream.

The production file (repo root `nginx.conf`) is a conf.d-style site: http-context
directives only, included by nginx:alpine's stock main config. Here the same file
is wrapped in a small main config whose pid, logs and temp folders live in a
temporary directory, and three values are rewritten:

    server backend:5000;          -> server <upstream>; (one line per upstream)
    root /usr/share/nginx/html;   -> root <html_root>;
    listen 80;                    -> listen 127.0.0.1:<free port>;

Each must occur exactly once, so the test notices when nginx.conf drifts.

    with run_nginx("127.0.0.1:5000", Path("frontend/dist/captions/browser")) as base_url:
        urllib.request.urlopen(base_url + "/health")

Several upstreams (a cluster) take the place of the one compose name, as compose's
replicas do when `backend` resolves to each of them:

    with run_nginx(["127.0.0.1:5001", "127.0.0.1:5002"], html_root) as base_url: ...

nginx runs in the foreground as a child process and is stopped by its PID.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import ROOT, BackendProcess, free_port

NGINX_CONF = ROOT / "nginx.conf"

UPSTREAM_LINE = "server backend:5000;"
ROOT_LINE = "root /usr/share/nginx/html;"
LISTEN_LINE = "listen 80;"

Upstreams = str | Sequence[str]
"""One backend's "host:port", or a list of them (one `server` line each)."""

_TLS_BLOCK = re.compile(r"(# BEGIN TLS\n)(.*?)(\n\s*# END TLS)", re.S)


def nginx_binary() -> str:
    """Path of the nginx executable (Debian puts it in /usr/sbin)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise FileNotFoundError("nginx is not installed (apt-get install nginx)")
    return found


@dataclass(frozen=True)
class TlsFiles:
    """A certificate and key, and the loopback port HTTPS listens on."""

    cert: Path
    key: Path
    port: int


def _replace_once(text: str, old: str, new: str) -> str:
    count = text.count(old)
    if count != 1:
        raise ValueError(f"nginx.conf must contain {old!r} exactly once, found {count}")
    return text.replace(old, new)


def enable_tls(site: str, tls: TlsFiles) -> str:
    """Uncomment the BEGIN TLS ... END TLS block and point it at `tls`."""
    match = _TLS_BLOCK.search(site)
    if not match:
        raise ValueError("nginx.conf has no '# BEGIN TLS' ... '# END TLS' block")
    lines = [re.sub(r"^(\s*)# ?", r"\1", line) for line in match.group(2).split("\n")]
    block = "\n".join(lines)
    block = _replace_once(block, "listen 443 ssl;", f"listen 127.0.0.1:{tls.port} ssl;")
    block = _replace_once(block, "/etc/nginx/certs/fullchain.pem", str(tls.cert))
    block = _replace_once(block, "/etc/nginx/certs/privkey.pem", str(tls.key))
    return site[: match.start(2)] + block + site[match.end(2) :]


def server_lines(upstream: Upstreams) -> str:
    """The `server` lines standing for `backend:5000`, indented as in nginx.conf."""
    addresses = [upstream] if isinstance(upstream, str) else list(upstream)
    if not addresses:
        raise ValueError("at least one upstream is needed")
    return "\n    ".join(f"server {address};" for address in addresses)


def render_site(
    upstream: Upstreams, html_root: Path, port: int, tls: TlsFiles | None = None
) -> str:
    """nginx.conf with the environment-specific values substituted."""
    site = NGINX_CONF.read_text()
    site = _replace_once(site, UPSTREAM_LINE, server_lines(upstream))
    site = _replace_once(site, ROOT_LINE, f"root {html_root};")
    site = _replace_once(site, LISTEN_LINE, f"listen 127.0.0.1:{port};")
    if tls is not None:
        site = enable_tls(site, tls)
    return site


def write_config(
    workdir: Path, upstream: Upstreams, html_root: Path, port: int, tls: TlsFiles | None = None
) -> Path:
    """Write a main config plus the rendered site into `workdir`; return the main config."""
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / name).mkdir(exist_ok=True)
    (workdir / "site.conf").write_text(render_site(upstream, html_root, port, tls))
    mime_types = Path("/etc/nginx/mime.types")
    mime = (
        f"include {mime_types};"
        if mime_types.exists()
        else (
            "types { text/html html; text/css css; application/javascript js; "
            "application/json json; image/svg+xml svg; }"
        )
    )
    # As root, nginx would hand requests to 'nobody' workers, which cannot read
    # pytest's private temp folders; keep the workers as the current user.
    user = f"user {pwd.getpwuid(os.getuid()).pw_name};" if os.geteuid() == 0 else ""
    # Each proxied WebSocket holds two connections (client and backend): room for a
    # thousand captions-only viewers of a cluster (bench.cluster), within the open-file limit
    # nginx inherits.
    main = f"""
{user}
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    {mime}
    default_type application/octet-stream;
    access_log {workdir}/access.log;
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path {workdir}/client_body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    include {workdir}/site.conf;
}}
"""
    conf = workdir / "nginx.conf"
    conf.write_text(main)
    return conf


def _nginx_cmd(workdir: Path, conf: Path, *extra: str) -> list[str]:
    # -e: the log nginx opens before reading the config; -p: prefix for relative paths.
    return [
        nginx_binary(),
        "-p",
        str(workdir),
        "-e",
        str(workdir / "error.log"),
        "-c",
        str(conf),
        *extra,
    ]


def check_config(
    upstream: Upstreams, html_root: Path, tls: TlsFiles | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `nginx -t` on the rendered config; the result carries nginx's output."""
    with tempfile.TemporaryDirectory(prefix="nginx-test-") as tmp:
        workdir = Path(tmp)
        conf = write_config(workdir, upstream, html_root, free_port(), tls)
        return subprocess.run(
            _nginx_cmd(workdir, conf, "-t", "-q"), capture_output=True, text=True, timeout=30
        )


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nginx did not listen on 127.0.0.1:{port} within {timeout} s")


@contextmanager
def run_nginx(
    upstream: Upstreams, html_root: Path, *, tls: TlsFiles | None = None, timeout: float = 10.0
) -> Iterator[str]:
    """Start nginx with the project's config on a free loopback port.

    upstream: "host:port" of the backend (for example "127.0.0.1:5000"), or a list of them
    for several backends.
    html_root: folder with index.html and the built assets.
    Yields the base URL, "http://127.0.0.1:<port>".
    """
    with tempfile.TemporaryDirectory(prefix="nginx-run-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        conf = write_config(workdir, upstream, Path(html_root).resolve(), port, tls)
        # Its own process group, so the workers can be stopped with the master.
        proc = subprocess.Popen(
            _nginx_cmd(workdir, conf),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            try:
                _wait_for_port(port, proc, timeout)
            except Exception as exc:
                log = workdir / "error.log"
                detail = log.read_text() if log.exists() else ""
                raise RuntimeError(f"nginx did not start: {exc}\n{detail}") from exc
            yield f"http://127.0.0.1:{port}"
        finally:
            if proc.poll() is None:
                # Fast shutdown: the master stops its workers, open WebSockets included.
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)


@contextmanager
def serve_app(way: str, backend: BackendProcess, app_root: Path) -> Iterator[str]:
    """The app's base URL, served by the backend itself (`make run`) or by the production
    nginx in front of it (`nginx`)."""
    if way == "backend":
        yield backend.base_url
        return
    with run_nginx(f"127.0.0.1:{backend.port}", app_root) as base_url:
        yield base_url
