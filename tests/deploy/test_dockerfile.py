"""The one image: hadolint-clean, multi-stage, pinned, unprivileged, with a health check.
(No image is built here: there is no Docker engine on our machines.)"""

from __future__ import annotations

import json
import re

from tests.deploy.conftest import REPO, run, tool

DOCKERFILE = REPO / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def test_hadolint_is_clean() -> None:
    result = run([tool("hadolint"), "--failure-threshold", "info", str(DOCKERFILE)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_from_a_pinned_slim_base() -> None:
    bases = [rest for keyword, rest in instructions() if keyword == "FROM"]
    assert len(bases) == 2
    assert all(b.split()[0] == "python:3.11-slim-bookworm" for b in bases)
    assert any(
        rest.startswith("--from=builder /opt/venv") for k, rest in instructions() if k == "COPY"
    )


def test_runs_the_hub_as_an_unprivileged_user() -> None:
    users = [rest for keyword, rest in instructions() if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    commands = dict((k, rest) for k, rest in instructions() if k in ("ENTRYPOINT", "CMD"))
    assert json.loads(commands["ENTRYPOINT"]) == ["hub"]
    assert json.loads(commands["CMD"]) == ["run", "petitions"]


def test_health_check_asks_healthz_on_the_port() -> None:
    [check] = [rest for keyword, rest in instructions() if keyword == "HEALTHCHECK"]
    assert "/healthz" in check and "PORT" in check


def test_the_build_context_is_only_the_package() -> None:
    lines = (REPO / ".dockerignore").read_text().split()
    assert lines[0] == "*" or "*" in lines
    assert {"!pyproject.toml", "!LICENSE", "!hub/", "!shared/", "!services/"} <= set(lines)
