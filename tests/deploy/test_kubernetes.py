"""deploy/kubernetes, rendered with `kubectl kustomize` and checked object by object.

No cluster is needed: kubectl renders the manifests locally (package kubernetes-client,
which `make test` installs when it is missing).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.support.deploy_helpers import COMPOSE_FILE, REPO_ROOT

KUSTOMIZE_DIR = REPO_ROOT / "deploy" / "kubernetes"
BACKEND_LABELS = {"app.kubernetes.io/name": "captions", "app.kubernetes.io/component": "backend"}
# Runs as root by design: the stock nginx image binds port 80 and drops to its nginx user.
ROOT_CONTAINERS = {"frontend"}
# Made outside the render: the Ingress's certificate (cert-manager or kubectl create secret tls).
EXTERNAL_SECRETS = {"captions-tls"}

Obj = dict[str, Any]


@pytest.fixture(scope="module")
def objects() -> list[Obj]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is missing: install package kubernetes-client (make system-packages)")
    result = subprocess.run(
        [kubectl, "kustomize", str(KUSTOMIZE_DIR)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    rendered = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    assert rendered
    return rendered


def of_kind(objects: list[Obj], kind: str) -> dict[str, Obj]:
    return {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == kind}


def one(objects: list[Obj], kind: str, prefix: str) -> Obj:
    """The object of `kind` whose name is `prefix` (generated ones carry a hash suffix)."""
    found = [
        obj
        for name, obj in of_kind(objects, kind).items()
        if name == prefix or re.fullmatch(re.escape(prefix) + r"-[a-z0-9]{10}", name)
    ]
    assert len(found) == 1, (kind, prefix, [o["metadata"]["name"] for o in found])
    return found[0]


def workloads(objects: list[Obj]) -> dict[str, Obj]:
    return {
        obj["metadata"]["name"]: obj
        for obj in objects
        if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet")
    }


def containers(objects: list[Obj]) -> Iterator[tuple[str, Obj, Obj]]:
    """(workload name, pod spec, container) for every container, init containers included."""
    for name, workload in workloads(objects).items():
        pod = workload["spec"]["template"]["spec"]
        for container in pod.get("initContainers", []) + pod["containers"]:
            yield name, pod, container


def env_of(container: Obj) -> dict[str, Obj]:
    return {item["name"]: item for item in container.get("env", [])}


def backend_container(objects: list[Obj]) -> Obj:
    pod = workloads(objects)["backend"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return container


def config_data(objects: list[Obj]) -> dict[str, str]:
    return one(objects, "ConfigMap", "captions-config")["data"]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


# --- The backends ------------------------------------------------------------------------


def test_backends_run_as_several_replicas(objects: list[Obj]) -> None:
    backend = workloads(objects)["backend"]
    assert backend["kind"] == "Deployment"
    assert backend["spec"]["replicas"] >= 2
    assert backend["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_backend_probes_use_health(objects: list[Obj]) -> None:
    container = backend_container(objects)
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert (get["path"], get["port"]) == ("/health", "http"), probe
    assert {"name": "http", "containerPort": 5000} in container["ports"]
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120  # the model loads


def test_backend_drain_fits_in_the_grace_period(objects: list[Obj]) -> None:
    pod = workloads(objects)["backend"]["spec"]["template"]["spec"]
    shutdown_s = float(config_data(objects)["RTC_SHUTDOWN_TIMEOUT_S"])
    assert pod["terminationGracePeriodSeconds"] > shutdown_s + 5


def test_backend_matches_its_image(objects: list[Obj]) -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    pod = workloads(objects)["backend"]["spec"]["template"]["spec"]
    user = re.search(r"^USER (\d+):(\d+)$", dockerfile, re.M)
    assert user
    context = pod["securityContext"]
    assert (context["runAsUser"], context["runAsGroup"]) == (int(user[1]), int(user[2]))
    assert re.search(r"^EXPOSE 5000$", dockerfile, re.M)
    model_dir = re.search(r"RTC_MODEL_CACHE_DIR=(\S+)", dockerfile.split("FROM base AS runtime")[1])
    assert model_dir and config_data(objects)["RTC_MODEL_CACHE_DIR"] == model_dir[1]


def test_backend_writes_only_to_empty_dirs(objects: list[Obj]) -> None:
    """A read-only root filesystem: /data (RTC_DATA_DIR, HF_HOME) and /tmp are emptyDirs;
    the bundled model stays in the image."""
    pod = workloads(objects)["backend"]["spec"]["template"]["spec"]
    container = backend_container(objects)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
    assert {"/data", "/tmp"} <= set(mounts)
    assert all("emptyDir" in volume for volume in mounts.values())
    data = config_data(objects)
    assert data["RTC_DATA_DIR"] == "/data"
    assert data["HF_HOME"].startswith("/data/")
    assert not any(data["RTC_MODEL_CACHE_DIR"].startswith(path) for path in mounts)


def test_backend_environment_comes_from_the_right_objects(objects: list[Obj]) -> None:
    container = backend_container(objects)
    env = env_of(container)
    names = [item["name"] for item in container["env"]]
    config = one(objects, "ConfigMap", "captions-config")
    secret = one(objects, "Secret", "captions-secrets")
    assert {"configMapRef": {"name": config["metadata"]["name"]}} in container["envFrom"]

    # RTC_REDIS_URL: from the ConfigMap, naming the redis Service.
    assert config["data"]["RTC_REDIS_URL"] == "redis://redis:6379/0"
    assert of_kind(objects, "Service")["redis"]["spec"]["ports"][0]["port"] == 6379

    # RTC_INSTANCE_URL: the pod's own address, from the downward API.
    assert env["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    assert env["RTC_INSTANCE_URL"]["value"] == "http://$(POD_IP):5000"
    assert names.index("POD_IP") < names.index("RTC_INSTANCE_URL")

    # RTC_DATABASE_URL: the postgres Service, with the password of the Secret PostgreSQL uses.
    password = env["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert password == {"name": secret["metadata"]["name"], "key": "POSTGRES_PASSWORD"}
    assert env["RTC_DATABASE_URL"]["value"] == (
        "postgresql://rtc:$(POSTGRES_PASSWORD)@postgres:5432/rtc"
    )
    assert names.index("POSTGRES_PASSWORD") < names.index("RTC_DATABASE_URL")
    postgres = workloads(objects)["postgres"]["spec"]["template"]["spec"]["containers"][0]
    postgres_env = env_of(postgres)
    assert postgres_env["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"] == password
    assert (postgres_env["POSTGRES_USER"]["value"], postgres_env["POSTGRES_DB"]["value"]) == (
        "rtc",
        "rtc",
    )

    # RTC_TURN_SECRET: the same Secret key coturn is started with.
    turn = env["RTC_TURN_SECRET"]["valueFrom"]["secretKeyRef"]
    assert turn == {"name": secret["metadata"]["name"], "key": "TURN_SECRET"}
    coturn = workloads(objects)["coturn"]["spec"]["template"]["spec"]["containers"][0]
    assert env_of(coturn)["TURN_SECRET"]["valueFrom"]["secretKeyRef"] == turn
    assert "--static-auth-secret=$(TURN_SECRET)" in coturn["args"]

    admin = env["RTC_ADMIN_SECRET"]["valueFrom"]["secretKeyRef"]
    assert admin == {"name": secret["metadata"]["name"], "key": "ADMIN_SECRET"}
    # No secret travels in the ConfigMap.
    assert not any("SECRET" in key or "PASSWORD" in key for key in config["data"])


def test_backend_settings_accept_the_configmap() -> None:
    """The backend's own settings parser takes the ConfigMap plus what the pod adds."""
    settings_module = pytest.importorskip("rtc_server.settings")
    lines = (KUSTOMIZE_DIR / "config.env").read_text().splitlines()
    values = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    env = {key: value for key, value in values.items() if key.startswith("RTC_")}
    env |= {
        "RTC_INSTANCE_URL": "http://10.1.2.3:5000",
        "RTC_DATABASE_URL": "postgresql://rtc:pw@postgres:5432/rtc",
        "RTC_ADMIN_SECRET": "0123456789abcdef0123",
        "RTC_TURN_SECRET": "0123456789abcdef",
        "RTC_HOST": "0.0.0.0",  # the image's ENV
    }
    with pytest.MonkeyPatch.context() as patch:
        for key in [key for key in os.environ if key.startswith("RTC_")]:
            patch.delenv(key)
        for key, value in env.items():
            patch.setenv(key, value)
        settings = settings_module.Settings(_cli_parse_args=[])
    assert settings.redis_url.get_secret_value() == "redis://redis:6379/0"
    assert settings.ice_relay_only is True
    assert settings.effective_server_turn_urls == ["turn:coturn:3478"]
    assert settings.trusted_proxies


