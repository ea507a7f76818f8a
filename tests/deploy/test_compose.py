"""docker-compose.yml, checked with docker-compose itself (no Docker engine needed)."""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.deploy_helpers import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    REPO_ROOT,
    TEST_ENV,
    run_compose,
    write_env,
)

SERVICES = {"frontend", "backend", "coturn"}
MONITORING = {"prometheus", "grafana"}  # the `monitoring` profile
CLUSTER = {"redis", "postgres"}  # the `cluster` profile
POSTGRES_PASSWORD = "sentinelPostgresPassword0123456789"


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def settings_from(settings_module: Any, env: dict[str, str]) -> Any:
    """The backend's settings from exactly the RTC_* variables of `env`, as in its container
    (the test process's own RTC_* variables are set aside meanwhile)."""
    saved = {key: os.environ.pop(key) for key in list(os.environ) if key.startswith("RTC_")}
    os.environ.update({key: value for key, value in env.items() if key.startswith("RTC_")})
    try:
        return settings_module.Settings(_cli_parse_args=[])
    finally:
        for key in [key for key in os.environ if key.startswith("RTC_")]:
            del os.environ[key]
        os.environ.update(saved)


def option(args: list[str], name: str) -> str:
    values = [arg.split("=", 1)[1] for arg in args if arg.startswith(f"--{name}=")]
    assert len(values) == 1, f"--{name} given {len(values)} times"
    return values[0]


