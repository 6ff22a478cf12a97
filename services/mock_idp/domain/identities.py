"""The mock provider's test identities: a pivot identity, the level the mock vouches for, and
optionally a fault that makes the mock misbehave, for tests of the hub's refusals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.oidc import ACR_LEVELS, PIVOT_FIELDS
from shared.scopes import PIVOT_SCOPES

# What a fault identity makes the mock do, for tests of the hub's refusals:
FAULTS = (
    "access_denied",  # answer the hub with error=access_denied (the citizen said no)
    "timeout",  # the token endpoint answers only after the hub's timeout for this provider
    "bad_signature",  # the ID token is signed by another key under the published kid
    "wrong_nonce",  # the ID token carries another nonce than the one sent
    "sub_mismatch",  # userinfo names another sub than the ID token
)


class IdentitiesError(ValueError):
    """The identities file cannot be used; the message says why."""


@dataclass(frozen=True)
class TestIdentity:
    __test__ = False  # not a pytest test class

    key: str
    label: str
    acr: str
    claims: dict[str, str]  # the pivot identity, email and preferred_username
    fault: str | None = None  # makes the mock misbehave for this identity (FAULTS)


def identities_from(entries: Any, source: str) -> dict[str, TestIdentity]:
    """The identities of an ``identities:`` mapping read from ``source`` (for messages)."""
    if not isinstance(entries, dict) or not entries:
        raise IdentitiesError(f"MOCK_IDP_IDENTITIES: {source} has no `identities:` mapping")
    return {str(key): _identity(str(key), value) for key, value in entries.items()}


def _identity(key: str, value: Any) -> TestIdentity:
    if not isinstance(value, dict):
        raise IdentitiesError(f"MOCK_IDP_IDENTITIES: identity {key!r} must be a mapping")
    missing = [f for f in PIVOT_FIELDS if f not in value]
    if missing:
        raise IdentitiesError(f"MOCK_IDP_IDENTITIES: identity {key!r} lacks {', '.join(missing)}")
    acr = value.get("acr", "eidas1")
    if acr not in ACR_LEVELS:
        raise IdentitiesError(f"MOCK_IDP_IDENTITIES: identity {key!r} has an unknown acr {acr!r}")
    fault = value.get("fault")
    if fault is not None and fault not in FAULTS:
        raise IdentitiesError(f"MOCK_IDP_IDENTITIES: identity {key!r} has an unknown fault")
    claims = {c: str(value[c]) for c in PIVOT_SCOPES if value.get(c) is not None}
    label = str(value.get("label") or key)
    return TestIdentity(key=key, label=label, acr=acr, claims=claims, fault=fault)
