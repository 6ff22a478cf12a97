"""The claims of the hub's tokens (the format other services rely on).

Access token (RFC 9068, header ``typ: at+jwt``, ES256 with ``kid``)::

    iss        IDENTITY_PUBLIC_URL
    aud        the resource service's public URL (shared.scopes.resources_for); a list when a
               machine client's scopes span several; the issuer itself when none (userinfo only)
    sub        citizen: pairwise per audience; machine client: its client_id
    client_id, scope (space-separated, granted), iat, exp = iat + HUB_ACCESS_TOKEN_TTL, jti
    acr        citizen tokens: the upstream level of assurance
    adult      citizen tokens whose scope includes "petitions": true/false (never the birthdate)
    signer     citizen tokens whose scope includes "petitions": one per person, whatever the
               subject (citizens.signer_claim); petitions keys its per-petition nullifier with it

ID token (OIDC Core 2): iss, sub (pairwise per client), aud (client_id), azp, iat, exp (60 s,
FranceConnect's lifetime), auth_time, acr, nonce (when sent; never on refresh, OIDC Core 12.2),
at_hash, sid (the hub's session, which RP-initiated logout ends).

Userinfo as a signed JWT (FranceConnect v2, OIDC Core 5.3.2): iss, aud (client_id), sub as in the
ID token, iat, exp (60 s), and the released claims.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from services.identity.domain.citizens import client_sector, pairwise_subject, resource_sector
from shared.oidc import b64url, random_token
from shared.scopes import CITIZEN_PETITIONS, resources_for

ID_TOKEN_TTL_SECONDS = 60
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - RFC 9068 media type


class Settings(Protocol):
    """The settings the claims depend on (shared.config.Settings has them)."""

    @property
    def subject_secret(self) -> str: ...

    @property
    def access_token_ttl(self) -> int: ...

    def public_url(self, process: str) -> str: ...


@dataclass(frozen=True)
class CitizenGrant:
    """What one authorization code stands for."""

    client_id: str
    citizen_id: str
    scopes: list[str]
    acr: str
    adult: bool
    nonce: str | None
    auth_time: int
    sid: str | None = None
    signer: str | None = None  # for the petitions scope (None: the citizen is no more)


def issuer(settings: Settings) -> str:
    return settings.public_url("identity")


def citizen_access_claims(
    settings: Settings, grant: CitizenGrant, now: int, jti: str | None = None
) -> dict[str, Any]:
    resources = resources_for(grant.scopes)
    aud = audience(resources, settings.public_url, issuer(settings))
    # NOTE: without a resource the token is for userinfo only; its sub is then the client's, so
    # that no two clients can link a citizen through it.
    sector = resource_sector(aud) if resources else client_sector(grant.client_id)  # type: ignore[arg-type]
    claims = _access_claims(settings, aud, grant.client_id, grant.scopes, now)
    if jti is not None:  # chosen before the grant it names was stored
        claims["jti"] = jti
    claims["sub"] = pairwise_subject(settings.subject_secret, sector, grant.citizen_id)
    claims["acr"] = grant.acr
    if CITIZEN_PETITIONS in grant.scopes:
        claims["adult"] = grant.adult
        if grant.signer is not None:
            claims["signer"] = grant.signer
    return claims


def machine_access_claims(
    settings: Settings, client_id: str, scopes: list[str], now: int
) -> dict[str, Any]:
    aud = audience(resources_for(scopes), settings.public_url, issuer(settings))
    claims = _access_claims(settings, aud, client_id, scopes, now)
    claims["sub"] = client_id
    return claims


def _access_claims(
    settings: Settings, aud: Any, client_id: str, scopes: list[str], now: int
) -> dict[str, Any]:
    return {
        "iss": issuer(settings),
        "aud": aud,
        "client_id": client_id,
        "scope": " ".join(scopes),
        "iat": now,
        "exp": now + settings.access_token_ttl,
        "jti": random_token(16),
    }


def id_token_claims(
    settings: Settings, grant: CitizenGrant, access_token: str, now: int
) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": issuer(settings),
        "sub": citizen_subject_for_client(settings, grant.client_id, grant.citizen_id),
        "aud": grant.client_id,
        "azp": grant.client_id,
        "iat": now,
        "exp": now + ID_TOKEN_TTL_SECONDS,
        "auth_time": grant.auth_time,
        "acr": grant.acr,
        "at_hash": at_hash(access_token),
    }
    if grant.nonce:
        claims["nonce"] = grant.nonce
    if grant.sid:
        claims["sid"] = grant.sid
    return claims


def userinfo_claims(
    settings: Settings, client_id: str, claims: dict[str, Any], now: int
) -> dict[str, Any]:
    return {
        "iss": issuer(settings),
        "aud": client_id,
        "iat": now,
        "exp": now + ID_TOKEN_TTL_SECONDS,
        **claims,
    }


def audience(
    resources: list[str], public_url: Callable[[str], str], issuer: str
) -> str | list[str]:
    """RFC 9068 ``aud``: the resource services' URLs; the issuer itself when there is none."""
    urls = [public_url(r) for r in resources]
    if not urls:
        return issuer
    return urls[0] if len(urls) == 1 else urls


def citizen_subject_for_client(settings: Settings, client_id: str, citizen_id: str) -> str:
    return pairwise_subject(settings.subject_secret, client_sector(client_id), citizen_id)


def at_hash(access_token: str) -> str:
    """OIDC Core 3.1.3.6: left half of the SHA-256 of the access token, base64url (ES256)."""
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest()[:16])
