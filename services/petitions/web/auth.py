"""Who is asking the JSON API: the bearer token's verified claims, checked for what each
entrypoint needs (a scope, a citizen)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from services.petitions import schemas
from services.petitions.domain import Citizen
from shared.scopes import CITIZEN_PETITIONS, PETITIONS_MODERATE, has_scope
from shared.web import HttpError, bearer_token


def claims_with(tokens: Any, request: Request, scope: str) -> dict[str, Any]:
    claims: dict[str, Any] = tokens.claims(bearer_token(request))
    if not has_scope(claims, scope):
        raise HttpError(403, "insufficient_scope", f"this needs a token with the {scope!r} scope")
    return claims


def citizen(tokens: Any, request: Request) -> Citizen:
    return schemas.citizen(citizen_claims(tokens, request))


def citizen_claims(tokens: Any, request: Request) -> dict[str, Any]:
    claims = claims_with(tokens, request, CITIZEN_PETITIONS)
    if "acr" not in claims:
        raise HttpError(403, "not_a_citizen", "this needs a citizen's token (signed-in person)")
    return claims


def optional_claims(
    tokens: Any, request: Request, scope: str | None = None
) -> dict[str, Any] | None:
    if "Authorization" not in request.headers:
        return None
    claims: dict[str, Any] = tokens.claims(bearer_token(request))
    return claims if scope is None or has_scope(claims, scope) else None


def viewer(claims: dict[str, Any] | None) -> tuple[str | None, bool]:
    """Whose petitions the claims may see before moderation: (citizen's sub, operator)."""
    sub = claims.get("sub") if claims and has_scope(claims, CITIZEN_PETITIONS) else None
    return sub, bool(claims and has_scope(claims, PETITIONS_MODERATE))
