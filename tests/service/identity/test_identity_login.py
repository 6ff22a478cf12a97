"""A citizen signs in through the mock provider; the hub's tokens are what other services expect."""

from __future__ import annotations

import requests
from identity_browser import exchange, login
from joserfc import jwt
from joserfc.jwk import KeySet

from shared.auth import TokenVerifier


def hub_keys(settings) -> KeySet:
    jwks = requests.get(settings.public_url("identity") + "/jwks", timeout=10).json()
    return KeySet.import_key_set(jwks)


def tokens_for(settings, client, identity="marie.dupont", **params) -> tuple[dict, object]:
    signed_in = login(settings, client, identity, **params)
    assert signed_in.answer["state"] == signed_in.state
    assert signed_in.answer["iss"] == settings.public_url("identity")
    response = exchange(settings, client, signed_in.answer["code"], signed_in.verifier)
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return response.json(), signed_in


def test_citizen_token_for_petitions_has_the_agreed_claims(hub, register):
    client = register()
    answer, signed_in = tokens_for(hub, client)
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == hub.access_token_ttl
    verifier = TokenVerifier(hub.public_url("identity"), hub.public_url("petitions"))
    claims = verifier.verify(answer["access_token"])
    assert claims["iss"] == hub.public_url("identity")
    assert claims["aud"] == hub.public_url("petitions")
    assert claims["client_id"] == client.client_id
    assert claims["scope"] == "openid petitions"
    assert claims["acr"] == "eidas1" and claims["adult"] is True
    assert claims["exp"] - claims["iat"] == hub.access_token_ttl and claims["jti"]
    assert "birthdate" not in claims and "given_name" not in claims
    header = jwt.decode(answer["access_token"], hub_keys(hub)).header
    assert header["alg"] == "ES256" and header["kid"] and header["typ"] == "at+jwt"


def test_id_token_is_signed_for_the_client_with_nonce_and_acr(hub, register):
    client = register()
    answer, signed_in = tokens_for(hub, client, acr_values="eidas2", identity="claire.moreau")
    token = jwt.decode(answer["id_token"], hub_keys(hub), algorithms=["ES256"])
    assert token.header["kid"]
    claims = token.claims
    assert claims["iss"] == hub.public_url("identity") and claims["aud"] == client.client_id
    assert claims["nonce"] == signed_in.nonce and claims["acr"] == "eidas2"
    assert claims["iat"] <= claims["exp"] and claims["sub"]
    access = jwt.decode(answer["access_token"], hub_keys(hub)).claims
    assert access["acr"] == "eidas2"
    assert access["sub"] != claims["sub"]  # pairwise per resource vs per client


def test_minor_is_not_adult_and_never_sees_birthdate_in_token(hub, register):
    client = register()
    answer, _ = tokens_for(hub, client, identity="lucas.petit")
    claims = jwt.decode(answer["access_token"], hub_keys(hub)).claims
    assert claims["adult"] is False and "birthdate" not in claims


def test_same_person_through_two_clients_is_one_petitions_subject_and_two_id_subjects(
    hub, register
):
    first, second = register(), register()
    a, _ = tokens_for(hub, first)
    b, _ = tokens_for(hub, second)
    keys = hub_keys(hub)
    access_a = jwt.decode(a["access_token"], keys).claims
    access_b = jwt.decode(b["access_token"], keys).claims
    assert access_a["sub"] == access_b["sub"]
    assert (
        jwt.decode(a["id_token"], keys).claims["sub"]
        != jwt.decode(b["id_token"], keys).claims["sub"]
    )
    other, _ = tokens_for(hub, first, identity="jean.martin")
    assert jwt.decode(other["access_token"], keys).claims["sub"] != access_a["sub"]


def test_userinfo_gives_granted_claims_and_the_id_token_subject(hub, register):
    client = register()
    answer, _ = tokens_for(hub, client, scope="openid given_name family_name birthdate")
    access = jwt.decode(answer["access_token"], hub_keys(hub)).claims
    assert access["aud"] == hub.public_url("identity") and "adult" not in access
    response = requests.get(
        hub.public_url("identity") + "/userinfo",
        headers={
            "Authorization": f"Bearer {answer['access_token']}",
            "Accept": "application/json",
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    info = response.json()
    id_sub = jwt.decode(answer["id_token"], hub_keys(hub)).claims["sub"]
    assert info == {
        "sub": id_sub,
        "given_name": "Marie Louise",
        "family_name": "DUPONT",
        "birthdate": "1985-04-12",
    }


def test_client_secret_basic_authenticates_too(hub, register):
    client = register()
    signed_in = login(hub, client)
    response = exchange(hub, client, signed_in.answer["code"], signed_in.verifier, basic=True)
    assert response.status_code == 200, response.text


def test_mock_provider_form_without_login_hint_logs_the_chosen_identity_in(hub, register):
    from identity_browser import authorize_url, follow

    client = register()
    browser = requests.Session()
    url, sent = authorize_url(hub, client, scope="openid given_name")
    page = follow(browser, url, client.redirect_uri)
    assert (
        page.status_code == 200
        and '<form method="post"' in page.text
        and 'name="identity"' in page.text
    )
    fields = dict(_hidden_fields(page.text), identity="amina.diallo")
    posted = browser.post(page.url, data=fields, allow_redirects=False, timeout=10)
    assert posted.status_code == 302
    done = follow(browser, posted.headers["Location"], client.redirect_uri)
    assert "code=" in done.final_url and f"state={sent['state']}" in done.final_url


def _hidden_fields(html: str) -> list[tuple[str, str]]:
    import re
    from html import unescape

    pattern = r'<input type="hidden" name="([^"]+)" value="([^"]*)">'
    return [(name, unescape(value)) for name, value in re.findall(pattern, html)]


def test_a_login_redeems_its_code_in_one_statement(hub, register):
    """The token endpoint's happy path: the code claimed and what it issues stored at once, no
    transaction around it (it took BEGIN, two statements and COMMIT)."""
    import sqlalchemy as sa
    from sqlalchemy.engine import Engine

    client = register()
    signed_in = login(hub, client, "marie.dupont")
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if "signing_keys" not in statement:  # the key store's own (its first key, reloads)
            sent.append(statement.lstrip().split(None, 1)[0].upper())

    sa.event.listen(Engine, "before_cursor_execute", record)
    try:
        response = exchange(hub, client, signed_in.answer["code"], signed_in.verifier)
    finally:
        sa.event.remove(Engine, "before_cursor_execute", record)
    assert response.status_code == 200, response.text
    assert sent == ["WITH"]  # no second statement: nothing fell back to the slow path
    replay = exchange(hub, client, signed_in.answer["code"], signed_in.verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
