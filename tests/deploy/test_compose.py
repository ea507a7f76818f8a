"""docker-compose.yml, checked with docker-compose itself (no Docker engine needed)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.deploy_helpers import COMPOSE_FILE, REPO_ROOT, TEST_ENV, run_compose, write_env

SERVICES = {"frontend", "backend", "coturn"}
MONITORING = {"prometheus", "grafana"}  # the `monitoring` profile


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


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
    saved = {key: os.environ.pop(key) for key in list(os.environ) if key.startswith("RTC_")}
    os.environ.update({key: value for key, value in env.items() if key.startswith("RTC_")})
    try:
        settings = settings_module.Settings(_cli_parse_args=[])
    finally:
        for key in [key for key in os.environ if key.startswith("RTC_")]:
            del os.environ[key]
        os.environ.update(saved)
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
