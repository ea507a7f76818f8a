"""Operating it: the CI workflow linted, alert rules unit-tested with promtool, and every panel
of the Grafana dashboard queried against a real Prometheus scraping a real server in use."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from tests.support.client import Peer, load_audio, silence
from tests.support.deploy_helpers import REPO_ROOT, ensure_program
from tests.support.servers import (
    TESTDATA,
    BackendProcess,
    FakeOpenAI,
    free_port,
    start_backend,
    translating_env,
)

PROMETHEUS = REPO_ROOT / "deploy" / "prometheus"
DASHBOARD = REPO_ROOT / "deploy" / "grafana" / "dashboards" / "captions.json"
WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
RUNBOOK = (REPO_ROOT / "docs" / "deployment.md").read_text()
FRONTEND = REPO_ROOT / "frontend"


def alert_names() -> list[str]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return [rule["alert"] for group in groups for rule in group["rules"]]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = ensure_program("promtool", "prometheus")
    return subprocess.run([binary, *args], capture_output=True, text=True, cwd=REPO_ROOT)


def test_rules_are_valid() -> None:
    result = promtool("check", "rules", str(PROMETHEUS / "recording.yml"),
                      str(PROMETHEUS / "alerts.yml"))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_scrapes_every_backend_of_a_cluster_by_its_own_address() -> None:
    config = PROMETHEUS / "prometheus.yml"
    result = promtool("check", "config", "--syntax-only", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    (job,) = yaml.safe_load(config.read_text())["scrape_configs"]
    # A static "backend:5000" would scrape one replica, a different one each time.
    assert "static_configs" not in job
    assert job["dns_sd_configs"] == [
        {"names": ["backend"], "type": "A", "port": 5000, "refresh_interval": "30s"}
    ]


def test_each_alert_fires_and_stays_quiet_as_its_unit_tests_say() -> None:
    tests = PROMETHEUS / "tests" / "alerts_test.yml"
    result = promtool("test", "rules", str(tests))
    assert result.returncode == 0, result.stdout + result.stderr
    cases = yaml.safe_load(tests.read_text())["tests"]
    expectations = [e for case in cases for e in case["alert_rule_test"]]
    fired = {e["alertname"] for e in expectations if e["exp_alerts"]}
    quiet = {e["alertname"] for e in expectations if not e["exp_alerts"]}
    # Every alert is shown firing; "not firing" comes from a case or a healthy series beside it.
    assert fired == set(alert_names())
    assert quiet


def test_each_alert_has_a_runbook_entry() -> None:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    for rule in (rule for group in groups for rule in group["rules"]):
        anchor = rule["annotations"]["runbook"].split("#", 1)[1]
        assert anchor == f"runbook-{rule['alert'].lower()}"
        assert re.search(rf'<a id="{anchor}"></a>', RUNBOOK), f"no runbook entry for {anchor}"


def lint_workflows(*files: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        ["node", "tools/lint-workflows.mjs", *map(str, files)],
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout))


def test_the_ci_workflow_passes_actionlint(tmp_path: Path) -> None:
    assert WORKFLOWS, "no workflow in .github/workflows"
    assert lint_workflows(*WORKFLOWS) == []
    broken = tmp_path / "broken.yml"  # the linter does find mistakes
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ github.nope }}\n")  # fmt: skip
    assert [f["kind"] for f in lint_workflows(broken)] == ["expression"]


def test_the_ci_workflow_runs_make_test_and_builds_both_images() -> None:
    workflow = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "ci.yml").read_text())
    runs = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert "make test" in runs
    built = [
        step["with"]["file"]
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if step.get("uses", "").startswith("docker/build-push-action")
    ]
    assert sorted(built) == ["Dockerfile", "frontend/Dockerfile"]
    assert any("--profile monitoring config" in run for run in runs)


@pytest.fixture(scope="module")
def observed(openai_server: FakeOpenAI) -> Iterator[BackendProcess]:
    """A backend of its own: its metrics are this test's alone (and its translation cache
    does not spare other tests the calls they count)."""
    with start_backend(translating_env(openai_server)) as backend:
        yield backend


@pytest.fixture(scope="module")
def prometheus(observed: BackendProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prometheus on loopback, scraping that backend every second."""
    binary = ensure_program("prometheus", "prometheus")
    folder = tmp_path_factory.mktemp("prometheus")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(PROMETHEUS / "recording.yml")],
        "scrape_configs": [
            {
                "job_name": "rtc-server",
                "static_configs": [{"targets": [f"127.0.0.1:{observed.port}"]}],
            }
        ],
    }
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    process = subprocess.Popen(
        [binary, f"--config.file={folder / 'prometheus.yml'}",
         f"--storage.tsdb.path={folder / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{url}/-/ready", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def query(prometheus: str, expr: str) -> list[dict[str, Any]]:
    params = urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(f"{prometheus}/api/v1/query?{params}", timeout=10) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    return list(body["data"]["result"])


def panel_queries() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


async def test_every_dashboard_panel_shows_data_while_people_talk(
    observed: BackendProcess, prometheus: str
) -> None:
    room = f"dashboard-{uuid.uuid4().hex[:6]}"
    speech = np.concatenate([silence(0.5), load_audio(TESTDATA / "jfk.flac"), silence(2)])
    async with Peer(observed.ws_url) as reader, Peer(observed.ws_url) as speaker:
        await reader.join(room, "Reader", caption_language="de")
        await reader.connect(None)
        await speaker.join(room, "Speaker")
        await speaker.connect(speech)
        await reader.wait_for(
            lambda: speaker.track is not None and speaker.track.finished_at and reader.finals()
            and len(reader.translations()) == len(reader.finals()),
            timeout=60,
        )  # fmt: skip
        await asyncio.sleep(5)  # a few scrapes and rule evaluations after the last final
        # Grafana picks the rate window from the scrape interval; 30 s spans the talk here.
        empty = [
            title
            for title, expr in panel_queries()
            if not await asyncio.to_thread(
                query, prometheus, expr.replace("$__rate_interval", "30s")
            )
        ]
    assert panel_queries(), "the dashboard has no queries"
    assert empty == [], f"panels without data: {empty}"
