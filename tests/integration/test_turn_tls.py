"""The deployment guide's TURN over TLS path, followed as written: coturn's configuration with
`no-tls` deleted and the three TLS lines uncommented, browsers given a `turns:` URL, and a
participant that may only relay is captioned through it."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.support.client import Peer, load_audio, selected_pair, silence
from tests.support.servers import TESTDATA, BackendProcess, free_port, start_backend
from tests.support.turn_server import SECRET, TURN_CONF, start_turnserver, stop

pytestmark = pytest.mark.slow


def certificate(folder: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1, which the client is told to trust."""
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def tls_configuration(folder: Path, tls_port: int, cert: Path, key: Path) -> Path:
    """Step 2 of docs/deployment.md, "TURN over TLS", applied to turn/turnserver.conf."""
    text = TURN_CONF.read_text()
    text = text.replace("\nno-tls\n", "\n")
    text = text.replace("# tls-listening-port=5349", f"tls-listening-port={tls_port}")
    text = text.replace("# cert=/etc/coturn/certs/fullchain.pem", f"cert={cert}")
    text = text.replace("# pkey=/etc/coturn/certs/privkey.pem", f"pkey={key}")
    for line in ("\nno-tls\n", "# tls-listening-port", "# cert=", "# pkey="):
        assert line not in text, f"turnserver.conf no longer matches the guide: {line!r}"
    conf = folder / "turnserver-tls.conf"
    conf.write_text(text)
    return conf


@pytest.fixture
def tls_turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    binary = shutil.which("turnserver")
    assert binary is not None, "coturn is installed by `make system-packages`"
    cert, key = certificate(tmp_path)
    # Trusted like a real CA's certificate, by the client and the server it starts.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    tls_port = free_port()
    conf = tls_configuration(tmp_path, tls_port, cert, key)
    proc, _ = start_turnserver(
        binary, tmp_path, SECRET, "--allow-loopback-peers", "--allowed-peer-ip=127.0.0.1",
        conf=conf,
    )  # fmt: skip
    try:
        yield tls_port
    finally:
        stop(proc)


@pytest.fixture
def tls_backend(tls_turn: int) -> Iterator[BackendProcess]:
    env = {
        "RTC_TURN_URLS": f"turns:127.0.0.1:{tls_turn}?transport=tcp",
        "RTC_TURN_SECRET": SECRET,
        "RTC_TRANSLATOR": "none",
        "RTC_AUDIO_RELAY": "false",
    }
    with start_backend(env) as backend:
        yield backend


async def test_a_participant_behind_a_tls_only_network_is_captioned_through_turns(
    tls_backend: BackendProcess,
) -> None:
    speech = np.concatenate([silence(0.5), load_audio(TESTDATA / "jfk.flac"), silence(3)])
    async with Peer(tls_backend.ws_url) as peer:
        joined = await peer.join(f"tls-{uuid.uuid4().hex[:8]}", "Roamer")
        urls = [url for server in joined["ice_servers"] for url in server["urls"]]
        assert urls and all(url.startswith("turns:") for url in urls), urls
        await peer.connect(speech, ice_servers=joined["ice_servers"], relay_only=True)
        assert selected_pair(peer)[0] == "relay"
        await peer.wait_for(lambda: "country" in peer.transcript().lower(), timeout=60)
