"""The deny-list's feed against real PostgreSQL: every replica's snapshot follows the table, even
when revocations commit out of order, and a consumer applies each event once."""

from __future__ import annotations

import time
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db import UnitOfWork, make_engine
from shared.denylist import RevocationFeed
from shared.envelope import Envelope
from shared.revocation import REVOCATIONS, record_revocations


@pytest.fixture
def engine(database_urls):
    engine = make_engine(database_urls["petitions"])
    yield engine
    engine.dispose()


def claims(jti: str) -> dict:
    return {"jti": jti, "sub": "s", "client_id": "c", "iat": int(time.time())}


def revoke(engine, *jtis: str) -> dict:
    exp = int(time.time()) + 600
    body = Envelope(
        type="identity.tokens_revoked",
        payload={"tokens": [{"jti": j, "exp": exp} for j in jtis]},
        source="identity",
    ).to_dict()
    uow = UnitOfWork(Session(engine), "petitions")
    try:
        record_revocations(uow, "test.revocations", body, "petitions", int(time.time()))
    finally:
        uow.close()
    return body


def test_every_replica_refuses_what_one_stored_and_a_replay_adds_nothing(engine):
    replicas = [RevocationFeed(engine), RevocationFeed(engine)]
    for feed in replicas:
        feed.refresh()
    jti = uuid.uuid4().hex
    assert not any(feed.revoked.refuses(claims(jti)) for feed in replicas)
    body = revoke(engine, jti)
    for feed in replicas:
        feed.refresh()
        assert feed.revoked.refuses(claims(jti))
    unchanged = replicas[0].revoked
    uow = UnitOfWork(Session(engine), "petitions")
    assert record_revocations(uow, "test.revocations", body, "petitions", int(time.time())) == 0
    uow.close()
    replicas[0].refresh()
    assert replicas[0].revoked is unchanged  # nothing changed: no reload


def test_a_revocation_committed_after_a_later_one_is_still_seen(engine):
    feed = RevocationFeed(engine)
    feed.refresh()
    early, late = uuid.uuid4().hex, uuid.uuid4().hex
    exp = int(time.time()) + 600
    row = {"kind": "jti", "issued_before": 0, "expires_at": exp}
    with engine.connect() as slow:
        slow.execute(sa.insert(REVOCATIONS).values(value=early, **row))  # takes a lower seq
        revoke(engine, late)  # commits first
        feed.refresh()
        assert feed.revoked.refuses(claims(late)) and not feed.revoked.refuses(claims(early))
        slow.commit()
    feed.refresh()
    assert feed.revoked.refuses(claims(early))
