"""The authorization code grant under attack: replayed codes, stolen codes, fuzzed parameters."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faults.actors import authorize_code, discovery, redeem_code

pytestmark = pytest.mark.e2e


def test_a_replayed_authorization_code_is_refused(security_hub):
    """RFC 6749 4.1.2: a code is used once; the second redemption gets invalid_grant."""
    code, verifier, config = authorize_code(
        security_hub.url("identity"), security_hub.app, "jean.martin"
    )
    first = redeem_code(config, security_hub.app, code, verifier)
    assert first.status_code == 200, first.text
    again = redeem_code(config, security_hub.app, code, verifier)
    assert again.status_code == 400, again.text
    assert again.json()["error"] == "invalid_grant"


def test_a_replayed_code_revokes_the_tokens_it_issued(security_hub):
    """RFC 6749 4.1.2 (SHOULD), OAuth 2.0 Security BCP 4.5: replay means the code leaked."""
    code, verifier, config = authorize_code(
        security_hub.url("identity"), security_hub.app, "jean.martin"
    )
    first = redeem_code(config, security_hub.app, code, verifier).json()
    redeem_code(config, security_hub.app, code, verifier)
    refresh = first.get("refresh_token")
    if refresh is None:
        pytest.skip("no refresh token issued to this client")
    again = requests.post(
        config["token_endpoint"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": security_hub.app["client_id"],
            "client_secret": security_hub.app["client_secret"],
        },
        timeout=15,
    )
    assert again.status_code == 400, again.text


def test_a_code_is_bound_to_its_client_and_to_its_pkce_verifier(security_hub):
    code, verifier, config = authorize_code(
        security_hub.url("identity"), security_hub.app, "jean.martin"
    )
    other = dict(security_hub.other_app, redirect_uris=security_hub.app["redirect_uris"])
    assert redeem_code(config, other, code, verifier).status_code in (400, 401)
    assert redeem_code(config, security_hub.app, code, verifier + "x").status_code == 400
    # after two failed uses the code is not usable either (one use only)
    assert redeem_code(config, security_hub.app, code, verifier).status_code in (200, 400)


def test_a_confidential_client_without_pkce_gets_no_code(security_hub):
    """F7: the contract promises PKCE S256 for every client; without a code_challenge the
    request goes back to the client as invalid_request, no login starts, no code is issued."""
    app = security_hub.app
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": app["redirect_uris"][0],
        "scope": "openid petitions",
        "state": "f7-state",
        "nonce": "f7-nonce",
        "acr_values": "eidas1",
        "idp_hint": "mock",
        "login_hint": "jean.martin",
    }
    response = requests.get(
        discovery(security_hub.url("identity"))["authorization_endpoint"],
        params=query,
        headers={"X-Forwarded-For": "203.0.113.70"},  # not an address the fuzzers exhaust
        allow_redirects=False,
        timeout=15,
    )
    location = response.headers.get("Location", "")
    assert response.status_code == 302 and location.startswith(app["redirect_uris"][0] + "?")
    answer = parse_qs(urlsplit(location).query)
    assert answer["error"] == ["invalid_request"] and answer["state"] == ["f7-state"]
    assert "code" not in answer


def test_a_wrong_client_secret_is_refused(security_hub):
    config = discovery(security_hub.url("identity"))
    response = requests.post(
        config["token_endpoint"],
        data={"grant_type": "client_credentials", "scope": "petitions:moderate"},
        auth=(security_hub.operator["client_id"], security_hub.operator["client_secret"] + "x"),
        headers={"X-Forwarded-For": "203.0.113.72"},  # an address no other test exhausts
        timeout=15,
    )
    assert response.status_code == 401, response.text


PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "acr_values",
    "idp_hint",
    "login_hint",
    "prompt",
    "max_age",
    "claims",
    "request",
    "ui_locales",
)
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    params=st.dictionaries(st.sampled_from(PARAMS), text, max_size=len(PARAMS)),
    method=st.sampled_from(["GET", "POST"]),
)
def test_fuzzed_authorization_requests_never_cause_a_server_error(security_hub, params, method):
    """Never a 5xx; an error is either shown (400, never redirected to an unregistered URI)
    or redirected to the client's registered redirect URI (RFC 6749 4.1.2.1)."""
    url = security_hub.url("identity") + "/authorize"
    if method == "GET":
        response = requests.get(url, params=params, allow_redirects=False, timeout=15)
    else:
        response = requests.post(url, data=params, allow_redirects=False, timeout=15)
    assert response.status_code < 500, response.text[:300]
    if response.status_code in (302, 303):
        location = response.headers["Location"]
        allowed = (
            security_hub.app["redirect_uris"][0],
            security_hub.other_app["redirect_uris"][0],
            security_hub.url("mock-idp"),
            security_hub.url("identity"),
            "/",
        )
        assert location.startswith(allowed), location


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    params=st.dictionaries(
        st.sampled_from(
            (
                "grant_type",
                "code",
                "redirect_uri",
                "client_id",
                "client_secret",
                "code_verifier",
                "refresh_token",
                "scope",
            )
        ),
        text,
        max_size=8,
    )
)
def test_fuzzed_token_requests_never_cause_a_server_error(security_hub, params):
    response = requests.post(security_hub.url("identity") + "/token", data=params, timeout=15)
    # 429: the per-address limit on failed client authentications (shared/ratelimit.py)
    assert response.status_code in (400, 401, 429), (response.status_code, response.text[:300])
    assert "error" in response.json()
