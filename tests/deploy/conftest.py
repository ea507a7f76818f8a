"""Fixtures for the deployment tests: system tools, a rendered compose config, a fake backend.

Nothing here needs a Docker engine. nginx, docker-compose and coturn come from
Debian packages; a fixture installs one only when its program is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.deploy_helpers import TEST_ENV, ensure_program, run_compose, write_env
from tests.support.fake_backend import FakeBackend, run_fake_backend


@pytest.fixture(scope="session")
def nginx_bin() -> str:
    return ensure_program("nginx", "nginx")


@pytest.fixture(scope="session")
def compose_bin() -> str:
    return ensure_program("docker-compose", "docker-compose")


@pytest.fixture(scope="session")
def turnserver_bin() -> str:
    return ensure_program("turnserver", "coturn")


@pytest.fixture(scope="session")
def compose_project(tmp_path_factory: pytest.TempPathFactory, compose_bin: str) -> Path:
    folder = tmp_path_factory.mktemp("compose")
    write_env(folder, TEST_ENV)
    return folder


@pytest.fixture(scope="session")
def compose_config(compose_bin: str, compose_project: Path) -> dict[str, Any]:
    """The fully interpolated compose configuration, as docker-compose prints it."""
    result = run_compose(compose_bin, compose_project, "config")
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert isinstance(config, dict)
    return config


@pytest.fixture(scope="session")
def fake_backend() -> Iterator[FakeBackend]:
    """An aiohttp server on loopback imitating /health, /api, /metrics and a /ws echo."""
    with run_fake_backend() as state:
        yield state


@pytest.fixture(scope="session")
def html_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built UI in miniature: index.html, a hashed bundle, a stylesheet, a favicon."""
    root = tmp_path_factory.mktemp("html")
    (root / "index.html").write_text(
        '<!doctype html><html><head><link rel="stylesheet" href="styles-5INURTSO.css">'
        '</head><body><app-root></app-root><script src="main-ABCD1234.js" type="module">'
        "</script></body></html>\n"
    )
    (root / "main-ABCD1234.js").write_text("console.log('captions');\n" * 200)
    (root / "styles-5INURTSO.css").write_text("body { margin: 0; }\n" * 100)
    (root / "favicon.ico").write_bytes(b"\x00\x00\x01\x00" + bytes(60))
    return root
