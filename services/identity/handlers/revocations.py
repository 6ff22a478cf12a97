"""The revocation feed, sending end: identity tells the resource services which access tokens
stopped being valid before their ``exp`` (receiving end: shared/revocation.py, shared/denylist.py).

Access tokens are JWTs the resource services verify locally; without this they would keep working
until they expire. Each event goes through the outbox in the transaction that revokes, so it is
published if and only if the revocation is committed (the event:
:class:`services.identity.events.TokensRevoked`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.identity.events import TokensRevoked
from shared.db import UnitOfWork

TOKENS_REVOKED = TokensRevoked.TYPE
MAX_TOKENS_PER_EVENT = 500  # a long refresh chain's family stays a few small messages


def announce_tokens(uow: UnitOfWork, reason: str, revoked: Iterable[tuple[str, int]]) -> int:
    """Access tokens revoked one by one: their ``jti`` and ``exp``; how many were announced."""
    tokens = [{"jti": jti, "exp": int(exp)} for jti, exp in revoked]
    for start in range(0, len(tokens), MAX_TOKENS_PER_EVENT):
        chunk = tokens[start : start + MAX_TOKENS_PER_EVENT]
        uow.emit(TokensRevoked(reason, tokens=chunk))
    return len(tokens)


def announce_client(uow: UnitOfWork, client_id: str, now: int, token_ttl: int) -> None:
    """Every token the (disabled) client holds, its citizens' and its own machine tokens, none of
    which identity lists: those issued up to now."""
    window = _issued_up_to(now, token_ttl)
    uow.emit(TokensRevoked("client_disabled", clients=[{"client_id": client_id, **window}]))


def announce_subjects(
    uow: UnitOfWork, subjects: Mapping[str, str], now: int, token_ttl: int
) -> None:
    """Every token of an erased citizen issued up to now, by each resource service's subject."""
    window = _issued_up_to(now, token_ttl)
    entries = [{"resource": r, "sub": sub, **window} for r, sub in sorted(subjects.items())]
    uow.emit(TokensRevoked("citizen_erased", subjects=entries))


def _issued_up_to(now: int, token_ttl: int) -> dict[str, Any]:
    # NOTE: iat is in whole seconds: a token issued during this second is covered too. The last
    # one expires token_ttl later (tokens issued under a longer HUB_ACCESS_TOKEN_TTL, before a
    # restart that shortened it, would outlive the entry).
    return {"issued_before": now + 1, "exp": now + token_ttl}
