"""Access tokens identity revoked (identity.tokens_revoked): refused by the real petitions service
within about a second, the event applied once, kept until the tokens expire, loaded at start."""

from __future__ import annotations

import time
import uuid
from typing import Any

import sqlalchemy as sa

from faults.actors import unverified_claims
from services.petitions.storage.tables import inbox, revocations
from shared.auth import LEEWAY_SECONDS
from shared.bus import EnvelopePublisher
from shared.envelope import Envelope
from shared.metrics import registry_for
from tests.service.petitions.conftest import wait_until

CONSUMER = "petitions.revocations"


def revoked_event(**payload: Any) -> dict[str, Any]:
    return Envelope(type="identity.tokens_revoked", payload=payload, source="identity").to_dict()


def as_bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def status(petitions: Any, token: str) -> int:
    # GET /api/petitions verifies a token when one is sent (it may be an operator's).
    return int(petitions.http.get("/api/petitions", headers=as_bearer(token)).status_code)


def revoked_failures() -> float:
    sample = registry_for("petitions").get_sample_value(
        "hub_petitions_token_verification_failures_total", {"reason": "revoked"}
    )
    return sample or 0.0


def rows(petitions: Any, value: str) -> int:
    with petitions.db().connect() as conn:
        query = sa.select(sa.func.count()).where(revocations.c.value == value)
        return int(conn.execute(query).scalar_one())


def test_a_revoked_token_is_refused_at_once_and_the_event_is_applied_once(petitions, amqp_uri):
    token = petitions.issuer.citizen_token(petitions.url)
    other = petitions.issuer.citizen_token(petitions.url)
    claims = unverified_claims(token)
    assert status(petitions, token) == 200
    before = revoked_failures()

    event = revoked_event(reason="logout", tokens=[{"jti": claims["jti"], "exp": claims["exp"]}])
    publish = EnvelopePublisher(amqp_uri, "identity")
    published = time.monotonic()
    publish([event])
    wait_until(lambda: status(petitions, token) == 401, timeout=5)
    assert time.monotonic() - published < 2.0

    refused = petitions.http.post(
        "/api/petitions",
        json={"title": "Revoked tokens sign nothing", "text": "A text long enough to count."},
        headers=as_bearer(token),
    )
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    assert refused.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert revoked_failures() - before >= 2
    assert status(petitions, other) == 200  # another token of the same issuer still works

    publish([event])  # redelivered: the inbox skips it
    with petitions.db().connect() as conn:
        applied = conn.execute(
            sa.select(sa.func.count()).where(
                inbox.c.consumer == CONSUMER, inbox.c.event_id == event["id"]
            )
        ).scalar_one()
    assert applied == 1 and rows(petitions, claims["jti"]) == 1


def test_a_disabled_client_and_an_erased_subject_lose_the_tokens_issued_before(petitions, amqp_uri):
    now = int(time.time())
    client_id, sub = f"service-{uuid.uuid4().hex[:8]}", f"s-{uuid.uuid4().hex}"
    of_client = petitions.issuer.citizen_token(petitions.url, client_id=client_id)
    of_subject = petitions.issuer.citizen_token(petitions.url, sub=sub)
    later = petitions.issuer.citizen_token(petitions.url, sub=sub, iat=now + 5)
    window = {"issued_before": now + 1, "exp": now + 600}
    EnvelopePublisher(amqp_uri, "identity")(
        [
            revoked_event(clients=[{"client_id": client_id, **window}]),
            revoked_event(
                subjects=[
                    {"resource": "petitions", "sub": sub, **window},
                    {"resource": "notifications", "sub": "not-ours", **window},
                ]
            ),
        ]
    )
    wait_until(lambda: status(petitions, of_client) == 401, timeout=5)
    wait_until(lambda: status(petitions, of_subject) == 401, timeout=5)
    assert status(petitions, later) == 200  # issued after the erasure: a new citizen's
    assert rows(petitions, "not-ours") == 0  # another service's subject is not kept here


def test_revocations_are_pruned_once_their_tokens_have_expired(petitions):
    now, marker = int(time.time()), uuid.uuid4().hex
    with petitions.db().begin() as conn:
        conn.execute(
            sa.insert(revocations),
            [
                {
                    "kind": "jti",
                    "value": f"gone-{marker}",
                    "issued_before": 0,
                    "expires_at": now - LEEWAY_SECONDS - 5,
                },
                {
                    "kind": "jti",
                    "value": f"leeway-{marker}",
                    "issued_before": 0,
                    "expires_at": now - 5,
                },
                {
                    "kind": "client",
                    "value": f"gone-{marker}",
                    "issued_before": now - 700,
                    "expires_at": now - 100,
                },
            ],
        )
    wait_until(lambda: rows(petitions, f"gone-{marker}") == 0, timeout=20)
    # still accepted by the verifier's leeway: still refused
    assert rows(petitions, f"leeway-{marker}") == 1


def test_a_process_started_after_the_revocation_refuses_the_token_from_its_first_request(
    start_petitions, issuer, settings
):
    token = issuer.citizen_token(settings.public_url("petitions"))
    claims = unverified_claims(token)
    # stored by another replica while this one was down
    engine = sa.create_engine(settings.database_url("petitions"))
    with engine.begin() as conn:
        conn.execute(
            sa.insert(revocations).values(
                kind="jti", value=claims["jti"], issued_before=0, expires_at=claims["exp"]
            )
        )
    engine.dispose()
    petitions = start_petitions()
    assert status(petitions, token) == 401


def test_a_request_before_the_deny_list_is_loaded_waits_for_it_rather_than_a_503(
    start_service, settings, issuer
):
    """A process's extensions start together: during a rolling restart a request reached the
    web server before the deny-list's first load and got a 503."""
    from services.petitions.service import PetitionsService
    from shared.dependencies import AccessTokens
    from tests.service.petitions.conftest import PetitionsApi, with_settings

    trusting = with_settings(settings, public_urls={**settings.public_urls, "identity": issuer.url})
    container = start_service(PetitionsService, settings_override=trusting)
    petitions = PetitionsApi(trusting, issuer)
    [tokens] = [d for d in container.dependencies if isinstance(d, AccessTokens)]
    tokens.revocations.loaded = False  # as just after start, before the first load
    assert status(petitions, petitions.issuer.citizen_token(petitions.url)) == 200
    assert tokens.revocations.loaded
