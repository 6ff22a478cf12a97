"""Every rendered resource is valid: built-in kinds against Kubernetes' own schemas, custom
resources against their CRDs' schemas (tests/deploy/k8s-schemas)."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from tests.deploy.conftest import KUBERNETES_VERSION, SCHEMAS

BUILT_IN_GROUPS = {
    "",
    "apps",
    "autoscaling",
    "batch",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
}
# Custom kinds the vendored CRDs catalogue has no schema for, checked here by hand.
WITHOUT_SCHEMA = {("postgresql.cnpg.io", "ScheduledBackup")}


def group_version(resource: dict[str, Any]) -> tuple[str, str]:
    group, _, version = resource["apiVersion"].rpartition("/")
    return group, version


def test_every_built_in_resource_is_valid_for_kubernetes(resources: list[dict[str, Any]]) -> None:
    checked = 0
    for resource in resources:
        group, _ = group_version(resource)
        if group in BUILT_IN_GROUPS:
            try:
                kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as error:
                pytest.fail(f"{resource['kind']}/{resource['metadata']['name']}: {error.message}")
            checked += 1
    assert checked >= 15


def test_every_custom_resource_is_valid_for_its_crd(resources: list[dict[str, Any]]) -> None:
    if not SCHEMAS.is_dir():
        pytest.fail(f"CRD schemas not found at {SCHEMAS} (the shared/ folder beside the clone)")
    checked = set()
    for resource in resources:
        group, version = group_version(resource)
        if group in BUILT_IN_GROUPS or (group, resource["kind"]) in WITHOUT_SCHEMA:
            continue
        path = SCHEMAS / group / f"{resource['kind'].lower()}_{version}.json"
        assert path.is_file(), f"no schema for {resource['apiVersion']} {resource['kind']}"
        schema = json.loads(path.read_text())
        errors = sorted(
            jsonschema.Draft7Validator(schema).iter_errors(resource), key=lambda e: e.path
        )
        assert not errors, f"{resource['kind']}/{resource['metadata']['name']}: " + "; ".join(
            f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors
        )
        checked.add(resource["kind"])
    expected = {
        "RabbitmqCluster",
        "Vhost",
        "User",
        "Permission",
        "Cluster",
        "ScaledObject",
        "TriggerAuthentication",
        "ServiceMonitor",
        "PrometheusRule",
    }
    assert expected <= checked, f"not rendered: {expected - checked}"


def test_scheduled_backups_name_an_existing_cluster(resources: list[dict[str, Any]]) -> None:
    clusters = {r["metadata"]["name"] for r in resources if r["kind"] == "Cluster"}
    for backup in (r for r in resources if r["kind"] == "ScheduledBackup"):
        assert backup["spec"]["cluster"]["name"] in clusters
        assert len(backup["spec"]["schedule"].split()) == 6, "CloudNativePG cron has 6 fields"


def test_no_secret_value_is_committed(resources: list[dict[str, Any]]) -> None:
    assert not [r for r in resources if r["kind"] == "Secret"]
    credentials_in_url = re.compile(r"://[^$/\s:@\"]+:[^$@\s\"]+@")
    for resource in resources:
        text = json.dumps(resource)
        assert not credentials_in_url.search(text), resource["metadata"]["name"]
        assert "PRIVATE KEY" not in text and "whsec_" not in text
