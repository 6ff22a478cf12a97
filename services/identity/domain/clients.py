"""The hub's OAuth clients: kinds, grants, scopes, redirect URIs, secrets."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from services.identity.domain.digests import digest, same_digest
from shared.scopes import CLIENT_KINDS, DEFAULT_SCOPES, parse_scope

# Which grant each kind of client may use: citizens act through service providers; agencies
# and operators act on their own behalf.
GRANTS_BY_KIND = {
    "service-provider": ("authorization_code", "refresh_token"),
    "agency": ("client_credentials",),
    "operator": ("client_credentials",),
}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_NAME_LENGTH = 200
MAX_REDIRECT_URIS = 10


class ClientRegistrationError(ValueError):
    """The client cannot be registered as asked; the message says why."""


class UnknownClient(LookupError):
    """No client has this id."""


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    kind: str
    scopes: tuple[str, ...]
    redirect_uris: tuple[str, ...]
    public: bool
    disabled: bool
    secret_hash: str | None

    def allows_grant(self, grant_type: str) -> bool:
        return grant_type in GRANTS_BY_KIND.get(self.kind, ())

    def secret_matches(self, secret: str | None) -> bool:
        # NOTE: secrets are 256-bit random values, so a fast hash is enough (no KDF needed).
        if self.public or self.secret_hash is None or not secret:
            return False
        return same_digest(secret, self.secret_hash)

    def registered_redirect(self, redirect_uri: str | None) -> bool:
        """RFC 9700 2.1 / OIDC Core 3.1.2.1: exact string matching, nothing else."""
        return redirect_uri is not None and redirect_uri in self.redirect_uris

    def to_public_dict(self) -> dict[str, object]:
        return {
            "client_id": self.client_id,
            "name": self.name,
            "kind": self.kind,
            "scopes": list(self.scopes),
            "redirect_uris": list(self.redirect_uris),
            "public": self.public,
        }


def new_client(
    name: str,
    kind: str,
    scope: str | None = None,
    redirect_uris: list[str] | None = None,
    public: bool = False,
    production: bool = False,
) -> tuple[Client, str | None]:
    """A client to register and its secret (None if public); or ClientRegistrationError."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ClientRegistrationError(f"the name must be 1 to {MAX_NAME_LENGTH} characters")
    if kind not in CLIENT_KINDS:
        raise ClientRegistrationError(f"the kind must be one of {', '.join(CLIENT_KINDS)}")
    scopes = _scopes(kind, scope)
    uris = _redirect_uris(kind, redirect_uris or [], production)
    if public and kind != "service-provider":
        raise ClientRegistrationError("only a service provider can be a public client")
    secret = None if public else secrets.token_urlsafe(32)
    client = Client(
        client_id=f"{kind.split('-')[0]}-{secrets.token_hex(8)}",
        name=name,
        kind=kind,
        scopes=scopes,
        redirect_uris=uris,
        public=public,
        disabled=False,
        secret_hash=digest(secret) if secret else None,
    )
    return client, secret


def _scopes(kind: str, scope: str | None) -> tuple[str, ...]:
    allowed = DEFAULT_SCOPES[kind]
    if scope is None:
        return tuple(allowed)
    asked = list(dict.fromkeys(parse_scope(scope)))
    if not asked:
        raise ClientRegistrationError("--scope names no scope")
    refused = [s for s in asked if s not in allowed]
    if refused:
        raise ClientRegistrationError(
            f"{_article(kind)} {kind} cannot have the scope(s) {' '.join(refused)}; "
            f"allowed: {' '.join(allowed)}"
        )
    return tuple(asked)


def _redirect_uris(kind: str, uris: list[str], production: bool) -> tuple[str, ...]:
    uris = list(dict.fromkeys(uris))
    if kind != "service-provider":
        if uris:
            raise ClientRegistrationError(
                f"{_article(kind)} {kind} uses client_credentials: no redirect URI"
            )
        return ()
    if not uris:
        raise ClientRegistrationError("a service provider needs at least one --redirect-uri")
    if len(uris) > MAX_REDIRECT_URIS:
        raise ClientRegistrationError(f"at most {MAX_REDIRECT_URIS} redirect URIs")
    for uri in uris:
        _check_redirect_uri(uri, production)
    return tuple(uris)


def _check_redirect_uri(uri: str, production: bool) -> None:
    """RFC 6749 3.1.2: absolute, no fragment; https in production except on loopback."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise ClientRegistrationError(f"{uri!r} is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ClientRegistrationError(f"{uri!r} must be an absolute http(s) URL")
    if parts.fragment or "#" in uri:
        raise ClientRegistrationError(f"{uri!r} must not have a fragment")
    if production and parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
        raise ClientRegistrationError(f"{uri!r} must use https in production")


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
