"""OpenID Provider metadata (OIDC Discovery 1.0 section 3, RFC 8414)."""

from __future__ import annotations

from typing import Any

from shared.oidc import ACR_LEVELS
from shared.scopes import KNOWN_SCOPES, PIVOT_SCOPES

ENDPOINTS = {
    "authorization_endpoint": "/authorize",
    "token_endpoint": "/token",
    "userinfo_endpoint": "/userinfo",
    "jwks_uri": "/jwks",
    "end_session_endpoint": "/session/end",
    "revocation_endpoint": "/revoke",
}
AUTH_METHODS = ["client_secret_post", "client_secret_basic"]


def provider_metadata(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        **{name: issuer + path for name, path in ENDPOINTS.items()},
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "userinfo_signing_alg_values_supported": ["ES256"],  # FranceConnect v2: application/jwt
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": sorted(KNOWN_SCOPES - {"offline_access"}),
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "acr",
            "nonce",
            "sid",
            *PIVOT_SCOPES,
        ],
        "acr_values_supported": list(ACR_LEVELS),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,  # RFC 9207
    }
