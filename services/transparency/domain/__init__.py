"""The transparency log's rules, in the standard library only: which pending leaves may enter the
log now (the holds of TLOG_SPEC §2), in which order, and the errors the service answers with."""

from services.transparency.domain.errors import (
    InvalidLeaves,
    LogError,
    NotFound,
    NotYet,
    Refused,
)
from services.transparency.domain.holds import (
    Dead,
    LogView,
    Pending,
    PetitionView,
    Placed,
    Plan,
    plan,
    plan_round,
)

__all__ = [
    "Dead",
    "InvalidLeaves",
    "LogError",
    "LogView",
    "NotFound",
    "NotYet",
    "Pending",
    "PetitionView",
    "Placed",
    "Plan",
    "Refused",
    "plan",
    "plan_round",
]
