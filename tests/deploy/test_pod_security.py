"""Every pod the hub runs meets Pod Security "restricted", with a read-only root filesystem,
probes, requests and limits."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.conftest import SERVICES, named, pod_templates


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def test_every_container_is_restricted(resources: list[dict[str, Any]]) -> None:
    pods = pod_templates(resources)
    assert len(pods) >= 4
    for where, pod in pods:
        pod_context = pod.get("securityContext", {})
        assert pod_context.get("runAsNonRoot") is True, where
        assert pod_context.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
        assert pod.get("hostNetwork") is not True and pod.get("hostPID") is not True, where
        assert pod.get("automountServiceAccountToken") is False, where
        for container in containers(pod):
            name = f"{where} container {container['name']}"
            context = container.get("securityContext", {})
            assert context.get("runAsNonRoot") is True, name
            assert context.get("allowPrivilegeEscalation") is False, name
            assert context.get("capabilities", {}).get("drop") == ["ALL"], name
            assert not context.get("capabilities", {}).get("add"), name
            assert context.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
            assert context.get("privileged") is not True, name
            assert context.get("readOnlyRootFilesystem") is True, name


def test_tmp_is_a_writable_empty_dir(resources: list[dict[str, Any]]) -> None:
    for where, pod in pod_templates(resources):
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for container in pod["containers"]:
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, where
            assert "emptyDir" in volumes[mounts["/tmp"]], where


def test_every_container_has_requests_and_limits(resources: list[dict[str, Any]]) -> None:
    for where, pod in pod_templates(resources):
        for container in containers(pod):
            res = container.get("resources", {})
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(res.get(part, {})), f"{where}: {part}"


@pytest.mark.parametrize("service", SERVICES)
def test_services_run_the_hub_image_with_probes_on_the_http_port(
    resources: list[dict[str, Any]], service: str
) -> None:
    pod = named(resources, "Deployment", service)["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["args"] == ["run", service]
    assert container["image"].startswith("ghcr.io/participation-hub/hub:")
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert set(ports) == {"http", "metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}


def test_one_image_everywhere(resources: list[dict[str, Any]]) -> None:
    images = {c["image"] for _, pod in pod_templates(resources) for c in containers(pod)}
    assert len(images) == 1, images
    assert not next(iter(images)).endswith(":latest")