def test_compose_file_validates(compose_bin: str, compose_project: Path) -> None:
    result = run_compose(compose_bin, compose_project, "config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_run_without_required_settings(compose_bin: str, tmp_path: Path) -> None:
    write_env(tmp_path, {})  # .env.example as shipped: required values empty
    result = run_compose(compose_bin, tmp_path, "config", "-q")
    assert result.returncode != 0
    assert any(
        name in result.stderr for name in ("TURN_SECRET", "PUBLIC_IP", "PRIVATE_IP", "ADMIN_SECRET")
    )


def test_three_services_run_by_default_and_monitoring_is_a_profile(
    compose_config: dict[str, Any],
) -> None:
    services = compose_config["services"]
    assert {name for name, s in services.items() if not s.get("profiles")} == SERVICES
    assert {name for name, s in services.items() if s.get("profiles") == ["monitoring"]} == (
        MONITORING
    )
    assert {name for name, s in services.items() if s.get("profiles") == ["cluster"]} == CLUSTER


def test_monitoring_mounts_the_rules_and_dashboards_of_the_repository(
    compose_config: dict[str, Any], compose_project: Path
) -> None:
    services = compose_config["services"]
    mounted = {  # bind mounts ("source:target:mode"); relative ones resolve in the project
        Path(volume.split(":")[0]).relative_to(compose_project).as_posix()
        for name in MONITORING
        for volume in services[name]["volumes"]
        if volume.startswith("/")
    }
    for source in mounted:
        assert (REPO_ROOT / source).exists(), source
    assert {"deploy/prometheus/alerts.yml", "deploy/grafana/dashboards"} <= mounted
    grafana_ports = services["grafana"]["ports"]
    assert [port.split(":")[0] for port in grafana_ports] == ["127.0.0.1"]  # "ip:host:container"


def test_every_service_has_a_healthcheck(compose_config: dict[str, Any]) -> None:
    for name, service in compose_config["services"].items():
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name


def test_every_service_restarts_unless_stopped(compose_config: dict[str, Any]) -> None:
    for name, service in compose_config["services"].items():
        assert service.get("restart") == "unless-stopped", name


def test_only_the_frontend_publishes_a_port(compose_config: dict[str, Any]) -> None:
    services = compose_config["services"]
    assert {name for name in SERVICES if services[name].get("ports")} == {"frontend"}
    assert [(p["published"], p["target"]) for p in services["frontend"]["ports"]] == [(4200, 80)]
    assert "ports" not in services["backend"]
    assert [str(port) for port in services["backend"]["expose"]] == ["5000"]


def test_frontend_waits_for_a_healthy_backend(compose_config: dict[str, Any]) -> None:
    depends = compose_config["services"]["frontend"]["depends_on"]
    assert depends["backend"]["condition"] == "service_healthy"


def test_images_build_from_the_repository_root() -> None:
    raw = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    assert raw["frontend"]["build"] == {"context": ".", "dockerfile": "frontend/Dockerfile"}
    assert raw["backend"]["build"] == {"context": ".", "dockerfile": "Dockerfile"}
    root = COMPOSE_FILE.parent
    assert (root / "frontend" / "Dockerfile").is_file()
    assert (root / "Dockerfile").is_file()


def test_backend_and_frontend_share_a_network(compose_config: dict[str, Any]) -> None:
    services = compose_config["services"]
    assert set(services["frontend"]["networks"]) & set(services["backend"]["networks"])


def test_transcripts_and_model_cache_live_on_a_named_volume(
    compose_config: dict[str, Any],
) -> None:
    assert "rtc-data" in compose_config["volumes"]
    volumes = compose_config["services"]["backend"]["volumes"]
    assert any(str(v).startswith("rtc-data:/data") for v in volumes)
    env = environment(compose_config["services"]["backend"])
    assert env["RTC_DATA_DIR"] == "/data"
    assert env["HF_HOME"].startswith("/data/")


def test_backend_media_goes_through_coturn(compose_config: dict[str, Any]) -> None:
    backend = compose_config["services"]["backend"]
    env = environment(backend)
    public_ip, private_ip = TEST_ENV["PUBLIC_IP"], TEST_ENV["PRIVATE_IP"]
    assert env["RTC_ICE_RELAY_ONLY"] == "true"
    assert env["RTC_SERVER_TURN_URLS"] == "turn:coturn:3478"
    assert f"coturn:{private_ip}" in backend["extra_hosts"]
    assert [url for url in env["RTC_TURN_URLS"].split(",") if url] == [
        f"turn:{public_ip}:3478?transport=udp",
        f"turn:{public_ip}:3478?transport=tcp",
    ]


def test_extra_turn_urls_are_handed_to_browsers(compose_bin: str, tmp_path: Path) -> None:
    extra = "turns:turn.example.test:5349?transport=tcp"
    write_env(tmp_path, {**TEST_ENV, "TURN_EXTRA_URLS": extra})
    result = run_compose(compose_bin, tmp_path, "config")
    assert result.returncode == 0, result.stderr
    env = environment(yaml.safe_load(result.stdout)["services"]["backend"])
    assert env["RTC_TURN_URLS"].split(",")[-1] == extra


def test_coturn_maps_its_public_address_and_allows_relay_to_relay(
    compose_config: dict[str, Any],
) -> None:
    coturn = compose_config["services"]["coturn"]
    args = coturn["command"]
    public_ip, private_ip = TEST_ENV["PUBLIC_IP"], TEST_ENV["PRIVATE_IP"]
    assert coturn["network_mode"] == "host"
    assert option(args, "external-ip") == f"{public_ip}/{private_ip}"
    assert option(args, "relay-ip") == private_ip
    assert option(args, "allowed-peer-ip") == private_ip
    assert (option(args, "min-port"), option(args, "max-port")) == ("49160", "49959")
    assert args[:2] == ["-c", "/etc/coturn/turnserver.conf"]
    assert any(
        str(v).endswith("turn/turnserver.conf:/etc/coturn/turnserver.conf:ro")
        for v in coturn["volumes"]
    )


def test_turn_secret_reaches_backend_and_coturn_from_env_only(
    compose_config: dict[str, Any],
) -> None:
    secret = TEST_ENV["TURN_SECRET"]
    services = compose_config["services"]
    assert environment(services["backend"])["RTC_TURN_SECRET"] == secret
    assert option(services["coturn"]["command"], "static-auth-secret") == secret
    assert secret not in COMPOSE_FILE.read_text()


def test_backend_settings_accept_the_compose_environment(compose_config: dict[str, Any]) -> None:
    """The backend's own settings parser takes what compose hands it."""
    settings_module = pytest.importorskip("rtc_server.settings")
    env = environment(compose_config["services"]["backend"])
    settings = settings_from(settings_module, env)
    assert settings.port == 5000
    assert settings.ice_relay_only is True
    assert settings.effective_server_turn_urls == ["turn:coturn:3478"]
    assert settings.turn_secret.get_secret_value() == TEST_ENV["TURN_SECRET"]
    assert settings.turn_urls == [
        f"turn:{TEST_ENV['PUBLIC_IP']}:3478?transport=udp",
        f"turn:{TEST_ENV['PUBLIC_IP']}:3478?transport=tcp",
    ]
    assert settings.admin_secret.get_secret_value() == TEST_ENV["ADMIN_SECRET"]
    assert settings.auth_mode == "token"  # a public address: invite links are required
    assert settings.trusted_proxies  # nginx's X-Forwarded-For is believed
    assert settings.openai_api_key is None  # commented out in .env.example
    assert settings.languages  # defaults kept


# --- Cluster: the `cluster` profile and the Cluster lines of .env ---------------------------


def cluster_env_lines() -> list[str]:
    """The commented settings of .env.example's Cluster section, as a user uncomments them."""
    section = ENV_EXAMPLE.read_text().split("# --- Cluster", 1)[1].split("\n# ---", 1)[0]
    return re.findall(r"^# ([A-Z0-9_]+=.*)$", section, re.M)


@pytest.fixture(scope="module")
def cluster_project(compose_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("compose-cluster")
    settings = dict(line.split("=", 1) for line in cluster_env_lines())
    write_env(folder, {**TEST_ENV, **settings, "POSTGRES_PASSWORD": POSTGRES_PASSWORD})
    return folder


@pytest.fixture(scope="module")
def cluster_config(compose_bin: str, cluster_project: Path) -> dict[str, Any]:
    result = run_compose(compose_bin, cluster_project, "--profile", "cluster", "config")
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert isinstance(config, dict)
    return config


def test_env_example_has_the_cluster_lines_commented_out() -> None:
    names = [line.split("=", 1)[0] for line in cluster_env_lines()]
    assert {
        "COMPOSE_PROFILES",
        "BACKEND_REPLICAS",
        "POSTGRES_PASSWORD",
        "RTC_REDIS_URL",
        "RTC_DATABASE_URL",
    } <= set(names)
    live = re.findall(r"^([A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.M)
    assert not set(names) & set(live)


def test_by_default_one_backend_runs_on_its_own(compose_config: dict[str, Any]) -> None:
    backend = compose_config["services"]["backend"]
    assert backend["deploy"]["replicas"] == 1
    env = environment(backend)
    assert not {"RTC_REDIS_URL", "RTC_DATABASE_URL", "RTC_INSTANCE_URL"} & set(env)
    assert "COMPOSE_PROFILES" not in env


def test_cluster_profile_validates(compose_bin: str, cluster_project: Path) -> None:
    result = run_compose(compose_bin, cluster_project, "--profile", "cluster", "config", "-q")
    assert result.returncode == 0, result.stderr


def test_cluster_runs_three_backends_on_redis_and_postgres(
    cluster_config: dict[str, Any],
) -> None:
    services = cluster_config["services"]
    backend = services["backend"]
    assert backend["deploy"]["replicas"] == 3
    env = environment(backend)
    assert env["COMPOSE_PROFILES"] == "cluster"  # a plain `docker compose up` starts it all
    assert env["RTC_REDIS_URL"] == "redis://redis:6379/0"
    assert env["RTC_DATABASE_URL"] == f"postgresql://rtc:{POSTGRES_PASSWORD}@postgres:5432/rtc"
    postgres = environment(services["postgres"])
    assert (postgres["POSTGRES_USER"], postgres["POSTGRES_DB"]) == ("rtc", "rtc")
    assert postgres["POSTGRES_PASSWORD"] == POSTGRES_PASSWORD
    assert services["redis"]["image"].startswith("redis:7")
    assert services["postgres"]["image"].startswith("postgres:16")
    for name in CLUSTER:
        assert "ports" not in services[name], name
        assert set(services[name]["networks"]) & set(backend["networks"]), name


def test_cluster_transcripts_live_on_a_named_volume(cluster_config: dict[str, Any]) -> None:
    assert "postgres-data" in cluster_config["volumes"]
    volumes = cluster_config["services"]["postgres"]["volumes"]
    assert any(str(v).startswith("postgres-data:/var/lib/postgresql/data") for v in volumes)


def test_postgres_password_comes_from_env_only(cluster_config: dict[str, Any]) -> None:
    assert POSTGRES_PASSWORD not in COMPOSE_FILE.read_text()
    assert POSTGRES_PASSWORD not in ENV_EXAMPLE.read_text()
    raw = yaml.safe_load(COMPOSE_FILE.read_text())["services"]["postgres"]["environment"]
    assert raw["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")


def test_trusted_proxies_cover_the_compose_network(cluster_config: dict[str, Any]) -> None:
    """nginx and the other backends reach a backend from Docker's bridge networks."""
    proxies = environment(cluster_config["services"]["backend"])["RTC_TRUSTED_PROXIES"]
    networks = [ipaddress.ip_network(net) for net in proxies.split(",")]
    for address in ("172.17.0.2", "172.18.0.5", "172.31.255.3", "192.168.16.4", "10.0.9.7"):
        assert any(ipaddress.ip_address(address) in net for net in networks), address


def backend_command(config: dict[str, Any]) -> list[str]:
    """The backend's command as the container runs it (compose turns $$ into $)."""
    return [part.replace("$$", "$") for part in config["services"]["backend"]["command"]]


def run_backend_command(
    config: dict[str, Any], tmp_path: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run the backend's command here with a `python` that prints RTC_INSTANCE_URL."""
    fake = tmp_path / "python"
    fake.write_text('#!/bin/sh\necho "python $* instance=${RTC_INSTANCE_URL:-unset}"\n')
    fake.chmod(0o755)
    path = f"{tmp_path}:{os.environ['PATH']}"
    return subprocess.run(
        backend_command(config),
        env={"PATH": path, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_each_replica_announces_its_own_address(
    cluster_config: dict[str, Any], tmp_path: Path
) -> None:
    own = subprocess.run(["hostname", "-i"], capture_output=True, text=True, check=True)
    address = own.stdout.split()[0]
    result = run_backend_command(
        cluster_config, tmp_path, {"RTC_REDIS_URL": "redis://redis:6379/0"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"python -m rtc_server instance=http://{address}:5000"


def test_a_single_backend_announces_nothing(compose_config: dict[str, Any], tmp_path: Path) -> None:
    result = run_backend_command(compose_config, tmp_path, {})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "python -m rtc_server instance=unset"


def test_backend_settings_accept_the_cluster_environment(
    cluster_config: dict[str, Any],
) -> None:
    settings_module = pytest.importorskip("rtc_server.settings")
    env = environment(cluster_config["services"]["backend"])
    env["RTC_INSTANCE_URL"] = "http://172.18.0.5:5000"  # what the command exports
    settings = settings_from(settings_module, env)
    assert settings.database_url.get_secret_value() == env["RTC_DATABASE_URL"]
    assert settings.redis_url.get_secret_value() == "redis://redis:6379/0"
    assert settings.instance_url == "http://172.18.0.5:5000"
    assert settings.trusted_proxies
