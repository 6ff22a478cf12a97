"""What a fault-injection run does: how much load, which faults, how long to wait."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Plan:
    """What to run: how much load, which faults (names of :data:`FAULTS`), how long to wait."""

    citizens: int = 12
    petitions: int = 8
    rate_per_second: float = 8.0
    workers: int = 4
    faults: tuple[str, ...] = ("kill:petitions",)
    gap_seconds: float = 2.0
    receiver_down_seconds: float = 3.0  # under the 5 s first retry: see the report's notes
    settle_timeout: float = 120.0
    private_broker: bool = True
    shared_amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    work_dir: Path | None = None
    seed: int = 20241126


SHORT = Plan(
    citizens=10,
    petitions=16,
    rate_per_second=5.0,
    gap_seconds=1.5,
    faults=(
        "term:petitions",
        "term:notifications",
        "term:transparency",
        "kill:petitions",
        "receiver_down",
        "kill:transparency",
        "kill:notifications",
        "broker_restart",
        "postgres_restart",
    ),
    private_broker=False,
    settle_timeout=100.0,
)

FULL = Plan(
    citizens=30,
    petitions=40,  # 1,200 pairs at 8/s: the load lasts as long as the faults
    rate_per_second=8.0,
    workers=6,
    faults=(
        "term:mock-idp",
        "term:identity",
        "term:petitions",
        "term:notifications",
        "term:transparency",
        "kill:mock-idp",
        "kill:identity",
        "kill:petitions",
        "kill:notifications",
        "kill:transparency",
        "broker_restart",
        "postgres_restart",
        "receiver_down",
        "kill:petitions",
    ),
    gap_seconds=4.0,
    settle_timeout=240.0,
)
