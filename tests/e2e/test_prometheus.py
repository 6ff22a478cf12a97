"""A real Prometheus (Debian's package) scrapes the running hub; the alert rules evaluate."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml

from shared.testing import free_port, wait_for_http

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "k8s" / "base" / "alerts" / "rules.yaml"
SERVICES = ("identity", "petitions", "notifications")


@pytest.fixture
def prometheus(hub, tmp_path):
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is not installed (make test installs Debian's prometheus package)")
    port = free_port()
    targets = [f"127.0.0.1:{hub.env[f'{s.upper()}_METRICS_PORT']}" for s in SERVICES]
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [{"job_name": "hub", "static_configs": [{"targets": targets}]}],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "prometheus.log").open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/-/ready", timeout=30)
        # NOTE: /-/ready answers 503 while Prometheus starts (wait_for_http takes any answer).
        assert eventually(lambda: requests.get(url + "/-/ready", timeout=5).ok), "not ready"
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def api(url: str, path: str, **params: str) -> dict:
    response = requests.get(url + path, params=params, timeout=10)
    response.raise_for_status()
    return response.json()["data"]


def eventually(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def test_prometheus_scrapes_every_service_and_evaluates_the_alert_rules(hub, prometheus):
    def all_up() -> bool:
        targets = api(prometheus, "/api/v1/targets")["activeTargets"]
        return len(targets) == 3 and all(t["health"] == "up" for t in targets)

    assert eventually(all_up), api(prometheus, "/api/v1/targets")

    def rules_evaluated() -> list[dict]:
        groups = api(prometheus, "/api/v1/rules")["groups"]
        rules = [r for g in groups for r in g["rules"]]
        evaluated = all(
            r["health"] == "ok" and not r["lastEvaluation"].startswith("0001") for r in rules
        )
        return rules if rules and evaluated else []

    rules = eventually(rules_evaluated)
    assert rules, api(prometheus, "/api/v1/rules")
    declared = {
        r["alert"]
        for g in yaml.safe_load(RULES.read_text())["groups"]
        for r in g["rules"]
        if "alert" in r
    }
    assert {r["name"] for r in rules if r["type"] == "alerting"} == declared
    for service in SERVICES:
        series = api(prometheus, "/api/v1/query", query=f"hub_{service}_outbox_backlog_events")[
            "result"
        ]
        assert series, f"no hub_{service}_outbox_backlog_events scraped"
