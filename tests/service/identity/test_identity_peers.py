"""The hub between certified peers: oidc-provider configured like FranceConnect v2 upstream, the
mock beside it, and openid-client as a relying party driving login, refresh and logout."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
import yaml
from identity_browser import follow
from peers import run_rp, start_upstream

from shared.config import load_settings
from shared.testing import free_port

PEER_ID = "fc"


@pytest.fixture
def peer(hub_env):
    upstream = start_upstream(free_port(), hub_env["IDENTITY_PUBLIC_URL"], PEER_ID)
    yield upstream
    upstream.stop()


@pytest.fixture
def federated(start_hub, hub_env, tmp_path, peer):
    """The hub federating the mock and the oidc-provider peer (HUB_UPSTREAM_IDPS)."""
    providers = [
        {
            "id": "mock",
            "name": "Mock provider",
            "issuer": hub_env["MOCK_IDP_PUBLIC_URL"],
            "client_id": "hub",
            "client_secret": "change-me",
            "acr_values": ["eidas1", "eidas2", "eidas3"],
        },
        {
            "id": PEER_ID,
            "name": "FranceConnect-like provider",
            "issuer": peer.issuer,
            "client_id": "hub",
            "client_secret": "peer-client-secret-for-the-hub-0123456789",
            "acr_values": ["eidas1", "eidas2"],
        },
    ]
    path = tmp_path / "upstreams.yaml"
    path.write_text(yaml.safe_dump({"providers": providers}))
    return start_hub(load_settings({**hub_env, "HUB_UPSTREAM_IDPS": str(path)}))


def rp_input(hub, client, **extra):
    return {
        "issuer": hub.public_url("identity"),
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "redirect_uri": client.redirect_uri,
        **extra,
    }


def sign_in_with_rp(hub, client, browser, **params):
    """openid-client makes the authorization URL; the browser follows it; openid-client finishes."""
    started = run_rp("start", **rp_input(hub, client, params=params))
    arrived = follow(browser, started["url"], client.redirect_uri)
    assert getattr(arrived, "final_url", None), arrived.text[:500]
    return run_rp(
        "finish",
        **rp_input(hub, client, callback_url=arrived.final_url, **started),
        post_logout_redirect_uri=client.redirect_uri,
    )


def test_openid_client_signs_in_through_oidc_provider_refreshes_and_logs_out(federated, register):
    hub, client, browser = federated, register(), requests.Session()
    scope = "openid petitions given_name birthdate"
    done = sign_in_with_rp(
        hub, client, browser, idp_hint=PEER_ID, login_hint="nadia.haddad", scope=scope
    )
    assert "error" not in done, done
    assert done["id_token_claims"]["acr"] == "eidas2"
    userinfo = done["userinfo"]  # a signed JWT, which openid-client verified
    assert userinfo["iss"] == hub.public_url("identity") and userinfo["aud"] == client.client_id
    assert userinfo["sub"] == done["id_token_claims"]["sub"]
    assert userinfo["given_name"] == "Nadia" and userinfo["birthdate"] == "1975-01-01"
    assert "family_name" not in userinfo and "email" not in userinfo  # not in the scope
    assert done["refreshed"]["id_token_claims"]["sub"] == done["id_token_claims"]["sub"]
    assert done["userinfo_after_refresh"]["sub"] == done["id_token_claims"]["sub"]
    assert (
        run_rp("refresh", **rp_input(hub, client, refresh_token=done["first_refresh_token"]))[
            "error"
        ]
        == "invalid_grant"
    )  # rotated: the first refresh token was spent
    back = log_out(browser, done["end_session_url"], client.redirect_uri)
    assert parse_qs(urlsplit(back).query) == {"state": ["logout-state-from-the-rp"]}
    again = run_rp(
        "refresh", **rp_input(hub, client, refresh_token=done["refreshed"]["refresh_token"])
    )
    assert again["error"] == "invalid_grant"  # the session ended, and its refresh tokens with it


def test_logout_also_ends_the_upstream_session(federated, register):
    hub, client, browser = federated, register(), requests.Session()
    done = sign_in_with_rp(hub, client, browser, idp_hint=PEER_ID, login_hint="marie.dupont")
    started = run_rp("start", **rp_input(hub, client, params={"idp_hint": PEER_ID}))
    still_signed_in = follow(browser, started["url"], client.redirect_uri)
    assert getattr(still_signed_in, "final_url", None)  # the upstream session signs her in again
    log_out(browser, done["end_session_url"], client.redirect_uri)
    started = run_rp("start", **rp_input(hub, client, params={"idp_hint": PEER_ID}))
    page = follow(browser, started["url"], client.redirect_uri)
    assert page.status_code == 200 and 'name="account"' in page.text  # asked to sign in again


def test_same_person_through_the_mock_and_oidc_provider_is_one_subject(federated, register):
    hub, client = federated, register()
    subjects = []
    for provider in ("mock", PEER_ID):
        done = sign_in_with_rp(
            hub, client, requests.Session(), idp_hint=provider, login_hint="marie.dupont"
        )
        assert "error" not in done, done
        subjects.append(done["id_token_claims"]["sub"])
    assert subjects[0] == subjects[1]


def test_chooser_lists_only_providers_able_to_meet_the_level(federated, register):
    hub, client = federated, register()
    started = run_rp("start", **rp_input(hub, client, params={"acr_values": "eidas1"}))
    page = requests.get(started["url"], timeout=10)
    assert "idp_hint=mock" in page.text and f"idp_hint={PEER_ID}" in page.text
    started = run_rp("start", **rp_input(hub, client, params={"acr_values": "eidas3"}))
    straight = requests.get(started["url"], allow_redirects=False, timeout=10)
    assert straight.status_code == 302  # only the mock can: no chooser
    assert straight.headers["Location"].startswith(hub.public_url("mock-idp"))


def test_openid_client_sees_the_oidc_error_when_the_level_cannot_be_met(federated, register):
    hub, client = federated, register()
    started = run_rp(
        "start", **rp_input(hub, client, params={"idp_hint": PEER_ID, "acr_values": "eidas3"})
    )
    arrived = follow(requests.Session(), started["url"], client.redirect_uri)
    done = run_rp("finish", **rp_input(hub, client, callback_url=arrived.final_url, **started))
    assert done["error"] == "access_denied"


def log_out(browser, end_session_url, client_redirect_uri):
    """Follows the hub's logout through the upstream provider's confirmation form and back."""
    page = follow(browser, end_session_url, client_redirect_uri)
    if getattr(page, "final_url", None):
        return page.final_url
    action = unescape(re.search(r'<form[^>]*action="([^"]+)"', page.text).group(1))
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    posted = browser.post(urljoin(page.url, action), data=fields, allow_redirects=False, timeout=10)
    back = follow(browser, urljoin(page.url, posted.headers["Location"]), client_redirect_uri)
    return back.final_url
