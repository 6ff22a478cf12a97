"""Grafana dashboards: well-formed, provisioned by label, and querying the hub's metrics."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.conftest import BASE, REPO, named, rendered, run, tool

DASHBOARDS = sorted((BASE / "dashboards").glob("*.json"))
# The metric names the hub exports (shared/metrics.py and the services) and RabbitMQ's.
HUB_METRICS = re.compile(
    r"^hub_(identity|petitions|notifications)_("
    r"entrypoint_calls_total|entrypoint_duration_seconds_bucket|outbox_backlog_events"
    r"|outbox_oldest_event_age_seconds|outbox_published_events_total"
    r"|token_verification_failures_total|jwks_refreshes_total)$"
    r"|^hub_identity_(logins_total|signing_key_age_seconds)$"
    r"|^hub_petitions_signatures_total$"
    r"|^hub_petitions_signature_batch_size_(sum|count)$"
    r"|^hub_notifications_(fan_out|webhook_write_back)_batch_size_(sum|count)$"
    r"|^hub_notifications_(webhook_attempts_total|webhook_attempt_duration_seconds_bucket"
    r"|failing_subscriptions)$"
    r"|^rabbitmq_detailed_queue_(messages|messages_ready|messages_unacked|consumers)$"
)
# Grafana's variables, replaced by something PromQL accepts before promtool parses the query.
GRAFANA_VARIABLES = {
    "$__rate_interval": "5m",
    "$__range": "1h",
    "$namespace": "hub",
    "$entrypoint": ".*",
    "$queue": ".*",
    "$subscription": ".*",
}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def targets(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for p in board["panels"] if p["type"] != "row" for t in p["targets"]]


def test_dashboards_are_well_formed() -> None:
    assert len(DASHBOARDS) == 6
    uids = [load(p)["uid"] for p in DASHBOARDS]
    assert len(set(uids)) == len(uids)
    for path in DASHBOARDS:
        board = load(path)
        assert board["title"] and isinstance(board["schemaVersion"], int), path.name
        assert board["schemaVersion"] >= 36, path.name
        assert board["templating"]["list"][0]["type"] == "datasource", path.name
        ids = [p["id"] for p in board["panels"]]
        assert len(set(ids)) == len(ids), path.name
        for panel in board["panels"]:
            if panel["type"] != "row":
                assert panel["title"] and panel["targets"], f"{path.name}: {panel.get('title')}"
                assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24


def test_every_query_uses_the_hub_or_rabbitmq_metrics() -> None:
    for path in DASHBOARDS:
        for target in targets(load(path)):
            names = set(re.findall(r"\b((?:hub|rabbitmq)_[a-z_]+)\{", target["expr"]))
            assert names, f"{path.name}: {target['expr']}"
            unknown = {n for n in names if not HUB_METRICS.match(n)}
            assert not unknown, f"{path.name}: unknown metrics {unknown}"


def test_every_query_is_valid_promql(tmp_path: Path) -> None:
    """promtool parses each query (Grafana's variables replaced) as a recording rule."""
    rules = []
    for path in DASHBOARDS:
        for number, target in enumerate(targets(load(path))):
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            assert "$" not in expr, f"{path.name}: unreplaced variable in {expr}"
            rules.append(
                {"record": f"dashboard:{path.stem.replace('-', '_')}:{number}", "expr": expr}
            )
    rule_file = tmp_path / "dashboards.yaml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = run([tool("promtool"), "check", "rules", str(rule_file)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboards_are_provisioned_by_label() -> None:
    config = named(rendered("prod"), "ConfigMap", "hub-dashboards")
    assert config["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert sorted(config["data"]) == [p.name for p in DASHBOARDS]


def test_the_json_files_are_what_the_generator_writes() -> None:
    path = REPO / "scripts" / "deploy_checks" / "dashboards.py"
    spec = importlib.util.spec_from_file_location("dashboards", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, board in module.dashboards().items():
        committed = (BASE / "dashboards" / f"{name}.json").read_text()
        assert committed == module.render(board), f"run {path.name}: {name}.json is stale"