# --- Service, Ingress, disruption budget, autoscaler -------------------------------------


def test_backend_service_is_the_name_nginx_conf_proxies_to(objects: list[Obj]) -> None:
    service = of_kind(objects, "Service")["backend"]
    assert "server backend:5000;" in (REPO_ROOT / "nginx.conf").read_text()
    assert service["spec"]["ports"] == [{"name": "http", "port": 5000, "targetPort": "http"}]
    assert service["spec"]["selector"] == BACKEND_LABELS


def test_ingress_hashes_joins_on_the_room(objects: list[Obj]) -> None:
    ingresses = of_kind(objects, "Ingress")
    to_backend = {
        name: path
        for name, ingress in ingresses.items()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
        if path["backend"]["service"]["name"] == "backend"
    }
    assert [path["path"] for path in to_backend.values()] == ["/ws"]
    (name,) = to_backend
    annotations = ingresses[name]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/upstream-hash-by"] == "$arg_room$arg_viewer"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    for ingress in ingresses.values():
        assert ingress["spec"]["ingressClassName"] == "nginx"


def test_disruption_budget_selects_the_backend_pods(objects: list[Obj]) -> None:
    budget = of_kind(objects, "PodDisruptionBudget")["backend"]
    selector = budget["spec"]["selector"]["matchLabels"]
    for name, workload in workloads(objects).items():
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert selects(selector, labels) == (name == "backend"), name
    replicas = workloads(objects)["backend"]["spec"]["replicas"]
    assert 1 <= budget["spec"]["minAvailable"] < replicas


