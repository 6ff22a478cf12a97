"""The hub as an OpenID relying party to one upstream provider (authlib for the OAuth legs).

Checks follow OIDC Core 3.1.3.7 (ID token) and 5.3.2 (signed userinfo), plus what FranceConnect
asks of its service providers: ``acr`` at least the level asked, userinfo ``sub`` equal to the
ID token's, keys refetched when a token names an unknown ``kid``.

The back channel (token endpoint, userinfo) is one pool of keep-alive connections per provider
(:mod:`services.identity.adapters.back_channel`: no cookie, no ``~/.netrc``, no redirect). authlib
encodes the requests (authorization URL, PKCE, client authentication); it holds no session per
call, nor the tokens it fetched.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc.errors import JoseError
from joserfc.jwk import import_key

from services.identity.adapters import jwt as jwtutil
from services.identity.adapters.back_channel import Answer, BackChannel, BackChannelError
from services.identity.adapters.jwt import JwtRejected
from shared.key_refetch import RefetchGate
from shared.oidc import meets_acr
from shared.upstreams import UpstreamProvider

TOKEN_REQUEST_HEADERS = {
    "Accept": "application/json",
    "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
}


class UpstreamError(Exception):
    """The upstream login failed; ``error`` is the OAuth error to send on to the client."""

    error = "access_denied"


class UpstreamUnavailable(UpstreamError):
    error = "temporarily_unavailable"


class UpstreamRejected(UpstreamError):
    """What the provider sent cannot be trusted or used."""


class UpstreamClient:
    def __init__(
        self, provider: UpstreamProvider, hub_url: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.provider = provider
        self.redirect_uri = provider.redirect_uri(hub_url)
        self.post_logout_redirect_uri = provider.post_logout_redirect_uri(hub_url)
        self.timeout = provider.timeout_seconds
        self.clock = clock
        self._metadata: dict[str, Any] | None = None
        self._keys: dict[str, Any] = {}
        self._refetch = RefetchGate()
        self._lock = threading.Lock()
        self._client_auth = ClientAuth(
            provider.client_id, provider.client_secret, provider.token_endpoint_auth_method
        )
        self.http = BackChannel(self.timeout)

    def authorization_url(
        self, state: str, nonce: str, verifier: str, acr: str, login_hint: str | None
    ) -> str:
        """OIDC Core 3.1.2.1 with PKCE S256 (RFC 7636 4.3)."""
        extra = {"nonce": nonce, "acr_values": acr}
        if login_hint:
            extra["login_hint"] = login_hint
        return str(
            prepare_grant_uri(
                self.metadata()["authorization_endpoint"],
                client_id=self.provider.client_id,
                response_type="code",
                redirect_uri=self.redirect_uri,
                scope=" ".join(self.provider.scopes),
                state=state,
                **extra,
                code_challenge=create_s256_code_challenge(verifier),
                code_challenge_method="S256",
            )
        )

    def exchange(self, code: str, verifier: str) -> dict[str, Any]:
        """RFC 6749 4.1.3 with the PKCE verifier (RFC 7636 4.5)."""
        if not code:
            raise UpstreamRejected("the provider refused the code: no code")
        body = prepare_token_request(
            "authorization_code", code=code, code_verifier=verifier, redirect_uri=self.redirect_uri
        )
        url, headers, body = self._client_auth.prepare(
            "POST", self.metadata()["token_endpoint"], dict(TOKEN_REQUEST_HEADERS), body
        )
        try:
            token = _token_response(self.http.post(url, body, headers))
        except (BackChannelError, ValueError) as exc:
            raise UpstreamUnavailable(f"token endpoint unavailable: {exc}") from None
        if "error" in token:  # RFC 6749 5.2
            refusal = f"{token['error']}: {token.get('error_description')}"
            raise UpstreamRejected(f"the provider refused the code: {refusal}")
        if not isinstance(token.get("id_token"), str) or not isinstance(
            token.get("access_token"), str
        ):
            raise UpstreamRejected("the token response lacks id_token or access_token")
        return dict(token)

    def verify_id_token(self, id_token: str, nonce: str, minimum_acr: str) -> dict[str, Any]:
        """OIDC Core 3.1.3.7, and the level of assurance asked for."""
        claims = self._verified(id_token)
        self._check_audience(claims)
        try:
            jwtutil.check_times(claims, self.clock())
        except JwtRejected as exc:
            raise UpstreamRejected(f"ID token refused: {exc}") from None
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise UpstreamRejected("the ID token has no sub")
        if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise UpstreamRejected("the ID token's nonce is not the one sent")
        if not meets_acr(claims.get("acr"), minimum_acr):
            raise UpstreamRejected(f"acr {claims.get('acr')!r} is below {minimum_acr}")
        return claims

    def userinfo(self, access_token: str, sub: str) -> dict[str, Any]:
        """FranceConnect v2: userinfo is a signed JWT; OIDC Core 5.3.2: same ``sub``."""
        url = self.metadata()["userinfo_endpoint"]
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/jwt"}
        try:
            response = self.http.get(url, headers)
        except BackChannelError as exc:
            raise UpstreamUnavailable(f"userinfo unavailable: {exc}") from None
        if response.status != 200 or response.content_type != "application/jwt":
            raise UpstreamRejected(f"userinfo answered {response.status}, not a signed JWT")
        try:
            signed = response.text.strip()
        except UnicodeDecodeError:
            raise UpstreamRejected("userinfo is not a compact JWS") from None
        claims = self._verified(signed)
        if "aud" in claims:
            self._check_audience(claims)
        if claims.get("sub") != sub:
            raise UpstreamRejected("userinfo sub differs from the ID token's")
        return claims

    def end_session_url(self, id_token: str, state: str) -> str | None:
        """RP-Initiated Logout 1.0 section 2 at the provider; None if it offers none."""
        endpoint = self.metadata().get("end_session_endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            return None
        query = {
            "id_token_hint": id_token,
            "state": state,
            "post_logout_redirect_uri": self.post_logout_redirect_uri,
        }
        return endpoint + ("&" if "?" in endpoint else "?") + urlencode(query)

    # --- keys and discovery ------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            data = _get_json(
                f"{self.provider.issuer}/.well-known/openid-configuration", self.timeout
            )
            # OIDC Discovery 4.3: the issuer in the document must be the one we were configured with
            if data.get("issuer") != self.provider.issuer:
                raise UpstreamRejected("the provider's discovery document names another issuer")
            self._metadata = data
        return self._metadata

    def _verified(self, token: str) -> dict[str, Any]:
        try:
            header = jwtutil.unverified_header(token)
            claims = jwtutil.verified_claims(token, self._key(header["kid"]), header["alg"])
        except JwtRejected as exc:
            raise UpstreamRejected(f"token refused: {exc}") from None
        if claims.get("iss") != self.provider.issuer:
            raise UpstreamRejected("issuer mismatch")
        return claims

    def _check_audience(self, claims: dict[str, Any]) -> None:
        aud, client_id = claims.get("aud"), self.provider.client_id
        audiences = aud if isinstance(aud, list) else [aud]
        if client_id not in audiences:
            raise UpstreamRejected("the token is not meant for the hub")
        if len(audiences) > 1 and claims.get("azp") != client_id:
            raise UpstreamRejected("several audiences and azp is not the hub")

    def _key(self, kid: str) -> Any:
        if kid not in self._keys:
            self._refresh_keys_for(kid)
        if kid not in self._keys:
            raise JwtRejected("unknown kid")
        return self._keys[kid]

    def _refresh_keys_for(self, kid: str) -> None:
        """A kid never seen is fetched at once (a restarted or rotating provider), within the
        gate's bounds."""
        with self._lock:
            if kid in self._keys or not self._refetch.may_fetch_for(kid):
                return
            keys = _get_json(self.metadata()["jwks_uri"], self.timeout).get("keys", [])
            self._keys = dict(_imported(k) for k in keys if isinstance(k, dict) and "kid" in k)
            self._refetch.fetched(kid, kid in self._keys)

    def _proxies_for(self, url: str) -> dict[str, str]:
        return self.http.proxies_for(url)


def _token_response(response: Answer) -> dict[str, Any]:
    """The token endpoint's JSON object; a server error or a non-JSON answer raises ValueError
    (authlib's rules: an OAuth error is a JSON object with ``error``, RFC 6749 5.2)."""
    if response.status >= 500:
        raise ValueError(f"HTTP {response.status}")
    try:
        token = response.json()
    except ValueError:
        token = None
    if not isinstance(token, dict):
        raise ValueError(f"the answer is not a JSON object (HTTP {response.status})")
    return token


def _get_json(url: str, timeout: float) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=timeout)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise UpstreamUnavailable(f"{url} unavailable: {exc}") from None
    if not isinstance(data, dict):
        raise UpstreamUnavailable(f"{url} did not answer a JSON object")
    return data


def _imported(jwk: dict[str, Any]) -> tuple[str, Any]:
    try:
        return jwk["kid"], import_key(jwk)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise UpstreamRejected(f"the provider published an unusable key: {exc}") from None
