"""One hub for the security and fuzzing tests: the four processes as `hub up` starts them, with
registered clients and a signed-in citizen.

NOTE: it lives for the whole session, so it gets databases and a vhost of its own: sharing the
run's would put a second petitions and notifications process on the queues and tables the
service tests use (another consumer of their events, another announcer of their counts).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from faults import actors
from faults.hub import Hub
from tests.infra import (
    create_databases,
    create_vhost,
    drop_databases,
    drop_vhost,
    hub_environment,
)


@dataclass
class SecurityHub:
    hub: Hub
    app: dict[str, Any]
    other_app: dict[str, Any]
    operator: dict[str, Any]
    agency: dict[str, Any]
    citizen: str  # an access token for the petitions API
    operator_token: str
    agency_token: str
    petition_id: str  # an open petition
    database_urls: dict[str, str]

    def url(self, process: str) -> str:
        return self.hub.url(process)


@pytest.fixture(scope="session")
def security_infrastructure(run_id: str) -> Iterator[tuple[dict[str, str], str]]:
    admin_url = os.environ.get(
        "HUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    base_uri = os.environ.get("HUB_TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    vhost = f"hub-test-{run_id}-security"
    urls = create_databases(admin_url, f"hub_test_{run_id}_sec")
    try:
        yield urls, create_vhost(base_uri, vhost)
    finally:
        drop_vhost(base_uri, vhost)
        drop_databases(admin_url, urls)


@pytest.fixture(scope="session")
def security_hub(
    security_infrastructure: tuple[dict[str, str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SecurityHub]:
    database_urls, amqp_uri = security_infrastructure
    work: Path = tmp_path_factory.mktemp("security-hub")
    env = hub_environment(database_urls, amqp_uri, work / "data")
    env["HUB_LOG_LEVEL"] = "INFO"
    # Limits low enough for the rate-limit tests to reach them with 60 requests.
    env["HUB_RATE_LIMIT_LOGIN_PER_ADDRESS"] = "40"
    env["HUB_RATE_LIMIT_TOKEN_FAILURES_PER_CLIENT"] = "10"
    env["HUB_RATE_LIMIT_OPERATOR_LOGIN_FAILURES_PER_ADDRESS"] = "10"
    env["HUB_RATE_LIMIT_SIGN_PER_ADDRESS"] = "40"
    # As behind one ingress: the rate-limit tests pose as other addresses with X-Forwarded-For.
    env["HUB_TRUSTED_PROXY_HOPS"] = "1"
    # the databases are migrated already (tests/conftest.py database_urls)
    hub = Hub(env, work / "logs")
    hub.start_all()
    try:
        app = hub.cli(
            "clients",
            "create",
            "--name",
            "Sec web",
            "--kind",
            "service-provider",
            "--redirect-uri",
            "http://127.0.0.1:1/cb",
        )
        other = hub.cli(
            "clients",
            "create",
            "--name",
            "Sec partner",
            "--kind",
            "service-provider",
            "--redirect-uri",
            "http://127.0.0.1:2/cb",
        )
        operator = hub.cli("clients", "create", "--name", "Sec desk", "--kind", "operator")
        agency = hub.cli("clients", "create", "--name", "Sec agency", "--kind", "agency")
        identity = hub.url("identity")
        citizen = actors.citizen_token(identity, app, "marie.dupont")
        operator_token = actors.client_token(identity, operator, "petitions:moderate")
        agency_token = actors.client_token(identity, agency, "events:subscribe")
        base = hub.url("petitions") + "/api/petitions"
        created = requests.post(
            base,
            json={"title": "Security petition", "text": "A petition to attack."},
            headers=actors.bearer(citizen),
            timeout=15,
        ).json()
        requests.post(
            f"{base}/{created['id']}/moderation",
            json={"decision": "publish"},
            headers=actors.bearer(operator_token),
            timeout=15,
        ).raise_for_status()
        yield SecurityHub(
            hub,
            app,
            other,
            operator,
            agency,
            citizen,
            operator_token,
            agency_token,
            created["id"],
            database_urls,
        )
    finally:
        hub.stop_all()
