"""The login path's statements without a transaction around them, on the real database."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.identity import storage
from shared.db import UnitOfWork, make_engine


@pytest.fixture
def engine(settings: Any) -> Any:
    engine = make_engine(settings.database_url("identity"), pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def unit(engine: Any) -> UnitOfWork:
    return UnitOfWork(Session(engine, expire_on_commit=False), "identity")


def pending_login() -> dict[str, Any]:
    return {
        "state": uuid.uuid4().hex * 2,
        "browser_hash": "b" * 64,
        "provider_id": "mock",
        "upstream_nonce": "n" * 43,
        "upstream_verifier": "v" * 64,
        "client_id": "client",
        "redirect_uri": "http://127.0.0.1:1/callback",
        "client_state": None,
        "client_nonce": None,
        "scopes": ["openid"],
        "code_challenge": None,
        "acr": "eidas1",
        "expires_at": int(time.time()) + 600,
    }


def test_each_statement_commits_on_its_own_inside_the_block(engine):
    uow, row = unit(engine), pending_login()
    with pytest.raises(RuntimeError), storage.each_statement_commits(uow):
        storage.add_pending_login(uow, row)
        raise RuntimeError("the step fails after its insert")
    uow.rollback()  # nothing left to roll back: the insert committed by itself
    uow.close()
    assert storage.find_pending_login(unit(engine), row["state"]) is not None


def test_the_connection_goes_back_to_transactions_after_the_block(engine):
    """One pooled connection: what runs after the block, in this unit or the next, is a
    transaction again, which a rollback undoes."""
    uow = unit(engine)
    with storage.each_statement_commits(uow):
        storage.find_pending_login(uow, "unknown")
    uow.commit()
    for later in (uow, unit(engine)):
        row = pending_login()
        storage.add_pending_login(later, row)
        later.rollback()
        assert storage.find_pending_login(later, row["state"]) is None
        later.close()


def test_inside_a_begun_transaction_the_block_stays_in_it(engine):
    uow, row = unit(engine), pending_login()
    uow.execute(sa.text("SELECT 1"))  # the transaction has begun
    with storage.each_statement_commits(uow):
        storage.add_pending_login(uow, row)
    uow.rollback()
    assert storage.find_pending_login(uow, row["state"]) is None
    uow.close()