def test_autoscaler_scales_the_backend_deployment_on_cpu(objects: list[Obj]) -> None:
    hpa = of_kind(objects, "HorizontalPodAutoscaler")["backend"]
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "backend",
    }
    assert hpa["spec"]["minReplicas"] >= 2
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert 0 < metric["resource"]["target"]["averageUtilization"] <= 100


# --- Every container ------------------------------------------------------------------------


def test_every_container_has_probes_and_resources(objects: list[Obj]) -> None:
    seen = set()
    for name, _, container in containers(objects):
        seen.add(name)
        assert "readinessProbe" in container and "livenessProbe" in container, name
        resources = container["resources"]
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources[bound]), (name, bound)
    assert seen == {"backend", "frontend", "coturn", "redis", "postgres"}


def test_every_container_runs_without_privileges(objects: list[Obj]) -> None:
    for name, pod, container in containers(objects):
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False, name
        assert context["readOnlyRootFilesystem"] is True, name
        assert context["capabilities"]["drop"] == ["ALL"], name
        merged = {**pod.get("securityContext", {}), **context}
        if name in ROOT_CONTAINERS:
            continue
        assert merged["runAsNonRoot"] is True, name
        assert merged["runAsUser"] != 0, name
        assert not context["capabilities"].get("add"), name


def test_images_are_the_ones_compose_builds_and_runs(objects: list[Obj]) -> None:
    compose = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    images = {name: container["image"] for name, _, container in containers(objects)}
    assert images["backend"].split(":")[0] == compose["backend"]["image"].split(":")[0]
    assert images["frontend"].split(":")[0] == compose["frontend"]["image"].split(":")[0]
    assert images["coturn"] == compose["coturn"]["image"]
    assert images["redis"].startswith("redis:7-alpine")
    assert images["postgres"].startswith("postgres:16-alpine")


# --- coturn, Redis, PostgreSQL -----------------------------------------------------------


