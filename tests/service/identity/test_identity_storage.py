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


def session_and_code() -> tuple[dict[str, Any], dict[str, Any]]:
    now, sid = int(time.time()), uuid.uuid4().hex
    session = {
        "sid": sid,
        "browser_hash": "b" * 64,
        "provider_id": "mock",
        "upstream_id_token": "a.b.c",
        "expires_at": now + 1800,
    }
    code = {
        "code_hash": uuid.uuid4().hex * 2,
        "client_id": "client",
        "redirect_uri": "http://127.0.0.1:1/callback",
        "scopes": ["openid", "birthdate"],
        "nonce": "n" * 43,
        "acr": "eidas1",
        "adult": True,
        "claims": {"birthdate": "1980-01-01"},
        "code_challenge": None,
        "auth_time": now,
        "expires_at": now + 60,
        "sid": sid,
    }
    return session, code


def statements_sent(engine: Any) -> list[str]:
    sent: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    return sent


def stored_for(engine: Any, session: dict[str, Any], code: dict[str, Any]) -> tuple[Any, Any]:
    with engine.connect() as connection:
        tables = (storage.sessions, storage.authorization_codes)
        keys = (session["sid"], code["code_hash"])
        return tuple(  # type: ignore[return-value]
            connection.execute(sa.select(t).where(next(iter(t.primary_key)) == k)).mappings().one()
            for t, k in zip(tables, keys, strict=True)
        )


def test_a_login_adds_the_citizen_the_session_and_the_code_in_one_statement(engine):
    fingerprint, sent = uuid.uuid4().hex * 2, statements_sent(engine)
    citizen_ids, per_login = [], []
    for _ in range(2):  # a first login adds the citizen, the second finds them
        uow, (session, code) = unit(engine), session_and_code()
        before = len(sent)
        with storage.each_statement_commits(uow):
            citizen_ids.append(
                storage.add_citizen_session_and_code(
                    uow, fingerprint, uuid.uuid4().hex, session, code
                )
            )
        per_login.append(len(sent) - before)
        uow.close()
        stored_session, stored_code = stored_for(engine, session, code)
        assert stored_session["citizen_id"] == stored_code["citizen_id"] == citizen_ids[-1]
        assert stored_code["claims"] == {"birthdate": "1980-01-01"}
        assert stored_code["scopes"] == ["openid", "birthdate"] and stored_code["adult"] is True
    assert citizen_ids[0] == citizen_ids[1]
    assert per_login == [1, 1]


def test_a_citizen_added_by_a_concurrent_first_login_gets_the_session_and_the_code(engine):
    """The other login's citizen is committed after this statement's snapshot: the statement
    adds nothing, and the session and the code are added for the other login's citizen."""
    import threading

    fingerprint, other_id = uuid.uuid4().hex * 2, uuid.uuid4().hex
    other = make_engine(str(engine.url.render_as_string(hide_password=False)))
    racing = other.connect()
    racing.execute(
        storage.citizens.insert().values(
            id=other_id, fingerprint=fingerprint, created_at=sa.func.now()
        )
    )  # not committed yet: this login's insert will wait for it
    session, code = session_and_code()
    found: list[str] = []
    sent = statements_sent(engine)

    def login() -> None:
        uow = unit(engine)
        with storage.each_statement_commits(uow):
            found.append(
                storage.add_citizen_session_and_code(
                    uow, fingerprint, uuid.uuid4().hex, session, code
                )
            )
        uow.close()

    waiting = threading.Thread(target=login)
    waiting.start()
    time.sleep(0.5)
    assert not found  # waiting on the other login's row
    racing.commit()
    waiting.join(10)
    racing.close()
    other.dispose()
    assert found == [other_id]
    assert len(sent) == 3  # the one statement added nothing: the citizen, then the rest
    stored_session, stored_code = stored_for(engine, session, code)
    assert stored_session["citizen_id"] == stored_code["citizen_id"] == other_id


def test_the_client_and_the_claimed_code_come_from_one_statement(engine, register):
    client = register()
    uow, (session, code) = unit(engine), session_and_code()
    code["client_id"] = client.client_id
    with storage.each_statement_commits(uow):
        storage.add_citizen_session_and_code(uow, uuid.uuid4().hex * 2, "c" * 32, session, code)
    uow.close()
    sent, now = statements_sent(engine), int(time.time())
    uow = unit(engine)
    found, claimed = storage.find_client_and_claim_code(
        uow, client.client_id, code["code_hash"], now
    )
    assert found is not None and found.client_id == client.client_id
    assert claimed is not None and claimed["used_at"] == now and claimed["citizen_id"] == "c" * 32
    again = storage.find_client_and_claim_code(uow, client.client_id, code["code_hash"], now)
    assert again[0] is not None and again[1] is None  # used: the client alone
    assert storage.find_client_and_claim_code(uow, "no-such-client", "x", now) == (None, None)
    uow.rollback()
    uow.close()
    assert [s.lstrip().split()[0] for s in sent] == ["WITH"] * 3


