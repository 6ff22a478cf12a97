"""Making the leaves petitions would send, and waiting for the log to show them."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from hub_verify import leaves

from shared.envelope import Envelope

LEAVES_RECORDED = "petition.log_leaves_recorded"


class Petition:
    """One petition's leaves, made as petitions makes them (valid lines, real commitments)."""

    def __init__(self) -> None:
        self.id = str(uuid.uuid4())
        self.key = os.urandom(32)
        self.secrets: dict[str, bytes] = {}

    def open(self) -> dict[str, Any]:
        text_hash = hashlib.sha256(self.id.encode()).digest()
        line = leaves.Open(self.id, text_hash, leaves.key_commit(self.key), {"resign": "1"}).line()
        return {"kind": "open", "petition_id": self.id, "line": line}

    def sign(self, signer: str | None = None) -> dict[str, Any]:
        secret = os.urandom(32)
        commitment = leaves.commitment(self.id, secret)
        self.secrets[commitment.hex()] = secret
        nullifier = leaves.nullifier(self.key, signer or uuid.uuid4().hex)
        line = leaves.Sign(self.id, nullifier, commitment, None).line()
        return {
            "kind": "sign",
            "petition_id": self.id,
            "commitment": commitment.hex(),
            "line": line,
        }

    def withdraw(self, commitment: str, reveal: bool = True) -> dict[str, Any]:
        secret = self.secrets[commitment].hex() if reveal else None
        return {
            "kind": "withdraw",
            "petition_id": self.id,
            "commitment": commitment,
            "secret": secret,
        }

    def close(self, count: int) -> dict[str, Any]:
        result = hashlib.sha256(f"{self.id}:{count}".encode()).digest()
        line = leaves.Close(self.id, count, result).line()
        return {"kind": "close", "petition_id": self.id, "count": count, "line": line}

    def erase(self) -> dict[str, Any]:
        line = leaves.Erase(self.id, "2027-01-01").line()
        return {"kind": "erase", "petition_id": self.id, "line": line}


def leaves_event(items: list[dict[str, Any]], event_id: str | None = None) -> Envelope:
    envelope = Envelope(type=LEAVES_RECORDED, payload={"leaves": items}, source="petitions")
    if event_id:
        envelope = Envelope(
            type=LEAVES_RECORDED, payload={"leaves": items}, source="petitions", id=event_id
        )
    return envelope


def eventually(check: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or check}: last {last!r}")
