"""Wrap deploy/k8s/base/alerts/rules.yaml in the PrometheusRule the Prometheus Operator loads.

The rule file stays plain (promtool tests it as it is); this writes
deploy/k8s/base/alerts/prometheusrule.yaml from it. tests/deploy fails when the two differ.

    python scripts/deploy_checks/prometheusrule.py          # rewrite prometheusrule.yaml
    python scripts/deploy_checks/prometheusrule.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ALERTS = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "base" / "alerts"
RULES = ALERTS / "rules.yaml"
TARGET = ALERTS / "prometheusrule.yaml"
HEADER = (
    "# GENERATED from rules.yaml by scripts/deploy_checks/prometheusrule.py: edit rules.yaml.\n"
)


def render() -> str:
    rules = yaml.safe_load(RULES.read_text())
    resource = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "hub", "labels": {"monitoring": "hub"}},
        "spec": rules,
    }
    return HEADER + yaml.safe_dump(resource, sort_keys=False, width=100, allow_unicode=True)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET} is out of date: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
