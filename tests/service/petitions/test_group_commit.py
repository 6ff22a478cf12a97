"""Signatures under a crowd: concurrent signatures share transactions (group commit), and still
count each citizen once, with every receipt in the internal event notifications keeps."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import sqlalchemy as sa
from kombu import Connection, Queue

from services.petitions.storage.tables import count_shards, signatures
from shared.bus import event_exchange
from shared.metrics import registry_for
from tests.service.petitions.conftest import wait_until

CITIZENS = 40


def _batches() -> tuple[float, float]:
    registry = registry_for("petitions")
    count = registry.get_sample_value("hub_petitions_signature_batch_size_count") or 0.0
    total = registry.get_sample_value("hub_petitions_signature_batch_size_sum") or 0.0
    return count, total


def test_a_crowd_signs_in_shared_transactions_each_citizen_once(petitions, amqp_uri):
    first, second = petitions.published(), petitions.published()
    crowd = [f"crowd-{uuid.uuid4().hex}" for _ in range(CITIZENS)]
    # Each citizen signs the first petition twice at once, and the second once.
    attempts = [(first["id"], sub) for sub in crowd] * 2 + [(second["id"], sub) for sub in crowd]
    headers = {sub: petitions.citizen(sub=sub) for sub in crowd}
    results: list[tuple[str, int, dict]] = []
    start = threading.Barrier(len(attempts))

    def sign(petition_id: str, sub: str) -> None:
        start.wait()
        response = petitions.http.post(
            f"/api/petitions/{petition_id}/signatures", headers=headers[sub]
        )
        results.append((petition_id, response.status_code, response.json()))

    queue = Queue(
        "test-" + uuid.uuid4().hex,
        exchange=event_exchange("petitions"),
        routing_key="petition.signatures_recorded",
        auto_delete=True,
    )
    batches_before = _batches()
    with Connection(amqp_uri) as conn:
        bound = queue(conn.channel())
        bound.declare()
        threads = [threading.Thread(target=sign, args=a) for a in attempts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        outcomes = Counter((pid, status) for pid, status, _ in results)
        assert outcomes == {
            (first["id"], 201): CITIZENS,
            (first["id"], 409): CITIZENS,
            (second["id"], 201): CITIZENS,
        }
        refused = [body for _, status, body in results if status == 409]
        assert {body["error"] for body in refused} == {"already_signed"}
        # What notifications is told of each receipt: its four fields (never the secret).
        shared = ("signature_id", "petition_id", "signed_at", "hash")
        given = {
            body["receipt"]["signature_id"]: {k: body["receipt"][k] for k in shared}
            for _, s, body in results
            if s == 201
        }

        announced: dict[str, dict] = {}

        def every_receipt_announced() -> bool:
            message = bound.get(no_ack=True)
            while message is not None:
                for receipt in message.payload["payload"]["receipts"]:
                    announced[receipt["signature_id"]] = receipt
                message = bound.get(no_ack=True)
            return set(given) <= set(announced)

        wait_until(every_receipt_announced, timeout=10)
    assert {k: announced[k] for k in given} == given

    count, total = (
        after - before for after, before in zip(_batches(), batches_before, strict=True)
    )
    assert total == len(attempts)  # every signature, accepted or refused, went through a batch
    assert count < total, "concurrent signatures should have shared transactions"

    with petitions.db().connect() as db:
        for petition in (first, second):
            rows = db.execute(
                sa.select(sa.func.count())
                .select_from(signatures)
                .where(signatures.c.petition_id == petition["id"])
            ).scalar()
            counted = db.execute(
                sa.select(sa.func.sum(count_shards.c.count)).where(
                    count_shards.c.petition_id == petition["id"]
                )
            ).scalar()
            assert rows == counted == CITIZENS
    for petition in (first, second):
        shown = petitions.http.get(f"/api/petitions/{petition['id']}").json()
        assert shown["signature_count"] == CITIZENS
