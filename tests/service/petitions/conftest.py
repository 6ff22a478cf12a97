from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from shared.testing import BaseUrlSession, TestIssuer


@pytest.fixture
def issuer() -> Iterator[TestIssuer]:
    issuer = TestIssuer().start()
    yield issuer
    issuer.stop()


@pytest.fixture
def start_petitions(start_service: Any, settings: Any, issuer: TestIssuer) -> Any:
    """Starts the real petitions service, trusting the test issuer's tokens, with ``rules``
    (settings fields; those shared/config.py does not have yet are added to a subclass)."""
    from services.petitions.service import PetitionsService

    def start(**rules: Any) -> PetitionsApi:
        trusting = with_settings(
            settings,
            public_urls={**settings.public_urls, "identity": issuer.url},
            petition_thresholds=(2, 3),
            **rules,
        )
        start_service(PetitionsService, settings_override=trusting)
        return PetitionsApi(trusting, issuer)

    return start


@pytest.fixture
def petitions(start_petitions: Any) -> Any:
    """The real petitions service, trusting the test issuer's tokens."""
    return start_petitions()


def with_settings(settings: Any, **values: Any) -> Any:
    known = {f.name for f in dataclasses.fields(settings)}
    extra = {k: v for k, v in values.items() if k not in known}
    if not extra:
        return dataclasses.replace(settings, **values)
    extended = dataclasses.make_dataclass(
        "ExtendedSettings",
        [(name, type(value), dataclasses.field(default=value)) for name, value in extra.items()],
        bases=(type(settings),),
        frozen=True,
    )
    current = {name: getattr(settings, name) for name in known}
    return extended(**{**current, **values})


class PetitionsApi:
    def __init__(self, settings: Any, issuer: TestIssuer) -> None:
        self.settings = settings
        self.issuer = issuer
        self.url = settings.public_url("petitions")
        self.http = BaseUrlSession(self.url)

    def citizen(self, sub: str | None = None, **claims: Any) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.issuer.citizen_token(self.url, sub, **claims)}

    def operator(self) -> dict[str, str]:
        token = self.issuer.token(
            self.url,
            sub="operator-client",
            client_id="operator-client",
            scope="petitions:moderate petitions:read",
        )
        return {"Authorization": f"Bearer {token}"}

    def sign(self, petition_id: str, sub: str | None = None, **body: Any) -> Any:
        headers = self.citizen(sub=sub or "s-" + uuid.uuid4().hex)
        url = f"/api/petitions/{petition_id}/signatures"
        return self.http.post(url, json=body or None, headers=headers)

    def decide(self, petition_id: str, decision: str, **body: Any) -> dict[str, Any]:
        response = self.http.post(
            f"/api/petitions/{petition_id}/moderation",
            json={"decision": decision, **body},
            headers=self.operator(),
        )
        assert response.status_code == 200, response.text
        return response.json()

    def create(self, author: dict[str, str], **fields: Any) -> dict[str, Any]:
        body = {
            "title": "Plant trees along every road",
            "text": "Trees cool our towns and shelter wildlife.",
        }
        body.update(fields)
        response = self.http.post("/api/petitions", json=body, headers=author)
        assert response.status_code == 201, response.text
        return response.json()

    def published(self, **fields: Any) -> dict[str, Any]:
        petition = self.create(self.citizen(), **fields)
        response = self.http.post(
            f"/api/petitions/{petition['id']}/moderation",
            json={"decision": "publish"},
            headers=self.operator(),
        )
        assert response.status_code == 200, response.text
        return response.json()

    def db(self) -> sa.engine.Engine:
        return sa.create_engine(self.settings.database_url("petitions"))


def wait_until(predicate: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
