"""What the hub refuses, and how: OIDC errors, 400 pages, 401s; never a token it should not give."""

from __future__ import annotations

import requests
from identity_browser import authorize_url, exchange, follow, login

from shared.auth import TokenVerifier


def test_reused_code_is_invalid_grant_and_revokes_what_it_issued(hub, register):
    client = register()
    signed_in = login(hub, client, scope="openid petitions given_name")
    first = exchange(hub, client, signed_in.answer["code"], signed_in.verifier)
    assert first.status_code == 200
    again = exchange(hub, client, signed_in.answer["code"], signed_in.verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    userinfo = requests.get(
        hub.public_url("identity") + "/userinfo",
        headers={"Authorization": f"Bearer {first.json()['access_token']}"},
        timeout=10,
    )
    assert userinfo.status_code == 401


def test_wrong_pkce_verifier_is_invalid_grant(hub, register):
    client = register()
    signed_in = login(hub, client)
    response = exchange(hub, client, signed_in.answer["code"], "x" * 50)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert "access_token" not in response.json()


def test_wrong_client_secret_is_401_invalid_client(hub, register):
    client = register()
    signed_in = login(hub, client)
    for basic in (False, True):
        response = exchange(
            hub, client, signed_in.answer["code"], signed_in.verifier, secret="wrong", basic=basic
        )
        assert response.status_code == 401 and response.json()["error"] == "invalid_client"
        assert "WWW-Authenticate" in response.headers


def test_a_code_sent_by_a_client_that_fails_to_authenticate_stays_usable_by_its_own(hub, register):
    """The code is claimed in the statement that finds the client: a wrong secret, an unknown
    client or one that may not redeem codes rolls the claim back."""
    owner, agency = register(), register(kind="agency", scope="events:subscribe")
    signed_in = login(hub, owner)
    code, token_url = signed_in.answer["code"], hub.public_url("identity") + "/token"
    wrong = exchange(hub, owner, code, signed_in.verifier, secret="wrong")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    for client_id, secret, error in (
        ("no-such-client", "x", "invalid_client"),
        (agency.client_id, agency.client_secret, "unauthorized_client"),
    ):
        form = {"grant_type": "authorization_code", "code": code}
        refused = requests.post(token_url, data=form, auth=(client_id, secret), timeout=10)
        assert refused.json()["error"] == error
    redeemed = exchange(hub, owner, code, signed_in.verifier)
    assert redeemed.status_code == 200 and "access_token" in redeemed.json()


def test_code_of_another_client_is_refused(hub, register):
    owner, thief = register(), register()
    signed_in = login(hub, owner)
    thief.redirect_uri = owner.redirect_uri
    response = exchange(hub, thief, signed_in.answer["code"], signed_in.verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_unregistered_redirect_uri_gets_a_400_page_and_no_redirect(hub, register):
    client = register()
    client.redirect_uri = "https://attacker.example/callback"
    url, _ = authorize_url(hub, client)
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 400 and "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")


def test_unknown_client_gets_a_400_page_and_no_redirect(hub, register):
    client = register()
    client.client_id = "nobody"
    url, _ = authorize_url(hub, client)
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 400 and "Location" not in response.headers


def test_other_request_errors_go_back_to_the_client_with_state(hub, register):
    client = register()
    url, sent = authorize_url(hub, client, scope="petitions")
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(client.redirect_uri + "?")
    assert "error=invalid_scope" in location and f"state={sent['state']}" in location


def test_public_client_without_pkce_is_refused(hub, register):
    client = register(public=True)
    url, _ = authorize_url(hub, client, pkce=False)
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert "error=invalid_request" in response.headers["Location"]


def test_confidential_client_without_pkce_is_refused(hub, register):
    """The contract: the code flow with PKCE S256 for every client, confidential ones too."""
    client = register()
    url, sent = authorize_url(hub, client, pkce=False, login_hint="marie.dupont")
    response = requests.get(url, allow_redirects=False, timeout=10)
    location = response.headers["Location"]
    assert response.status_code == 302 and location.startswith(client.redirect_uri + "?")
    assert "error=invalid_request" in location and f"state={sent['state']}" in location
    assert "code=" not in location


def test_public_client_signs_in_with_pkce_and_no_secret(hub, register):
    client = register(public=True)
    signed_in = login(hub, client)
    assert exchange(hub, client, signed_in.answer["code"], signed_in.verifier).status_code == 200


def test_level_below_the_requested_one_ends_in_access_denied(hub, register):
    client = register()
    signed_in = login(hub, client, identity="marie.dupont", acr_values="eidas3")  # she is eidas1
    assert signed_in.answer["error"] == "access_denied" and "code" not in signed_in.answer
    assert signed_in.answer["state"] == signed_in.state


def test_bad_bearer_at_userinfo_is_401_invalid_token(hub):
    for headers in ({"Authorization": "Bearer not-a-token"}, {}):
        response = requests.get(
            hub.public_url("identity") + "/userinfo", headers=headers, timeout=10
        )
        assert response.status_code == 401
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_upstream_answer_in_another_browser_gets_a_400_page(hub, register):
    client = register()
    url, _ = authorize_url(hub, client, login_hint="marie.dupont")
    victim = requests.Session()
    callback = hub.public_url("identity") + "/oidc-callback/"
    at_callback = follow(victim, url, callback)
    attacker = requests.Session()  # no hub_login cookie
    response = attacker.get(at_callback.final_url, allow_redirects=False, timeout=10)
    assert response.status_code == 400 and "Location" not in response.headers
    completed = victim.get(at_callback.final_url, allow_redirects=False, timeout=10)
    assert (
        completed.headers["Location"].startswith(client.redirect_uri)
        and "code=" in completed.headers["Location"]
    )


def test_tampered_state_at_the_callback_gets_a_400_page(hub, register):
    client = register()
    url, _ = authorize_url(hub, client, login_hint="marie.dupont")
    browser = requests.Session()
    at_callback = follow(browser, url, hub.public_url("identity") + "/oidc-callback/")
    tampered = at_callback.final_url.replace("state=", "state=x")
    response = browser.get(tampered, allow_redirects=False, timeout=10)
    assert response.status_code == 400 and "Location" not in response.headers


def test_agency_gets_a_client_credentials_token_for_its_resources(hub, register):
    agency = register(kind="agency")
    response = requests.post(
        hub.public_url("identity") + "/token",
        timeout=10,
        data={"grant_type": "client_credentials"},
        auth=(agency.client_id, agency.client_secret),
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    claims = TokenVerifier(hub.public_url("identity"), hub.public_url("notifications")).verify(
        token
    )
    assert claims["sub"] == agency.client_id and claims["client_id"] == agency.client_id
    assert sorted(claims["aud"]) == sorted(
        [hub.public_url("notifications"), hub.public_url("petitions")]
    )
    assert set(claims["scope"].split()) == {"events:subscribe", "petitions:read"}


def test_agency_cannot_ask_for_scopes_it_was_not_given_nor_use_the_code_flow(hub, register):
    agency = register(kind="agency", scope="events:subscribe")
    token_url = hub.public_url("identity") + "/token"
    response = requests.post(
        token_url,
        data={"grant_type": "client_credentials", "scope": "petitions:read"},
        auth=(agency.client_id, agency.client_secret),
        timeout=10,
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"
    response = requests.post(
        token_url,
        data={"grant_type": "authorization_code", "code": "x"},
        auth=(agency.client_id, agency.client_secret),
        timeout=10,
    )
    assert response.json()["error"] == "unauthorized_client"


def test_token_endpoint_answers_oauth_errors_as_json(hub):
    token_url = hub.public_url("identity") + "/token"
    missing = requests.post(token_url, data={}, timeout=10)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    json_body = requests.post(token_url, json={"grant_type": "client_credentials"}, timeout=10)
    assert json_body.status_code == 400 and json_body.json()["error"] == "invalid_request"
    unknown = requests.post(
        token_url,
        data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
        timeout=10,
    )
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"


def test_unknown_authorization_parameters_are_ignored(hub, register):
    """OIDF conformance: an OP must ignore parameters it does not understand."""
    client = register()
    signed_in = login(hub, client, extra_parameter="whatever", claims_locales="xx")
    assert "code" in signed_in.answer and signed_in.answer["state"] == signed_in.state


def test_hostile_authorization_requests_get_an_oidc_error_and_store_nothing(hub, register):
    import sqlalchemy as sa

    client = register()
    engine = sa.create_engine(hub.database_url("identity"))
    with engine.connect() as conn:
        before = conn.execute(sa.text("select count(*) from pending_logins")).scalar()
    cases = {
        "unsupported_response_type": {"response_type": "token"},
        "invalid_request": {"code_challenge_method": "plain", "code_challenge": "x" * 43},
        "request_not_supported": {"request": "eyJhbGciOiJub25lIn0.e30."},
        "invalid_scope": {"scope": "profile"},
    }
    for error, params in cases.items():
        url, sent = authorize_url(hub, client, **params)
        location = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
        assert f"error={error}" in location and f"state={sent['state']}" in location, location
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from pending_logins")).scalar() == before
    engine.dispose()


def test_a_repeated_redirect_uri_gets_a_400_page(hub, register):
    client = register()
    url, _ = authorize_url(hub, client)
    response = requests.get(
        url + "&redirect_uri=https%3A%2F%2Fattacker.example%2F", allow_redirects=False, timeout=10
    )
    assert response.status_code == 400 and "Location" not in response.headers
