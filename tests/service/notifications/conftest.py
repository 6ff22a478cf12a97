"""A real NotificationsService (PostgreSQL, RabbitMQ), a token issuer, and webhook receivers."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from shared.bus import EnvelopePublisher
from shared.envelope import Envelope
from shared.testing import BaseUrlSession, TestIssuer

from .support import EventTap, Receiver


@pytest.fixture
def issuer() -> Iterator[TestIssuer]:
    found = TestIssuer().start()
    yield found
    found.stop()


@pytest.fixture
def notifications_settings(settings: Any, issuer: TestIssuer) -> Any:
    return dataclasses.replace(
        settings, public_urls={**settings.public_urls, "identity": issuer.url}
    )


@pytest.fixture
def start_notifications(
    start_service: Callable[..., Any], notifications_settings: Any
) -> Callable[..., Any]:
    def start(**changes: Any) -> Any:
        from services.notifications.service import NotificationsService

        effective = dataclasses.replace(notifications_settings, **changes)
        return start_service(NotificationsService, settings_override=effective)

    return start


@pytest.fixture
def notifications(start_notifications: Callable[..., Any]) -> Any:
    return start_notifications()


@pytest.fixture
def base_url(notifications_settings: Any) -> str:
    return notifications_settings.public_url("notifications")


@pytest.fixture
def anonymous(base_url: str) -> BaseUrlSession:
    return BaseUrlSession(base_url)


@pytest.fixture
def agency_session(issuer: TestIssuer, base_url: str) -> Callable[..., BaseUrlSession]:
    """A session acting for a new agency (its own client_id)."""

    def make(scope: str = "events:subscribe", client_id: str | None = None) -> BaseUrlSession:
        session = BaseUrlSession(base_url)
        client_id = client_id or f"agency-{uuid.uuid4().hex[:8]}"
        token = issuer.token(
            audience=base_url, sub=f"sub-{client_id}", client_id=client_id, scope=scope
        )
        session.headers["Authorization"] = f"Bearer {token}"
        return session

    return make


@pytest.fixture
def publish(amqp_uri: str) -> Callable[[Envelope], None]:
    """Publish an event as the petitions service's outbox relay would."""
    publisher = EnvelopePublisher(amqp_uri, "petitions")
    return lambda envelope: publisher([envelope.to_dict()])


@pytest.fixture
def receiver_factory() -> Iterator[Callable[..., Receiver]]:
    started: list[Receiver] = []

    def make(**kwargs: Any) -> Receiver:
        receiver = Receiver(**kwargs).start()
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        receiver.stop()


@pytest.fixture
def operator_session(agency_session: Callable[..., BaseUrlSession]) -> BaseUrlSession:
    """An operator: the moderation scope is the hub's operator scope."""
    return agency_session(scope="petitions:moderate petitions:read", client_id="operator")


@pytest.fixture
def notifications_db(notifications_settings: Any) -> Iterator[sa.Engine]:
    """The service's database, to look at (and, for time travel, adjust) what it stored."""
    engine = sa.create_engine(notifications_settings.database_url("notifications"))
    yield engine
    engine.dispose()


@pytest.fixture
def event_tap(amqp_uri: str, notifications: Any) -> Iterator[EventTap]:
    tap = EventTap(amqp_uri)
    yield tap
    tap.close()
