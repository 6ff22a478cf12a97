"""What the identity service tells the others, on the ``identity.events`` exchange (through its
outbox, in the transaction that does it).

Both are internal: never forwarded to agencies. They name tokens by ``jti``, clients by id and
erased citizens by the pairwise subjects the resource services already know them by, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from shared.events import Event


@dataclass(frozen=True)
class CitizenErased(Event):
    """``hub citizens erase``: each resource service forgets the citizen it knows by
    ``subjects[<its process>]``."""

    TYPE: ClassVar[str] = "identity.citizen_erased"
    VERSION: ClassVar[int] = 1

    subjects: dict[str, str]


@dataclass(frozen=True)
class TokensRevoked(Event):
    """Access tokens that stopped being valid before their ``exp``; the resource services refuse
    them (shared/revocation.py). One of ``tokens`` (``{jti, exp}``), ``clients`` or ``subjects``
    (``{..., issued_before, exp}``: every token issued to them before then) is given."""

    TYPE: ClassVar[str] = "identity.tokens_revoked"
    VERSION: ClassVar[int] = 1

    reason: str
    tokens: list[dict[str, Any]] | None = None
    clients: list[dict[str, Any]] | None = None
    subjects: list[dict[str, Any]] | None = None

    def payload(self) -> dict[str, Any]:
        """``reason`` and the one list given, as on the wire since the feed began."""
        return {name: value for name, value in super().payload().items() if value is not None}
