"""The alert rules: valid for promtool, unit-tested, wrapped unchanged in the PrometheusRule,
and each one with a runbook section in docs/operations.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.conftest import BASE, REPO, named, rendered, run, tool

ALERTS = BASE / "alerts"
RULES = ALERTS / "rules.yaml"
OPERATIONS = REPO / "docs" / "operations.md"


def alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def test_promtool_accepts_the_rules() -> None:
    result = run([tool("promtool"), "check", "rules", str(RULES)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass() -> None:
    result = run([tool("promtool"), "test", "rules", "tests.yaml"], cwd=ALERTS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_tested_firing() -> None:
    tests = yaml.safe_load((ALERTS / "tests.yaml").read_text())["tests"]
    fired = {
        case["alertname"]
        for test in tests
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert {rule["alert"] for rule in alerts()} <= fired


def test_every_alert_says_what_and_where_to_look() -> None:
    anchors = {heading_anchor(h) for h in re.findall(r"^#+ (.+)$", OPERATIONS.read_text(), re.M)}
    for rule in alerts():
        notes = rule["annotations"]
        assert notes["summary"] and notes["description"], rule["alert"]
        assert rule["labels"]["severity"] in ("page", "warning"), rule["alert"]
        url, _, anchor = notes["runbook_url"].partition("#")
        assert url.endswith("docs/operations.md"), rule["alert"]
        assert anchor == rule["alert"].lower() and anchor in anchors, rule["alert"]


def heading_anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_prometheus_rule_wraps_the_rule_file_unchanged() -> None:
    import importlib.util

    path = REPO / "scripts" / "deploy_checks" / "prometheusrule.py"
    spec = importlib.util.spec_from_file_location("prometheusrule", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = Path(module.TARGET).read_text()
    assert committed == module.render(), "run scripts/deploy_checks/prometheusrule.py"
    rule = named(rendered("prod"), "PrometheusRule", "hub")
    assert rule["spec"] == yaml.safe_load(RULES.read_text())


def test_links_inside_the_operations_guide_resolve() -> None:
    text = OPERATIONS.read_text()
    anchors = {heading_anchor(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}
    links = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert links and links <= anchors, links - anchors
