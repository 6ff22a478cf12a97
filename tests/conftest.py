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


@pytest.fixture(scope="session")
def database_urls(run_id: str) -> Iterator[dict[str, str]]:
    admin_url = os.environ.get(
        "HUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
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
