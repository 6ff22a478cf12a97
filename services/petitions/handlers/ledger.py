"""The petitions' side of the transparency log: the leaves each use case adds (TLOG_SPEC §2),
sent to the transparency service as one ``petition.log_leaves_recorded`` event per transaction,
through the outbox (so a leaf is sent if and only if what it records is committed).

A petition's key k_P is made when it is published (its commitment goes in the ``open`` leaf) and
destroyed by retention (then the ``erase`` leaf). Petitions published before the log get their
key and ``open`` lazily, in the transaction of their first signature or end that needs it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime
from typing import Any

from hub_verify import leaves

from services.petitions.domain import Petition
from services.petitions.events import LogLeavesRecorded
from services.petitions.storage.repository import PetitionRepository
from shared.clock import isoformat
from shared.db import UnitOfWork

FLAGS = {"resign": "1"}  # re-signing after a withdrawal is allowed; no départements in leaves
KEY_BYTES = 32
# A signature made before the log has no signer to derive its nullifier from: each gets one from
# its row id instead (unique, keyed, looks like any other), and a commitment whose secret nobody
# keeps. They count as they did; only the citizens who sign from now on can prove theirs.
LEGACY_SIGNER = "legacy-signature:"


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def _canonical_hash(document: dict[str, Any]) -> bytes:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).digest()


def _iso(moment: datetime | None) -> str | None:
    return isoformat(moment) if moment else None


def text_hash(petition: Petition) -> bytes:
    """SHA-256 of the canonical petition document (what was published)."""
    return _canonical_hash(
        {
            "id": petition.id,
            "title": petition.title,
            "text": petition.text,
            "published_at": _iso(petition.published_at),
            "deadline": _iso(petition.deadline),
        }
    )


def result_hash(petition: Petition, count: int) -> bytes:
    """SHA-256 of the canonical result document (what was closed, when, with what count)."""
    return _canonical_hash(
        {
            "id": petition.id,
            "count": count,
            "closed_at": _iso(petition.closed_at),
            "status": petition.status,
        }
    )


def check_secret(petition_id: str, secret: bytes, commitment_hex: str | None) -> bool:
    """Whether ``secret`` is the receipt secret of this commitment (constant time)."""
    if commitment_hex is None:
        return False
    made = leaves.commitment(petition_id, secret).hex()
    return hmac.compare_digest(made, commitment_hex)


class Ledger:
    """The leaves of one transaction, in the order things happened; :meth:`emit` before commit."""

    def __init__(self) -> None:
        self.leaves: list[dict[str, Any]] = []

    def open(self, petition: Petition, key: bytes) -> None:
        leaf = leaves.Open(petition.id, text_hash(petition), leaves.key_commit(key), dict(FLAGS))
        self.leaves.append({"kind": "open", "petition_id": petition.id, "line": leaf.line()})

    def sign(self, petition_id: str, nullifier: bytes, commitment: bytes) -> None:
        line = leaves.Sign(petition_id, nullifier, commitment).line()
        self.leaves.append(
            {
                "kind": "sign",
                "petition_id": petition_id,
                "commitment": commitment.hex(),
                "line": line,
            }
        )

    def withdraw(self, petition_id: str, commitment_hex: str, secret: bytes | None) -> None:
        self.leaves.append(
            {
                "kind": "withdraw",
                "petition_id": petition_id,
                "commitment": commitment_hex,
                "secret": secret.hex() if secret is not None else None,
            }
        )

    def close(self, petition: Petition, count: int) -> None:
        line = leaves.Close(petition.id, count, result_hash(petition, count)).line()
        self.leaves.append(
            {"kind": "close", "petition_id": petition.id, "count": count, "line": line}
        )

    def erase(self, petition_id: str, day: str) -> None:
        line = leaves.Erase(petition_id, day).line()
        self.leaves.append({"kind": "erase", "petition_id": petition_id, "line": line})

    def emit(self, uow: UnitOfWork) -> None:
        if self.leaves:
            uow.emit(LogLeavesRecorded(tuple(self.leaves)))


def publish(repo: PetitionRepository, ledger: Ledger, petition: Petition, now: datetime) -> None:
    """A petition just published: its key, and its ``open`` leaf."""
    key = new_key()
    repo.add_key(petition.id, key, now)
    ledger.open(petition, key)


def key_of(repo: PetitionRepository, ledger: Ledger, petition: Petition, now: datetime) -> bytes:
    """The petition's key; for a petition published before the log, made now with its ``open``
    and a ``sign`` for each signature it already has (once: a concurrent transaction doing the
    same waits for this one, then reads the key it made)."""
    key = repo.key(petition.id)
    if key is not None:
        return key
    made = repo.add_key(petition.id, new_key(), now)
    if made is None:  # another transaction made it first
        found = repo.key(petition.id)
        assert found is not None  # noqa: S101 - the insert conflicted with it
        return found
    ledger.open(petition, made)
    backfill(repo, ledger, petition.id, made)
    return made


def backfill(repo: PetitionRepository, ledger: Ledger, petition_id: str, key: bytes) -> None:
    """Signatures made before the log: a nullifier and commitment each, and their ``sign``."""
    done = []
    for signature_id in repo.unlogged_signatures(petition_id):
        nullifier = leaves.nullifier(key, LEGACY_SIGNER + signature_id)
        commitment = leaves.commitment(petition_id, secrets.token_bytes(32))
        ledger.sign(petition_id, nullifier, commitment)
        done.append({"b_id": signature_id, "b_n": nullifier.hex(), "b_c": commitment.hex()})
    repo.set_log_fields(done)


def close(
    repo: PetitionRepository, ledger: Ledger, petition: Petition, count: int, now: datetime
) -> None:
    """A petition whose signing just ended (closed, or hidden or withdrawn while open), its row
    locked: its ``close`` with ``count``, read under that lock (no signature commits after)."""
    key_of(repo, ledger, petition, now)
    ledger.close(petition, count)


def erase(repo: PetitionRepository, ledger: Ledger, petition_id: str, now: datetime) -> bool:
    """Retention: the key destroyed and the ``erase`` leaf, if the petition had a key."""
    if not repo.delete_key(petition_id):
        return False
    ledger.erase(petition_id, now.date().isoformat())
    return True
