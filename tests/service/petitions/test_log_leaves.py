"""The leaves petitions sends the transparency log (petition.log_leaves_recorded, TLOG_SPEC §2),
read back from its outbox and parsed as any verifier would (hub_verify.leaves); receipts with
their commitment and secret; withdrawals with and without the secret; bad input."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from hub_verify import leaves

from services.petitions.cli import with_unit_of_work
from services.petitions.handlers import counts, upkeep
from services.petitions.storage.tables import outbox, petition_keys, signatures
from services.petitions.storage.tables import petitions as petitions_table
from shared.clock import utcnow

LOG_EVENT = "petition.log_leaves_recorded"


def log_items(petitions: Any, petition_id: str) -> list[dict[str, Any]]:
    """Every leaf item petitions sent for this petition, in outbox order."""
    with petitions.db().connect() as conn:
        rows = conn.execute(
            sa.select(outbox.c.envelope)
            .where(outbox.c.event_type == LOG_EVENT)
            .order_by(outbox.c.seq)
        ).scalars()
        envelopes = [r if isinstance(r, dict) else json.loads(r) for r in rows]
    items = [i for e in envelopes for i in e["payload"]["leaves"]]
    return [i for i in items if i["petition_id"] == petition_id]


def key_of(petitions: Any, petition_id: str) -> bytes | None:
    with petitions.db().connect() as conn:
        found = conn.execute(
            sa.select(petition_keys.c.key).where(petition_keys.c.petition_id == petition_id)
        ).scalar()
    return bytes(found) if found is not None else None


def sign(petitions: Any, petition_id: str, sub: str, **body: Any) -> Any:
    return petitions.http.post(
        f"/api/petitions/{petition_id}/signatures",
        json=body or None,
        headers=petitions.citizen(sub=sub),
    )


def withdraw(petitions: Any, petition_id: str, sub: str, body: Any = None) -> Any:
    return petitions.http.delete(
        f"/api/petitions/{petition_id}/signatures/me",
        json=body,
        headers=petitions.citizen(sub=sub),
    )


def test_publication_opens_the_petition_in_the_log_with_its_key_commitment(petitions):
    petition = petitions.published()
    (item,) = log_items(petitions, petition["id"])
    opened = leaves.parse_leaf(item["line"])
    key = key_of(petitions, petition["id"])
    assert isinstance(opened, leaves.Open) and item["kind"] == "open"
    assert opened.petition_id == petition["id"] and opened.resign and not opened.departements
    assert key is not None and opened.key_commit == leaves.key_commit(key)
    document = {k: petition[k] for k in ("id", "title", "text", "published_at", "deadline")}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert opened.text_hash == hashlib.sha256(canonical.encode()).digest()


def test_a_signature_made_by_the_hub_gives_its_secret_once_and_a_sign_leaf(petitions):
    petition_id = petitions.published()["id"]
    answer = sign(petitions, petition_id, "alice")
    assert answer.status_code == 201, answer.text
    receipt = answer.json()["receipt"]
    secret = bytes.fromhex(receipt["receipt_secret"])
    commitment = leaves.commitment(petition_id, secret)
    assert receipt["commitment"] == commitment.hex()
    transparency = petitions.settings.public_url("transparency")
    assert receipt["proof_url"] == f"{transparency}/tlog/api/v1/receipts/{commitment.hex()}"
    _, item = log_items(petitions, petition_id)
    signed = leaves.parse_leaf(item["line"])
    assert isinstance(signed, leaves.Sign) and signed.departement is None
    assert item == {
        "kind": "sign",
        "petition_id": petition_id,
        "commitment": commitment.hex(),
        "line": signed.line(),
    }
    key = key_of(petitions, petition_id)
    assert key is not None and signed.nullifier == leaves.nullifier(key, "signer-alice")
    assert signed.commitment == commitment
    with petitions.db().connect() as conn:  # the secret and the signer are kept nowhere
        row = conn.execute(sa.select(signatures).where(signatures.c.petition_id == petition_id))
        values = [str(v) for v in row.one()._mapping.values()]
    assert not any(receipt["receipt_secret"] in v or "signer-alice" in v for v in values)


def test_a_commitment_given_by_the_citizen_is_the_one_logged_and_no_secret_comes_back(petitions):
    petition_id = petitions.published()["id"]
    secret = secrets.token_bytes(32)
    commitment = leaves.commitment(petition_id, secret).hex()
    answer = sign(petitions, petition_id, "bob", commitment=commitment, departement="2A")
    assert answer.status_code == 201, answer.text
    receipt = answer.json()["receipt"]
    assert receipt["commitment"] == commitment and "receipt_secret" not in receipt
    assert log_items(petitions, petition_id)[-1]["commitment"] == commitment


def test_the_same_signer_under_another_subject_is_refused(petitions):
    petition_id = petitions.published()["id"]
    assert sign(petitions, petition_id, "carol").status_code == 201
    other = petitions.citizen(sub="carol-new-subject", signer="signer-carol")
    again = petitions.http.post(f"/api/petitions/{petition_id}/signatures", headers=other)
    assert again.status_code == 409 and again.json()["error"] == "already_signed"
    assert [i["kind"] for i in log_items(petitions, petition_id)] == ["open", "sign"]


def test_a_token_without_signer_cannot_sign(petitions):
    petition_id = petitions.published()["id"]
    old = petitions.citizen(sub="dave", signer=None)
    answer = petitions.http.post(f"/api/petitions/{petition_id}/signatures", headers=old)
    assert answer.status_code == 403 and answer.json()["error"] == "sign_in_again"


def test_withdrawals_reveal_the_secret_or_dash_and_a_wrong_secret_changes_nothing(petitions):
    petition_id = petitions.published()["id"]
    with_secret = sign(petitions, petition_id, "erin").json()["receipt"]
    without = sign(petitions, petition_id, "frank").json()["receipt"]

    wrong = withdraw(petitions, petition_id, "erin", {"receipt_secret": "ab" * 32})
    assert wrong.status_code == 400 and wrong.json()["error"] == "wrong_receipt_secret"
    assert petitions.http.get(f"/api/petitions/{petition_id}").json()["signature_count"] == 2
    assert [i["kind"] for i in log_items(petitions, petition_id)] == ["open", "sign", "sign"]

    secret = with_secret["receipt_secret"]
    assert withdraw(petitions, petition_id, "erin", {"receipt_secret": secret}).status_code == 204
    assert withdraw(petitions, petition_id, "frank").status_code == 204
    *_, proven, operator = log_items(petitions, petition_id)
    assert proven == {
        "kind": "withdraw",
        "petition_id": petition_id,
        "commitment": with_secret["commitment"],
        "secret": secret,
    }
    assert operator["commitment"] == without["commitment"] and operator["secret"] is None
    # Anyone can check the revealed secret against the sign leaf's commitment.
    assert leaves.commitment(petition_id, bytes.fromhex(secret)).hex() == with_secret["commitment"]
    assert petitions.http.get(f"/api/petitions/{petition_id}").json()["signature_count"] == 0
    # re-signing after a withdrawal is allowed (resign=1): a new commitment, the same nullifier
    assert sign(petitions, petition_id, "erin").status_code == 201
    items = log_items(petitions, petition_id)
    (first,) = [
        i for i in items if i["kind"] == "sign" and i["commitment"] == with_secret["commitment"]
    ]
    again = leaves.parse_leaf(items[-1]["line"])
    assert isinstance(again, leaves.Sign)
    assert again.commitment.hex() != with_secret["commitment"]
    assert again.nullifier == leaves.parse_leaf(first["line"]).nullifier  # type: ignore[union-attr]


def test_malformed_commitments_and_secrets_are_refused_clearly(petitions):
    petition_id = petitions.published()["id"]
    for bad in ("AB" * 32, "ab" * 31, "zz" * 32, "ab" * 33, 42, ""):
        answer = sign(petitions, petition_id, "gina", commitment=bad)
        assert answer.status_code == 400, bad
        assert answer.json()["error"] == "invalid_commitment"
    unknown = sign(petitions, petition_id, "gina", commitment="ab" * 32, colour="red")
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_request"
    assert sign(petitions, petition_id, "gina").status_code == 201
    for bad in ("AB" * 32, "ab" * 16, "not hex", 7):
        answer = withdraw(petitions, petition_id, "gina", {"receipt_secret": bad})
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_receipt_secret"
    extra = withdraw(petitions, petition_id, "gina", {"secret": "ab" * 32})
    assert extra.status_code == 400 and extra.json()["error"] == "invalid_request"
    assert petitions.http.get(f"/api/petitions/{petition_id}").json()["signature_count"] == 1


def test_closing_logs_the_exact_count_even_while_citizens_sign(petitions):
    petition_id = petitions.published()["id"]
    start = threading.Barrier(41)

    def crowd(n: int) -> None:
        start.wait()
        sign(petitions, petition_id, f"crowd-{n}-{uuid.uuid4().hex}")

    threads = [threading.Thread(target=crowd, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    start.wait()
    petitions.decide(petition_id, "close")
    for t in threads:
        t.join()
    with petitions.db().connect() as conn:
        rows = conn.execute(
            sa.select(sa.func.count())
            .select_from(signatures)
            .where(signatures.c.petition_id == petition_id)
        ).scalar_one()
    items = log_items(petitions, petition_id)
    closed = leaves.parse_leaf(items[-1]["line"])
    assert isinstance(closed, leaves.Close) and items[-1]["count"] == closed.count == rows
    assert sum(1 for i in items if i["kind"] == "sign") == rows  # none after the close
    shown = petitions.http.get(f"/api/petitions/{petition_id}").json()
    assert shown["signature_count"] == rows
    result = {k: shown[k] for k in ("id", "closed_at", "status")} | {"count": rows}
    canonical = json.dumps(result, sort_keys=True, separators=(",", ":"))
    assert closed.result_hash == hashlib.sha256(canonical.encode()).digest()


def test_the_deadline_closes_in_the_log_too(petitions):
    petition_id = petitions.published()["id"]
    assert sign(petitions, petition_id, "hugo").status_code == 201
    with petitions.db().begin() as conn:
        conn.execute(
            sa.update(petitions_table)
            .where(petitions_table.c.id == petition_id)
            .values(deadline=utcnow() - timedelta(seconds=1))
        )
    with_unit_of_work(petitions.settings, counts.close_expired)
    kinds = [i["kind"] for i in log_items(petitions, petition_id)]
    assert kinds == ["open", "sign", "close"]
    assert log_items(petitions, petition_id)[-1]["count"] == 1


def test_retention_destroys_the_key_and_logs_the_erasure(petitions):
    petition_id = petitions.published()["id"]
    assert sign(petitions, petition_id, "ines").status_code == 201
    petitions.decide(petition_id, "close")
    with petitions.db().begin() as conn:
        conn.execute(
            sa.update(petitions_table)
            .where(petitions_table.c.id == petition_id)
            .values(closed_at=utcnow() - timedelta(days=400))
        )
    with_unit_of_work(petitions.settings, upkeep.retire_signers, timedelta(days=180), 100_000)
    assert key_of(petitions, petition_id) is None
    items = log_items(petitions, petition_id)
    assert [i["kind"] for i in items] == ["open", "sign", "close", "erase"]
    erased = leaves.parse_leaf(items[-1]["line"])
    assert isinstance(erased, leaves.Erase) and erased.day == utcnow().date().isoformat()


def test_a_petition_published_before_the_log_opens_lazily_with_its_signatures(petitions):
    petition_id = petitions.published()["id"]
    assert sign(petitions, petition_id, "jade").status_code == 201
    with petitions.db().begin() as conn:  # as if published and signed before the log
        conn.execute(sa.delete(petition_keys).where(petition_keys.c.petition_id == petition_id))
        conn.execute(
            sa.update(signatures)
            .where(signatures.c.petition_id == petition_id)
            .values(nullifier=None, commitment=None)
        )
        conn.execute(sa.delete(outbox).where(outbox.c.event_type == LOG_EVENT))
    assert sign(petitions, petition_id, "kim").status_code == 201
    items = log_items(petitions, petition_id)
    assert [i["kind"] for i in items] == ["open", "sign", "sign"]
    key = key_of(petitions, petition_id)
    assert key is not None
    assert leaves.parse_leaf(items[0]["line"]).key_commit == leaves.key_commit(key)  # type: ignore[union-attr]
    assert leaves.parse_leaf(items[2]["line"]).nullifier == leaves.nullifier(key, "signer-kim")  # type: ignore[union-attr]
