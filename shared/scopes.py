"""The hub's OAuth scopes, and which resource service (access-token audience) each one is for.

Access tokens are JWTs whose ``aud`` is the public URL of the resource service the scopes are for;
a citizen's ``sub`` in them is pairwise per that audience (the contract).
"""

from __future__ import annotations

# The pivot-identity claims FranceConnect offers, one scope each, and their aliases.
PIVOT_SCOPES = (
    "given_name",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "email",
    "preferred_username",
)
SCOPE_ALIASES = {
    "profile": ("given_name", "family_name", "birthdate", "gender", "preferred_username"),
    "birth": ("birthplace", "birthcountry"),
    "identite_pivot": (
        "given_name",
        "family_name",
        "birthdate",
        "gender",
        "birthplace",
        "birthcountry",
    ),
}

CITIZEN_PETITIONS = "petitions"  # sign and create petitions, as a citizen
PETITIONS_READ = "petitions:read"  # agencies
PETITIONS_MODERATE = "petitions:moderate"  # operators
EVENTS_SUBSCRIBE = "events:subscribe"  # agencies

# scope -> the process whose public URL is the audience of tokens carrying it
RESOURCE_OF_SCOPE = {
    CITIZEN_PETITIONS: "petitions",
    PETITIONS_READ: "petitions",
    PETITIONS_MODERATE: "petitions",
    EVENTS_SUBSCRIBE: "notifications",
}

CLIENT_KINDS = ("service-provider", "agency", "operator")
DEFAULT_SCOPES = {
    "service-provider": ("openid", CITIZEN_PETITIONS, *PIVOT_SCOPES, *SCOPE_ALIASES),
    "agency": (EVENTS_SUBSCRIBE, PETITIONS_READ),
    "operator": (PETITIONS_MODERATE, PETITIONS_READ),
}
KNOWN_SCOPES = frozenset(
    ("openid", "offline_access", *PIVOT_SCOPES, *SCOPE_ALIASES, *RESOURCE_OF_SCOPE)
)


def parse_scope(raw: str | None) -> list[str]:
    return [s for s in (raw or "").split() if s]


def has_scope(claims: dict, scope: str) -> bool:
    return scope in parse_scope(claims.get("scope"))


def resources_for(scopes: list[str]) -> list[str]:
    """The resource processes the scopes target, in a stable order."""
    return sorted({RESOURCE_OF_SCOPE[s] for s in scopes if s in RESOURCE_OF_SCOPE})
