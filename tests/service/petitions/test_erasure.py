"""A citizen erased by identity: their signatures still count, nothing here links them any more."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from services.petitions.storage.tables import dead_letters, signatures
from services.petitions.storage.tables import petitions as petitions_table
from shared.bus import EnvelopePublisher
from shared.envelope import Envelope
from tests.service.petitions.conftest import wait_until


def erased(sub: str) -> dict:
    return Envelope(
        type="identity.citizen_erased", payload={"subjects": {"petitions": sub}}, source="identity"
    ).to_dict()


def rows_of(petitions, sub: str) -> int:
    with petitions.db().connect() as conn:
        signed = conn.execute(
            sa.select(sa.func.count())
            .select_from(signatures)
            .where(signatures.c.citizen_sub == sub)
        ).scalar()
        authored = conn.execute(
            sa.select(sa.func.count())
            .select_from(petitions_table)
            .where(petitions_table.c.author_sub == sub)
        ).scalar()
    return signed + authored


def test_an_erased_citizen_is_unlinked_but_still_counted(petitions, amqp_uri):
    sub = "erase-me-" + uuid.uuid4().hex
    citizen = petitions.citizen(sub=sub)
    mine = petitions.create(citizen)
    petition = petitions.published()
    assert (
        petitions.http.post(
            f"/api/petitions/{petition['id']}/signatures", headers=citizen
        ).status_code
        == 201
    )
    assert rows_of(petitions, sub) == 2

    event = erased(sub)
    publish = EnvelopePublisher(amqp_uri, "identity")
    publish([event])
    wait_until(lambda: rows_of(petitions, sub) == 0)
    publish([event])  # redelivered: applied once, harmless
    assert petitions.http.get(f"/api/petitions/{petition['id']}").json()["signature_count"] == 1
    # the petition the citizen wrote is no longer theirs
    assert petitions.http.get(f"/api/petitions/{mine['id']}", headers=citizen).status_code == 404


def test_a_malformed_erasure_is_kept_for_an_operator(petitions, amqp_uri):
    marker = uuid.uuid4().hex
    bad = Envelope(
        type="identity.citizen_erased",
        payload={"subjects": {}, "marker": marker},
        source="identity",
    ).to_dict()
    EnvelopePublisher(amqp_uri, "identity")([bad])

    def dead_lettered() -> bool:
        with petitions.db().connect() as conn:
            return bool(
                conn.execute(
                    sa.select(dead_letters.c.id).where(dead_letters.c.body.contains(marker))
                ).first()
            )

    wait_until(dead_lettered)