def test_coturn_runs_on_the_node_network_with_the_repository_config(objects: list[Obj]) -> None:
    pod = workloads(objects)["coturn"]["spec"]["template"]["spec"]
    assert pod["hostNetwork"] is True
    (container,) = pod["containers"]
    assert container["args"][:2] == ["-c", "/etc/coturn/turnserver.conf"]
    assert "--relay-ip=$(NODE_IP)" in container["args"]
    assert env_of(container)["NODE_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.hostIP"
    config = one(objects, "ConfigMap", "coturn-config")
    assert config["data"]["turnserver.conf"] == (REPO_ROOT / "turn/turnserver.conf").read_text()
    # The backends reach it by name, as in compose.
    assert config_data(objects)["RTC_SERVER_TURN_URLS"] == "turn:coturn:3478"
    assert of_kind(objects, "Service")["coturn"]["spec"]["clusterIP"] == "None"


def test_postgres_keeps_its_data_on_a_claim(objects: list[Obj]) -> None:
    postgres = workloads(objects)["postgres"]
    assert postgres["kind"] == "StatefulSet"
    assert postgres["spec"]["serviceName"] == "postgres"
    (claim,) = postgres["spec"]["volumeClaimTemplates"]
    container = postgres["spec"]["template"]["spec"]["containers"][0]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts[claim["metadata"]["name"]] == "/var/lib/postgresql/data"
    assert env_of(container)["PGDATA"]["value"].startswith("/var/lib/postgresql/data/")


def test_no_secret_value_is_committed(objects: list[Obj]) -> None:
    secret = one(objects, "Secret", "captions-secrets")
    assert set(secret["data"]) == {
        "ADMIN_SECRET",
        "TURN_SECRET",
        "POSTGRES_PASSWORD",
        "OPENAI_API_KEY",
    }
    assert all(value == "" for value in secret["data"].values())


# --- Every reference resolves ----------------------------------------------------------------


def references(objects: list[Obj]) -> Iterator[tuple[str, str, str]]:
    """(kind, name, where) for every Secret, ConfigMap and Service an object names."""
    for name, pod, container in containers(objects):
        for item in container.get("env", []):
            source = item.get("valueFrom", {})
            if "secretKeyRef" in source:
                yield "Secret", source["secretKeyRef"]["name"], name
            if "configMapKeyRef" in source:
                yield "ConfigMap", source["configMapKeyRef"]["name"], name
        for item in container.get("envFrom", []):
            if "configMapRef" in item:
                yield "ConfigMap", item["configMapRef"]["name"], name
            if "secretRef" in item:
                yield "Secret", item["secretRef"]["name"], name
        for volume in pod.get("volumes", []):
            if "configMap" in volume:
                yield "ConfigMap", volume["configMap"]["name"], name
            if "secret" in volume:
                yield "Secret", volume["secret"]["secretName"], name
    for name, workload in workloads(objects).items():
        if "serviceName" in workload["spec"]:
            yield "Service", workload["spec"]["serviceName"], name
    for name, ingress in of_kind(objects, "Ingress").items():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                yield "Service", path["backend"]["service"]["name"], name
        for tls in ingress["spec"].get("tls", []):
            yield "Secret", tls["secretName"], name
    for name, hpa in of_kind(objects, "HorizontalPodAutoscaler").items():
        yield hpa["spec"]["scaleTargetRef"]["kind"], hpa["spec"]["scaleTargetRef"]["name"], name


def test_every_referenced_object_is_in_the_render(objects: list[Obj]) -> None:
    found = list(references(objects))
    assert {kind for kind, _, _ in found} >= {"Secret", "ConfigMap", "Service", "Deployment"}
    for kind, name, where in found:
        if kind == "Secret" and name in EXTERNAL_SECRETS:
            continue
        assert name in of_kind(objects, kind), f"{where} names {kind} {name}, not rendered"
    # Names the backends reach by DNS (config.env, RTC_DATABASE_URL) are Services too.
    for service in ("redis", "postgres", "coturn", "backend"):
        assert service in of_kind(objects, "Service"), service


def test_every_service_selects_pods_and_their_ports(objects: list[Obj]) -> None:
    for name, service in of_kind(objects, "Service").items():
        matching = [
            workload
            for workload in workloads(objects).values()
            if selects(
                service["spec"]["selector"], workload["spec"]["template"]["metadata"]["labels"]
            )
        ]
        assert len(matching) == 1, name
        pod = matching[0]["spec"]["template"]["spec"]
        if pod.get("hostNetwork"):
            continue  # the node's own ports
        named = {port.get("name") for c in pod["containers"] for port in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port.get("targetPort", port["port"]) in named, (name, port)
