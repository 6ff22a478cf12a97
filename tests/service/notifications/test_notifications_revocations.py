"""Access tokens identity revoked (identity.tokens_revoked): refused by the real notifications
service within about a second, the event applied once and never forwarded to an agency."""

from __future__ import annotations

import time
import uuid
from typing import Any

import sqlalchemy as sa

from faults.actors import unverified_claims
from services.notifications.storage.tables import inbox, messages, revocations
from shared.bus import EnvelopePublisher
from shared.envelope import Envelope

from .support import wait_until


def revoked_event(**payload: Any) -> dict[str, Any]:
    return Envelope(type="identity.tokens_revoked", payload=payload, source="identity").to_dict()


def test_revoked_agency_tokens_are_refused_and_the_event_stays_inside(
    notifications, agency_session, amqp_uri, notifications_db
):
    revoked, disabled, kept = agency_session(), agency_session(), agency_session()
    for session in (revoked, disabled, kept):
        assert session.get("/api/subscriptions").status_code == 200
    claims = unverified_claims(revoked.headers["Authorization"].split()[1])
    disabled_id = unverified_claims(disabled.headers["Authorization"].split()[1])["client_id"]
    now = int(time.time())
    events = [
        revoked_event(reason="revoked", tokens=[{"jti": claims["jti"], "exp": claims["exp"]}]),
        revoked_event(
            reason="client_disabled",
            clients=[{"client_id": disabled_id, "issued_before": now + 1, "exp": now + 600}],
        ),
    ]
    publish = EnvelopePublisher(amqp_uri, "identity")
    published = time.monotonic()
    publish(events)
    for session in (revoked, disabled):
        wait_until(lambda s=session: s.get("/api/subscriptions").status_code == 401, timeout=5)
    assert time.monotonic() - published < 2.0
    refused = revoked.get("/api/subscriptions")
    assert refused.json()["error"] == "invalid_token"
    assert refused.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert kept.get("/api/subscriptions").status_code == 200

    publish(events)  # redelivered: the inbox skips them
    ids = [e["id"] for e in events]
    with notifications_db.connect() as conn:
        applied = conn.execute(
            sa.select(sa.func.count()).where(
                inbox.c.consumer == "notifications.revocations", inbox.c.event_id.in_(ids)
            )
        ).scalar_one()
        stored = conn.execute(
            sa.select(sa.func.count()).where(revocations.c.value.in_([claims["jti"], disabled_id]))
        ).scalar_one()
        forwarded = conn.execute(
            sa.select(sa.func.count()).where(messages.c.id.in_(ids))
        ).scalar_one()
    assert (applied, stored, forwarded) == (2, 2, 0)


def test_a_malformed_revocation_is_dead_lettered(notifications, amqp_uri, notifications_db):
    marker = uuid.uuid4().hex
    EnvelopePublisher(amqp_uri, "identity")([revoked_event(tokens=[{"jti": marker}])])

    def dead_lettered() -> bool:
        with notifications_db.connect() as conn:
            found = conn.execute(
                sa.text("select count(*) from dead_letters where body like :m"),
                {"m": f"%{marker}%"},
            ).scalar_one()
        return bool(found)

    wait_until(dead_lettered, timeout=10)
