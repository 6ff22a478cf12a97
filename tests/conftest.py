"""Fixtures for tests that talk to real PostgreSQL and RabbitMQ.

Each test run is isolated: its own RabbitMQ vhost and its own PostgreSQL databases (one per
service, migrated with Alembic), all removed afterwards. Tests inside a run use random ids rather
than cleaning up after themselves.

Settings (environment):
- ``HUB_TEST_POSTGRES_URL``: an administrative connection (default
  ``postgresql://postgres@127.0.0.1:5432/postgres``);
- ``HUB_TEST_AMQP_URI``: the broker (default ``amqp://guest:guest@127.0.0.1:5672/``); the vhost
  is created with ``rabbitmqctl``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.infra import (
    create_databases,
    create_vhost,
    drop_databases,
    drop_vhost,
    hub_environment,
)


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:8]


def admin_database_url() -> str:
    return os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def database_urls(run_id: str) -> Iterator[dict[str, str]]:
    admin_url = admin_database_url()
    urls = create_databases(admin_url, f"hub_test_{run_id}")
    try:
        yield urls
    finally:
        drop_databases(admin_url, urls)


@pytest.fixture(scope="session")
def amqp_uri(run_id: str) -> Iterator[str]:
    """A private vhost for this test run (overrides nameko's fixture of the same name)."""
    base = os.environ.get("HUB_TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    uri = create_vhost(base, f"hub-test-{run_id}")
    try:
        yield uri
    finally:
        drop_vhost(base, f"hub-test-{run_id}")


@pytest.fixture
def hub_env(database_urls: dict[str, str], amqp_uri: str, tmp_path: Any) -> dict[str, str]:
    """Environment variables for a hub on free ports, against this run's databases and vhost."""
    return hub_environment(database_urls, amqp_uri, tmp_path)


@pytest.fixture
def settings(hub_env: dict[str, str]) -> Any:
    from shared.config import load_settings

    return load_settings(hub_env)


@pytest.fixture
def start_service(container_factory: Callable[..., Any], settings: Any) -> Callable[..., Any]:
    """Start a nameko service class in this process, on the test's settings; killed afterwards."""
    from shared.dependencies import nameko_config

    def start(service_cls: type, process: str | None = None, settings_override: Any = None) -> Any:
        effective = settings_override or settings
        container = container_factory(
            service_cls, nameko_config(effective, process or service_cls.name)
        )
        container.start()
        return container

    return start


# The hub's own attack tests (docs/security.md): `make security` runs them alone (`-m security`);
# `make test` runs them with the rest. Whole files, then single tests living among others.
SECURITY_FILES = (
    "tests/security/",
    "tests/integration/test_http_refusals.py",
    "tests/integration/test_http_server.py",
    "tests/integration/test_http_connections.py",
    "tests/integration/test_revocation_feed.py",
    "tests/service/identity/test_identity_logout.py",
    "tests/service/notifications/test_notifications_access_log.py",
    "tests/service/notifications/test_notifications_revocations.py",
    "tests/service/petitions/test_access_log.py",
    "tests/service/petitions/test_revocations.py",
    "tests/unit/shared/test_auth.py",
    "tests/unit/shared/test_revocation.py",
    "tests/unit/shared/test_key_refetch.py",
)
SECURITY_TESTS = (
    "test_a_line_break_in_a_page_path_is_escaped_not_a_500",
    "test_private_targets_are_refused_unless_allowed",
    "test_non_public_addresses_are_forbidden",
    "test_the_internet_egress_refuses_what_the_webhook_guard_refuses",
    "test_confidential_client_without_pkce_is_refused",
    "test_a_logout_link_without_id_token_asks_first_in_a_browser",
    "test_secret_path_segments_are_cut_from_any_servers_access_lines",
    "test_access_lines_lose_their_query_strings",
    "test_bodies_the_database_could_not_store_are_refused",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        name = getattr(item, "originalname", item.name)
        if item.nodeid.startswith(SECURITY_FILES) or name in SECURITY_TESTS:
            item.add_marker(pytest.mark.security)
