"""Refresh tokens, revocation, signed userinfo, the session id: what a client does after login."""

from __future__ import annotations

import requests
from identity_browser import exchange, login
from joserfc import jwt
from joserfc.jwk import KeySet


def keys(hub) -> KeySet:
    return KeySet.import_key_set(
        requests.get(hub.public_url("identity") + "/jwks", timeout=10).json()
    )


def signed_in_tokens(hub, client, **params):
    signed_in = login(hub, client, **params)
    response = exchange(hub, client, signed_in.answer["code"], signed_in.verifier)
    assert response.status_code == 200, response.text
    return response.json()


def refresh(hub, client, refresh_token, **extra):
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        **extra,
    }
    return requests.post(hub.public_url("identity") + "/token", data=form, timeout=10)


def userinfo(hub, access_token, accept=None):
    headers = {"Authorization": f"Bearer {access_token}"}
    if accept:
        headers["Accept"] = accept
    return requests.get(hub.public_url("identity") + "/userinfo", headers=headers, timeout=10)


def test_refresh_rotates_and_keeps_subject_acr_and_session(hub, register):
    client = register()
    first = signed_in_tokens(hub, client, identity="claire.moreau", acr_values="eidas2")
    second = refresh(hub, client, first["refresh_token"])
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["refresh_token"] != first["refresh_token"]
    old, new = (jwt.decode(t["id_token"], keys(hub)).claims for t in (first, body))
    assert (new["sub"], new["acr"], new["sid"], new["auth_time"]) == (
        old["sub"],
        old["acr"],
        old["sid"],
        old["auth_time"],
    )
    assert "nonce" not in new  # OIDC Core 12.2


def test_a_replayed_refresh_token_revokes_the_whole_family(hub, register):
    client = register()
    first = signed_in_tokens(hub, client)
    second = refresh(hub, client, first["refresh_token"]).json()
    replay = refresh(hub, client, first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert refresh(hub, client, second["refresh_token"]).json()["error"] == "invalid_grant"
    assert userinfo(hub, second["access_token"]).status_code == 401


def test_a_replayed_code_revokes_its_refresh_tokens_too(hub, register):
    client = register()
    signed_in = login(hub, client)
    first = exchange(hub, client, signed_in.answer["code"], signed_in.verifier).json()
    exchange(hub, client, signed_in.answer["code"], signed_in.verifier)
    assert refresh(hub, client, first["refresh_token"]).json()["error"] == "invalid_grant"


def test_refresh_tokens_are_bound_to_their_client_and_cannot_widen_the_scope(hub, register):
    owner, other = register(), register()
    tokens = signed_in_tokens(hub, owner, scope="openid petitions")
    assert refresh(hub, other, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    wider = refresh(hub, owner, tokens["refresh_token"], scope="openid petitions email")
    assert wider.json()["error"] == "invalid_scope"


def test_revoking_a_refresh_token_revokes_its_family(hub, register):
    client = register()
    tokens = signed_in_tokens(hub, client)
    revoked = requests.post(
        hub.public_url("identity") + "/revoke",
        data={"token": tokens["refresh_token"]},
        auth=(client.client_id, client.client_secret),
        timeout=10,
    )
    assert revoked.status_code == 200
    assert refresh(hub, client, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert userinfo(hub, tokens["access_token"]).status_code == 401


def test_userinfo_is_a_signed_jwt_unless_json_is_asked_for(hub, register):
    client = register()
    tokens = signed_in_tokens(hub, client, scope="openid birthdate")
    signed = userinfo(hub, tokens["access_token"])
    assert signed.headers["Content-Type"] == "application/jwt"
    decoded = jwt.decode(signed.text, keys(hub), algorithms=["ES256"])
    assert decoded.header["kid"] and decoded.claims["aud"] == client.client_id
    assert decoded.claims["iss"] == hub.public_url("identity")
    assert decoded.claims["birthdate"] == "1985-04-12"
    plain = userinfo(hub, tokens["access_token"], accept="application/json")
    assert plain.json() == {"sub": decoded.claims["sub"], "birthdate": "1985-04-12"}


def test_presumed_birthdates_reach_clients_as_first_of_january(hub, register):
    client = register()
    tokens = signed_in_tokens(hub, client, identity="fatou.keita", scope="openid birthdate")
    info = userinfo(hub, tokens["access_token"], accept="application/json").json()
    assert info["birthdate"] == "1958-01-01"


def test_userinfo_refuses_a_token_with_alg_none(hub, register):
    client = register()
    tokens = signed_in_tokens(hub, client)
    header, body, _ = tokens["access_token"].split(".")
    import base64

    none = base64.urlsafe_b64encode(b'{"alg":"none","typ":"at+jwt","kid":"x"}').rstrip(b"=")
    response = userinfo(hub, f"{none.decode()}.{body}.")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "algorithm" in response.json()["error_description"]


def test_logout_with_a_forged_id_token_hint_is_a_400_page(hub, register):
    client = register()
    tokens = signed_in_tokens(hub, client)
    header, body, signature = tokens["id_token"].split(".")
    forged = f"{header}.{body}.{signature[::-1]}"
    response = requests.get(
        hub.public_url("identity") + "/session/end",
        params={"id_token_hint": forged, "post_logout_redirect_uri": client.redirect_uri},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 400 and "Location" not in response.headers
    assert refresh(hub, client, tokens["refresh_token"]).status_code == 200  # nothing ended
