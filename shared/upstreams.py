"""The upstream identity providers the hub federates (``HUB_UPSTREAM_IDPS``), as configuration:
identity's providers, and the mock provider's clients (the entries naming the mock's issuer).

Format (CONTRACT.md; more keys allowed)::

    providers:
      - id: mock
        name: "Fournisseur d'identité de test"
        issuer: http://127.0.0.1:8004
        client_id: hub
        client_secret: change-me
        scopes: [openid, given_name, family_name, birthdate, gender, birthplace, birthcountry]
        acr_values: [eidas1]
        token_endpoint_auth_method: client_secret_post   # optional; or client_secret_basic
        timeout_seconds: 5                               # optional; HTTP calls to the provider

The hub's redirect URI at the provider is ``{IDENTITY_PUBLIC_URL}/oidc-callback/{id}``, its
post-logout redirect URI ``{IDENTITY_PUBLIC_URL}/logout-callback/{id}``.

Without the setting: the mock identity provider alone (id ``mock``, client ``hub`` /
``change-me``, levels eidas1 to eidas3), which is for development and tests only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shared.config import Settings
from shared.oidc import ACR_LEVELS, PIVOT_FIELDS, acr_rank

_PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
AUTH_METHODS = ("client_secret_post", "client_secret_basic")
DEFAULT_SCOPES = ("openid", *PIVOT_FIELDS, "email", "preferred_username")
DEFAULT_TIMEOUT_SECONDS = 5.0


class UpstreamConfigError(ValueError):
    """``HUB_UPSTREAM_IDPS`` cannot be used; the message says why."""


@dataclass(frozen=True)
class UpstreamProvider:
    id: str
    name: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    acr_values: tuple[str, ...]
    token_endpoint_auth_method: str = "client_secret_post"  # noqa: S105 - a method name
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    def can_meet(self, acr: str) -> bool:
        return max((acr_rank(a) for a in self.acr_values), default=-1) >= acr_rank(acr) >= 0

    def redirect_uri(self, hub_public_url: str) -> str:
        return f"{hub_public_url}/oidc-callback/{self.id}"

    def post_logout_redirect_uri(self, hub_public_url: str) -> str:
        return f"{hub_public_url}/logout-callback/{self.id}"


def load_upstreams(settings: Settings) -> list[UpstreamProvider]:
    if settings.upstream_idps_file is None:
        if settings.production:
            raise UpstreamConfigError(
                "set HUB_UPSTREAM_IDPS in production (the default is the mock)"
            )
        return [default_mock_provider(settings)]
    return parse_upstreams(_read_yaml(settings.upstream_idps_file))


def default_mock_provider(settings: Settings) -> UpstreamProvider:
    return UpstreamProvider(
        id="mock",
        name="Fournisseur d'identité de test",
        issuer=settings.public_url("mock-idp"),
        client_id="hub",
        client_secret="change-me",  # noqa: S106 - the mock's development credentials
        scopes=DEFAULT_SCOPES,
        acr_values=ACR_LEVELS,
    )


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UpstreamConfigError(
            f"HUB_UPSTREAM_IDPS: cannot read {path}: {exc.strerror}"
        ) from None
    except yaml.YAMLError as exc:
        raise UpstreamConfigError(f"HUB_UPSTREAM_IDPS: {path} is not valid YAML: {exc}") from None


def parse_upstreams(data: Any) -> list[UpstreamProvider]:
    entries = data.get("providers") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise UpstreamConfigError("HUB_UPSTREAM_IDPS: expected a non-empty `providers:` list")
    providers = [_provider(entry, i) for i, entry in enumerate(entries)]
    ids = [p.id for p in providers]
    if len(set(ids)) != len(ids):
        raise UpstreamConfigError("HUB_UPSTREAM_IDPS: provider ids must be unique")
    return providers


def _provider(entry: Any, index: int) -> UpstreamProvider:
    where = f"HUB_UPSTREAM_IDPS: provider #{index + 1}"
    if not isinstance(entry, dict):
        raise UpstreamConfigError(f"{where} must be a mapping")
    for key in ("id", "issuer", "client_id", "client_secret"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise UpstreamConfigError(f"{where} needs a `{key}` string")
    if not _PROVIDER_ID.match(entry["id"]):
        raise UpstreamConfigError(f"{where}: id must be lower-case letters, digits, - or _")
    acr_values = tuple(entry.get("acr_values") or ("eidas1",))
    if any(acr_rank(a) < 0 for a in acr_values):
        raise UpstreamConfigError(f"{where}: acr_values must be among {', '.join(ACR_LEVELS)}")
    scopes = tuple(entry.get("scopes") or DEFAULT_SCOPES)
    if "openid" not in scopes:
        raise UpstreamConfigError(f"{where}: scopes must include openid")
    method = entry.get("token_endpoint_auth_method", "client_secret_post")
    if method not in AUTH_METHODS:
        raise UpstreamConfigError(
            f"{where}: token_endpoint_auth_method must be one of {AUTH_METHODS}"
        )
    timeout = entry.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)
    if not isinstance(timeout, int | float) or not 0 < timeout <= 60:
        raise UpstreamConfigError(f"{where}: timeout_seconds must be a number of seconds (0-60]")
    return UpstreamProvider(
        id=entry["id"],
        name=str(entry.get("name") or entry["id"]),
        issuer=entry["issuer"].rstrip("/"),
        client_id=entry["client_id"],
        client_secret=entry["client_secret"],
        scopes=scopes,
        acr_values=acr_values,
        token_endpoint_auth_method=method,
        timeout_seconds=float(timeout),
    )
