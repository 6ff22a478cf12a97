"""The identity service's own metrics (beside shared.metrics' RED metrics), no citizen in labels.

- ``hub_identity_logins_total{provider, outcome}``: federated logins by upstream provider and
  outcome (``success``, ``denied``: the provider or the citizen said no, ``rejected``: what the
  provider sent failed a check, ``unavailable``, ``incomplete_identity``, ``expired``);
- ``hub_identity_tokens_issued_total{grant_type}``;
- ``hub_identity_oauth_errors_total{endpoint, error}``: OAuth errors answered, by RFC error code;
- ``hub_identity_client_auth_failures_total{client, answer}``: wrong client credentials at the
  token endpoint, ``client`` = ``registered`` | ``unknown`` (never the id: attackers choose it),
  ``answer`` = ``refused`` (401) | ``rate_limited`` (429: that caller is over its allowance);
- ``hub_identity_sessions_ended_total{upstream}``: RP-initiated logouts, ``upstream`` telling
  whether the upstream session was ended too;
- ``hub_identity_signing_key_age_seconds``: how long the key that signs now has been signing
  (the rotation alert's input).
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge

from shared.metrics import _get_or_create, registry_for


class IdentityMetrics:
    def __init__(self, service: str = "identity") -> None:
        registry = registry_for(service)
        prefix = f"hub_{service}"
        self.logins: Any = _get_or_create(
            registry,
            Counter,
            f"{prefix}_logins_total",
            "Federated logins by upstream provider and outcome.",
            ["provider", "outcome"],
        )
        self.tokens_issued: Any = _get_or_create(
            registry,
            Counter,
            f"{prefix}_tokens_issued_total",
            "Token responses by grant type.",
            ["grant_type"],
        )
        self.oauth_errors: Any = _get_or_create(
            registry,
            Counter,
            f"{prefix}_oauth_errors_total",
            "OAuth errors answered, by endpoint and error code.",
            ["endpoint", "error"],
        )
        self.client_auth_failures: Any = _get_or_create(
            registry,
            Counter,
            f"{prefix}_client_auth_failures_total",
            "Wrong client credentials at the token endpoint, by kind of client id and answer.",
            ["client", "answer"],
        )
        self.sessions_ended: Any = _get_or_create(
            registry,
            Counter,
            f"{prefix}_sessions_ended_total",
            "RP-initiated logouts; upstream=yes when the upstream session was ended too.",
            ["upstream"],
        )
        self.signing_key_age: Any = _get_or_create(
            registry,
            Gauge,
            f"{prefix}_signing_key_age_seconds",
            "Seconds since the current signing key started signing.",
        )
