"""A batch of signatures written by handlers.signatures.sign_batch, on both backends the hub
runs on: PostgreSQL (one statement for the signatures and their count shards) and SQLite
(``make run``'s default)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.petitions import schemas
from services.petitions.commands import SignRequest
from services.petitions.domain import AlreadySigned, Citizen, NotFound, PetitionRules, Receipt
from services.petitions.handlers import counts, drafts, petitions
from services.petitions.handlers.signatures import sign_batch
from services.petitions.storage.tables import count_shards, signatures
from shared.db import UnitOfWork, make_engine
from shared.migrations import upgrade


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "postgresql":
        url = request.getfixturevalue("database_urls")["petitions"]
    else:
        url = f"sqlite:///{tmp_path / 'petitions.db'}"
        upgrade("petitions", url)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _uow(engine: sa.Engine) -> UnitOfWork:
    return UnitOfWork(Session(engine), "petitions")


def _published(engine: sa.Engine) -> str:
    uow = _uow(engine)
    try:
        command = schemas.new_petition(
            {"title": "Open the school yards", "text": "Children need room to play every day."}
        )
        created = drafts.create_petition(command, f"author-{uuid.uuid4().hex}", uow, 0)
        petition_id = created.petition.id
    finally:
        uow.close()
    uow = _uow(engine)
    try:
        rules = PetitionRules(duration=timedelta(days=30))
        decision = schemas.moderation_decision({"decision": "publish"})
        petitions.moderate(petition_id, decision, rules, uow)
    finally:
        uow.close()
    return petition_id


def _sign(engine: sa.Engine, requests: list[SignRequest]) -> list[object]:
    uow = _uow(engine)
    try:
        return list(sign_batch(requests, uow))
    finally:
        uow.close()


def _citizen(sub: str) -> Citizen:
    return Citizen(sub=sub, acr="eidas1", adult=True, signer="signer-" + sub)


def test_a_batch_counts_each_citizen_once_per_petition_by_departement(engine: sa.Engine) -> None:
    first, second = _published(engine), _published(engine)
    ann, bob, eve = (_citizen(f"{n}-{uuid.uuid4().hex}") for n in ("ann", "bob", "eve"))
    outcomes = _sign(
        engine,
        [
            SignRequest(first, ann, "75"),
            SignRequest(first, ann, "13"),  # the same citizen twice in one batch
            SignRequest(first, bob),
            SignRequest(second, ann, "75"),
            SignRequest("no-such-petition", eve),
            SignRequest(second, eve, "75"),
        ],
    )
    kinds = [type(o).__name__ for o in outcomes]
    assert kinds == ["Receipt", "AlreadySigned", "Receipt", "Receipt", "NotFound", "Receipt"]
    assert isinstance(outcomes[1], AlreadySigned) and isinstance(outcomes[4], NotFound)
    # A later batch: bob again is refused, eve is new on the first petition.
    later = _sign(engine, [SignRequest(first, bob), SignRequest(first, eve)])
    assert [type(o).__name__ for o in later] == ["AlreadySigned", "Receipt"]

    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(signatures.c.petition_id, signatures.c.citizen_sub, signatures.c.departement)
        ).all()
        shards = conn.execute(
            sa.select(
                count_shards.c.petition_id,
                count_shards.c.departement,
                sa.func.sum(count_shards.c.count),
            )
            .where(count_shards.c.petition_id.in_([first, second]))
            .group_by(count_shards.c.petition_id, count_shards.c.departement)
        ).all()
    mine = {(p, s, d) for p, s, d in rows if p in (first, second)}
    assert mine == {
        (first, ann.sub, "75"),
        (first, bob.sub, None),
        (first, eve.sub, None),
        (second, ann.sub, "75"),
        (second, eve.sub, "75"),
    }
    assert {(p, d): int(n) for p, d, n in shards} == {
        (first, "75"): 1,
        (first, ""): 2,
        (second, "75"): 2,
    }
    receipts = [o for o in outcomes + later if isinstance(o, Receipt)]
    assert {r.signature_id for r in receipts} <= set(_ids(engine))  # each names a stored row


def _ids(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return [str(i) for i in conn.execute(sa.select(signatures.c.id)).scalars()]


def _announced(engine: sa.Engine, petition_id: str) -> list[int]:
    """The counts announced for this petition (its events in the outbox), in order."""
    from services.petitions.storage.tables import outbox

    with engine.connect() as conn:
        envelopes = conn.execute(
            sa.select(outbox.c.envelope)
            .where(outbox.c.event_type == "petition.signature_count_changed")
            .order_by(outbox.c.seq)
        ).scalars()
        return [
            e["payload"]["signature_count"]
            for e in envelopes
            if e["payload"]["petition_id"] == petition_id
        ]


def test_replicas_ticking_at_once_announce_a_petition_at_most_once_a_gap(
    engine: sa.Engine,
) -> None:
    rules = PetitionRules(duration=timedelta(days=30))
    petition = _published(engine)
    _sign(engine, [SignRequest(petition, _citizen(f"a-{uuid.uuid4().hex}"), None)])

    def tick() -> None:  # one replica's timer
        uow = _uow(engine)
        try:
            counts.announce_counts(rules, uow)
        finally:
            uow.close()

    tick()
    _sign(engine, [SignRequest(petition, _citizen(f"b-{uuid.uuid4().hex}"), None)])
    tick()  # another replica, a moment later: the count moved, but it was just announced
    assert _announced(engine, petition) == [1]
    time.sleep(counts.ANNOUNCE_MIN_GAP_SECONDS)
    tick()
    assert _announced(engine, petition) == [1, 2]
