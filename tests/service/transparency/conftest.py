"""A real TransparencyService (PostgreSQL, RabbitMQ, HTTP) fed as petitions' relay feeds it."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from shared.bus import EnvelopePublisher
from shared.envelope import Envelope
from shared.testing import BaseUrlSession


@pytest.fixture
def log_settings(settings: Any, run_id: str) -> Iterator[Any]:
    """A fresh log each test: its own database (the run's is shared), its own key (generated
    under the test's HUB_DATA_DIR)."""
    from tests.conftest import admin_database_url
    from tests.infra import create_service_database, drop_databases

    admin = admin_database_url()
    name = f"hub_test_{run_id}_tlog_{uuid.uuid4().hex[:8]}"
    url = create_service_database(admin, name, "transparency")
    yield dataclasses.replace(
        settings, database_urls={**settings.database_urls, "transparency": url}
    )
    drop_databases(admin, {"transparency": url})


@pytest.fixture
def start_transparency(start_service: Callable[..., Any], log_settings: Any) -> Callable[..., Any]:
    def start(**changes: Any) -> Any:
        from kombu import Connection

        from services.transparency.service import TransparencyService
        from shared.bus import consumer_queues

        effective = dataclasses.replace(log_settings, **changes)
        # As `hub run` does: the queue exists before anything is published, so an event sent
        # while the container's consumer is still starting waits for it instead of vanishing.
        # Emptied: the run's vhost is shared, and the petitions tests before these left their
        # leaves in it (a `hub up` of the end-to-end tests declared the queue); each test's log
        # starts empty and takes only what the test sends.
        with Connection(effective.amqp_uri, connect_timeout=5) as conn:
            channel = conn.channel()
            for queue in consumer_queues([TransparencyService], effective.queue_type):
                bound = queue(channel)
                bound.declare()
                bound.purge()
            channel.close()
        return start_service(TransparencyService, settings_override=effective)

    return start


@pytest.fixture
def transparency(start_transparency: Callable[..., Any]) -> Any:
    return start_transparency()


@pytest.fixture
def log_url(log_settings: Any) -> str:
    return log_settings.public_url("transparency") + "/tlog"


@pytest.fixture
def client(log_url: str) -> BaseUrlSession:
    return BaseUrlSession(log_url)


@pytest.fixture
def publish(amqp_uri: str) -> Callable[[Envelope], None]:
    """Publish as petitions' outbox relay would."""
    publisher = EnvelopePublisher(amqp_uri, "petitions")
    return lambda envelope: publisher([envelope.to_dict()])


@pytest.fixture
def log_db(log_settings: Any) -> Iterator[sa.Engine]:
    engine = sa.create_engine(log_settings.database_url("transparency"))
    yield engine
    engine.dispose()
