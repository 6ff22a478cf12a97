"""What the transparency service is asked to do, as plain data: the leaves petitions recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub_verify import leaves

LEAVES_RECORDED = "petition.log_leaves_recorded"


@dataclass(frozen=True)
class LeafItem:
    position: int
    kind: str
    petition_id: str
    line: str | None
    commitment: str | None = None
    secret: str | None = None
    count: int | None = None


@dataclass(frozen=True)
class BadItem:
    position: int
    item: Any
    reason: str


@dataclass(frozen=True)
class LeavesRecorded:
    event_id: str
    items: list[LeafItem]
    bad: list[BadItem]


def withdraw_line(petition_id: str, sign_index: int, secret: str | None) -> str:
    """The withdraw leaf (TLOG_SPEC §2): the sign's index and the revealed secret, or ``-``."""
    revealed = bytes.fromhex(secret) if secret is not None else None
    return leaves.Withdraw(petition_id, sign_index, revealed).line()
