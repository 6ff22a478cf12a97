"""Bearer tokens the resource services must refuse, each with exactly one defect.

The valid baseline is a citizen's real access token; the defective copies are signed with the
identity service's *real* current key (read from its database as identity reads it), so that
each refusal is caused by the one defect under test and not by the signature.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwt

from faults.actors import bearer, unverified_claims

pytestmark = pytest.mark.e2e


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def hub_key(security_hub):
    from services.identity.adapters.keys import KeyStore
    from shared.config import DEV_SUBJECT_SECRET
    from shared.db import make_engine

    return KeyStore(make_engine(security_hub.database_urls["identity"]), DEV_SUBJECT_SECRET)


@pytest.fixture(scope="module")
def baseline(security_hub) -> dict[str, Any]:
    return unverified_claims(security_hub.citizen)


def sign_request(security_hub, token: str) -> requests.Response:
    url = f"{security_hub.url('petitions')}/api/petitions/{security_hub.petition_id}/signatures"
    return requests.post(url, headers=bearer(token), timeout=15)


def subscriptions_request(security_hub, token: str) -> requests.Response:
    return requests.get(
        security_hub.url("notifications") + "/api/subscriptions", headers=bearer(token), timeout=15
    )


def test_the_baseline_signed_with_the_real_key_is_accepted(security_hub, hub_key, baseline):
    """Proves the minting below is faithful: same claims, real key, accepted (then refused as
    already signed, the only answer that shows the token passed)."""
    token = hub_key.sign(dict(baseline), typ="at+jwt")
    first = sign_request(security_hub, token)
    assert first.status_code in (201, 409), first.text


def _defects(baseline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    now = int(time.time())
    return {
        "expired": {**baseline, "iat": now - 3600, "exp": now - 600},
        "wrong_issuer": {**baseline, "iss": "http://127.0.0.1:1"},
        "wrong_audience": {**baseline, "aud": "http://127.0.0.1:2"},
        "no_exp": {k: v for k, v in baseline.items() if k != "exp"},
        "no_sub": {k: v for k, v in baseline.items() if k != "sub"},
    }


@pytest.mark.parametrize(
    "defect", ["expired", "wrong_issuer", "wrong_audience", "no_exp", "no_sub"]
)
def test_a_token_with_one_bad_claim_is_refused(security_hub, hub_key, baseline, defect):
    token = hub_key.sign(_defects(baseline)[defect], typ="at+jwt")
    response = sign_request(security_hub, token)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_token"
    assert "invalid_token" in response.headers["WWW-Authenticate"]


def test_a_hub_signed_jwt_not_typed_as_an_access_token_is_refused(security_hub, hub_key, baseline):
    """F14, RFC 9068 4: the hub's real key, the right audience and claims, but typ JWT (what its
    ID tokens and signed userinfo carry): no resource service takes it for an access token."""
    petitions = sign_request(security_hub, hub_key.sign(dict(baseline), typ="JWT"))
    agency = unverified_claims(security_hub.agency_token)
    notifications = subscriptions_request(security_hub, hub_key.sign(agency, typ="JWT"))
    for response in (petitions, notifications):
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "invalid_token"
        assert "not an access token" in response.json()["message"]
    assert subscriptions_request(security_hub, security_hub.agency_token).status_code == 200
    metrics = requests.get(security_hub.hub.metrics_url("petitions"), timeout=15).text
    assert 'token_verification_failures_total{reason="bad_type"}' in metrics


def test_alg_none_is_refused(security_hub, baseline):
    header = {
        "alg": "none",
        "typ": "JWT",
        "kid": jwt.get_unverified_header(security_hub.citizen)["kid"],
    }
    token = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(baseline).encode())}."
    for response in (sign_request(security_hub, token), subscriptions_request(security_hub, token)):
        assert response.status_code == 401, response.text


def test_hs256_keyed_with_the_public_key_is_refused(security_hub, baseline):
    """Algorithm confusion: an HMAC 'signature' keyed with the published public key."""
    kid = jwt.get_unverified_header(security_hub.citizen)["kid"]
    jwks = requests.get(security_hub.url("identity") + "/jwks", timeout=15).json()
    public = json.dumps(next(k for k in jwks["keys"] if k["kid"] == kid), sort_keys=True)
    token = jwt.encode(baseline, public, algorithm="HS256", headers={"kid": kid})
    assert sign_request(security_hub, token).status_code == 401


def test_a_token_forged_with_another_key_under_the_hubs_kid_is_refused(security_hub, baseline):
    kid = jwt.get_unverified_header(security_hub.citizen)["kid"]
    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    token = jwt.encode(baseline, pem, algorithm="ES256", headers={"kid": kid})
    assert sign_request(security_hub, token).status_code == 401
    assert subscriptions_request(security_hub, token).status_code == 401


def test_a_tampered_payload_is_refused(security_hub, baseline):
    header, _, signature = security_hub.citizen.split(".")
    tampered = _b64(json.dumps({**baseline, "sub": "someone-else"}).encode())
    assert sign_request(security_hub, f"{header}.{tampered}.{signature}").status_code == 401


def test_a_citizen_token_cannot_act_as_an_agency_nor_an_operator(security_hub):
    # its audience is petitions: notifications refuses it outright
    assert subscriptions_request(security_hub, security_hub.citizen).status_code in (401, 403)
    moderation = requests.post(
        f"{security_hub.url('petitions')}/api/petitions/{security_hub.petition_id}/moderation",
        json={"decision": "close"},
        headers=bearer(security_hub.citizen),
        timeout=15,
    )
    assert moderation.status_code == 403, moderation.text


def test_a_token_for_petitions_is_refused_by_notifications(security_hub, hub_key):
    """Audience: an operator's token for petitions must not open notifications' operator API."""
    claims = unverified_claims(security_hub.operator_token)
    assert claims["aud"] != security_hub.url("notifications") or isinstance(claims["aud"], list)
    wrong = hub_key.sign({**claims, "aud": security_hub.url("petitions")}, typ="at+jwt")
    response = requests.get(
        security_hub.url("notifications") + "/api/dead-letters", headers=bearer(wrong), timeout=15
    )
    assert response.status_code == 401, response.text