def redeemable(engine: Any, client: Any, challenge: str | None = None) -> dict[str, Any]:
    uow, (session, code) = unit(engine), session_and_code()
    code.update(client_id=client.client_id, redirect_uri=client.redirect_uri)
    code["code_challenge"] = challenge
    citizen = uuid.uuid4().hex
    with storage.each_statement_commits(uow):
        storage.add_citizen_session_and_code(uow, uuid.uuid4().hex * 2, citizen, session, code)
    uow.close()
    return {**code, "citizen_id": citizen}


def redemption(client: Any, code: dict[str, Any], **changes: Any) -> dict[str, Any]:
    from services.identity.domain.digests import digest

    now = int(time.time())
    return {
        "now": now,
        "code_hash": code["code_hash"],
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "challenge": code["code_challenge"],
        "kinds": ["service-provider"],
        "public": False,
        "secret_hash": digest(client.client_secret),
        "jti": uuid.uuid4().hex,
        "access_expires_at": now + 600,
        "refresh_hash": uuid.uuid4().hex * 2,
        "refresh_ttl": 1800,
        **changes,
    }


def issued_for(engine: Any, code_hash: str) -> tuple[list[Any], list[Any], Any]:
    with engine.connect() as connection:
        grants = connection.execute(
            sa.select(storage.grants).where(storage.grants.c.code_hash == code_hash)
        ).mappings()
        grants = [dict(g) for g in grants]
        tokens = connection.execute(
            sa.select(storage.refresh_tokens).where(storage.refresh_tokens.c.family == code_hash)
        ).mappings()
        tokens = [dict(t) for t in tokens]
        used_at = connection.execute(
            sa.select(storage.authorization_codes.c.used_at).where(
                storage.authorization_codes.c.code_hash == code_hash
            )
        ).scalar()
    return grants, tokens, used_at


def test_a_code_is_redeemed_with_its_grant_and_refresh_token_in_one_statement(engine, register):
    client = register()
    code = redeemable(engine, client)
    params = redemption(client, code)
    sent, uow = statements_sent(engine), unit(engine)
    row = storage.redeem_code_at_once(uow, params)
    uow.close()
    assert row is not None and row["citizen_id"] == code["citizen_id"]
    assert row["used_at"] == params["now"]
    assert [s.lstrip().split()[0] for s in sent] == ["WITH"]  # no BEGIN, no COMMIT round trip
    grants, tokens, used_at = issued_for(engine, code["code_hash"])
    kept = {"client_id": client.client_id, "citizen_id": code["citizen_id"], "sid": code["sid"]}
    assert grants == [
        {
            **kept,
            "jti": params["jti"],
            "code_hash": code["code_hash"],
            "scopes": code["scopes"],
            "claims": code["claims"],
            "expires_at": params["access_expires_at"],
        }
    ]
    assert tokens == [
        {
            **kept,
            "token_hash": params["refresh_hash"],
            "family": code["code_hash"],
            "scopes": code["scopes"],
            "claims": code["claims"],
            "acr": code["acr"],
            "adult": code["adult"],
            "auth_time": code["auth_time"],
            "expires_at": code["auth_time"] + 1800,
            "used_at": None,
        }
    ]
    assert used_at == params["now"]
    again = unit(engine)  # spent: a second redemption takes nothing
    assert storage.redeem_code_at_once(again, redemption(client, code)) is None
    again.close()


CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.mark.parametrize(
    "refused",
    [
        "unknown code",
        "wrong secret",
        "no secret",
        "says it is public",
        "disabled",
        "a kind that may not redeem codes",
        "another client's code",
        "another redirect URI",
        "expired",
        "no verifier for a challenge",
        "a verifier for another challenge",
        "a verifier without a challenge",
    ],
)
def test_a_code_is_redeemed_at_once_only_when_every_check_passes(engine, register, refused):
    client, other = register(), register()
    code = redeemable(engine, client, None if "without" in refused else CHALLENGE)
    changes: dict[str, Any] = {
        "unknown code": {"code_hash": "0" * 64},
        "wrong secret": {"secret_hash": "0" * 64},
        "no secret": {"secret_hash": None},
        "says it is public": {"public": True, "secret_hash": None},
        "a kind that may not redeem codes": {"kinds": ["agency", "operator"]},
        "another client's code": {  # authenticated, for this code's redirect URI
            "client_id": other.client_id,
            "secret_hash": redemption(other, code)["secret_hash"],
        },
        "another redirect URI": {"redirect_uri": client.redirect_uri + "/x"},
        "expired": {"now": code["expires_at"]},
        "no verifier for a challenge": {"challenge": None},
        "a verifier for another challenge": {"challenge": "x" * 43},
        "a verifier without a challenge": {"challenge": CHALLENGE},
    }.get(refused, {})
    if refused == "disabled":
        with engine.begin() as connection:
            connection.execute(
                storage.clients.update()
                .where(storage.clients.c.client_id == client.client_id)
                .values(disabled=True)
            )
    uow = unit(engine)
    assert storage.redeem_code_at_once(uow, redemption(client, code, **changes)) is None
    uow.close()
    assert issued_for(engine, code["code_hash"]) == ([], [], None)  # nothing written, unspent
