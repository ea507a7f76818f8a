"""Shared helpers of the deployment tests: system programs and docker-compose runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.servers import ROOT as REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"

# Values the tests put into .env; each is distinctive so it can be traced in the output.
TEST_ENV = {
    "PUBLIC_IP": "198.51.100.10",
    "PRIVATE_IP": "10.0.0.5",
    "TURN_SECRET": "sentinelTurnSecret0123456789",
    "ADMIN_SECRET": "sentinelAdminSecret0123456789",
}


def _find(program: str) -> str | None:
    return shutil.which(program) or shutil.which(program, path="/usr/sbin:/usr/local/sbin")


def ensure_program(program: str, package: str) -> str:
    """Path of `program`; installs the Debian `package` first when it is missing."""
    found = _find(program)
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip(
            f"{program} is missing and cannot be installed here (apt-get install {package})"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", package]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)
    found = _find(program)
    assert found, f"apt-get installed {package} but {program} is still missing"
    return found


def write_env(folder: Path, values: dict[str, str]) -> Path:
    """.env.example with `values` filled in; keys it does not set are appended."""
    lines, seen = [], set()
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^([A-Z0-9_]+)=", line)
        if match and match.group(1) in values:
            seen.add(match.group(1))
            line = f"{match.group(1)}={values[match.group(1)]}"
        lines.append(line)
    lines += [f"{key}={value}" for key, value in values.items() if key not in seen]
    env_file = folder / ".env"
    env_file.write_text("\n".join(lines) + "\n")
    return env_file


def run_compose(compose: str, project_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """docker-compose on the repository's compose file, with .env taken from `project_dir`.

    The project directory is a temporary one so that a real .env in the checkout
    is never read or written; relative paths in the output point there.
    """
    cmd = [
        compose,
        "--project-directory",
        str(project_dir),
        "-f",
        str(COMPOSE_FILE),
        "--env-file",
        str(project_dir / ".env"),
        *args,
    ]
    env = {k: v for k, v in os.environ.items() if k not in TEST_ENV and not k.startswith("RTC_")}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
