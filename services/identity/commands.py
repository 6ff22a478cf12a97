"""What the identity service is asked to do: its use cases' inputs, parsed and bounded
(``schemas.py`` makes them from HTTP requests, ``cli.py`` from the operator's command line)."""

from __future__ import annotations

from dataclasses import dataclass, field

# --- the OpenID Provider's endpoints ---------------------------------------------------------


@dataclass(frozen=True)
class AuthorizationRequest:
    """OIDC Core 3.1.2.1; unknown parameters are ignored (the conformance suite sends some)."""

    params: dict[str, str]
    duplicated: tuple[str, ...] = ()
    too_long: tuple[str, ...] = ()

    def get(self, name: str) -> str | None:
        return self.params.get(name) or None

    @property
    def scopes(self) -> list[str]:
        return (self.params.get("scope") or "").split()


@dataclass(frozen=True)
class UpstreamAnswer:
    """The upstream provider's answer, at ``/oidc-callback/<provider_id>``, in the browser that
    holds ``browser_key`` (None: no valid key in its cookie)."""

    provider_id: str
    params: dict[str, str]
    browser_key: str | None


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str | None
    secret: str | None
    method: str  # client_secret_basic | client_secret_post | none


@dataclass(frozen=True)
class TokenRequest:
    form: dict[str, str]
    credentials: ClientCredentials = field(default=ClientCredentials(None, None, "none"))

    def get(self, name: str) -> str | None:
        return self.form.get(name) or None


@dataclass(frozen=True)
class EndSession:
    """RP-Initiated Logout 1.0 section 2, from a browser with (or without) the hub's session
    cookie; ``confirmation``: the token of the confirmation form, POSTed."""

    params: dict[str, str]
    cookie_sid: str | None
    confirmation: str | None = None


@dataclass(frozen=True)
class UpstreamLogoutAnswer:
    """Back from the upstream provider's logout, at ``/logout-callback/<provider_id>``."""

    provider_id: str
    params: dict[str, str]


# --- the operator's commands (``hub clients``, ``hub keys``, ``hub citizens``) --------------


@dataclass(frozen=True)
class RegisterClient:
    name: str
    kind: str
    scope: str | None = None
    redirect_uris: tuple[str, ...] = ()
    public: bool = False
    production: bool = False


@dataclass(frozen=True)
class DisableClient:
    client_id: str


@dataclass(frozen=True)
class RotateClientSecret:
    client_id: str


@dataclass(frozen=True)
class EraseCitizen:
    """Found by their petitions subject, or by a client's ID-token ``sub`` with ``client_id``."""

    subject: str
    client_id: str | None = None


@dataclass(frozen=True)
class RotateKeys:
    activate_in: int | None = None  # seconds until the new key signs; None: the default
