"""Federation: several upstream providers, the chooser, one citizen whichever provider; discovery;
the `hub clients create` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
import yaml
from identity_browser import authorize_url, exchange, follow, login
from joserfc import jwt
from joserfc.jwk import KeySet

from services.mock_idp.service import MockIdentityProvider
from shared.config import load_settings


@pytest.fixture
def two_providers(hub_env, tmp_path):
    """Two upstream entries, both served by the mock (as two providers would be)."""
    mock = hub_env["MOCK_IDP_PUBLIC_URL"]
    entries = [
        {
            "id": "alpha",
            "name": "Alpha",
            "issuer": mock,
            "client_id": "hub-a",
            "client_secret": "a" * 20,
            "acr_values": ["eidas1"],
        },
        {
            "id": "beta",
            "name": "Beta",
            "issuer": mock,
            "client_id": "hub-b",
            "client_secret": "b" * 20,
            "acr_values": ["eidas1", "eidas2"],
            "token_endpoint_auth_method": "client_secret_basic",
        },
    ]
    path = tmp_path / "upstreams.yaml"
    path.write_text(yaml.safe_dump({"providers": entries}))
    return load_settings({**hub_env, "HUB_UPSTREAM_IDPS": str(path)})


def test_same_person_through_two_providers_is_the_same_citizen(start_hub, register, two_providers):
    hub = start_hub(two_providers)
    client = register(hub_settings=hub)
    subjects = []
    for provider in ("alpha", "beta"):
        signed_in = login(hub, client, "jean.martin", idp_hint=provider)
        answer = exchange(hub, client, signed_in.answer["code"], signed_in.verifier).json()
        subjects.append(jwt.decode(answer["access_token"], _keys(hub)).claims["sub"])
    assert subjects[0] == subjects[1]


def test_without_idp_hint_the_chooser_lists_providers_able_to_meet_the_level(
    start_hub, register, two_providers
):
    hub = start_hub(two_providers)
    client = register(hub_settings=hub)
    url, _ = authorize_url(hub, client, idp_hint="")
    page = requests.get(url, timeout=10)
    assert (
        page.status_code == 200 and "idp_hint=alpha" in page.text and "idp_hint=beta" in page.text
    )
    url, _ = authorize_url(hub, client, idp_hint="", acr_values="eidas2")
    page = requests.get(url, allow_redirects=False, timeout=10)
    assert page.status_code == 302 and page.headers["Location"].startswith(
        hub.public_url("mock-idp")
    )


def test_discovery_names_every_endpoint_and_the_jwks_has_an_es256_key(hub):
    issuer = hub.public_url("identity")
    metadata = requests.get(issuer + "/.well-known/openid-configuration", timeout=10).json()
    assert metadata["issuer"] == issuer
    for name in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
        "revocation_endpoint",
    ):
        assert metadata[name].startswith(issuer + "/")
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["token_endpoint_auth_methods_supported"] == [
        "client_secret_post",
        "client_secret_basic",
    ]
    keys = requests.get(metadata["jwks_uri"], timeout=10).json()["keys"]
    assert keys and all(k["alg"] == "ES256" and k["kid"] and "d" not in k for k in keys)


def test_mock_provider_refuses_production(start_service, hub_env):
    production = load_settings({**hub_env, "HUB_ENV": "production", "HUB_SUBJECT_SECRET": "s" * 40})
    with pytest.raises(RuntimeError, match="production"):
        start_service(MockIdentityProvider, "mock-idp", production)


def test_cli_creates_a_client_that_can_sign_a_citizen_in(hub, hub_env):
    hub_command = Path(sys.executable).parent / "hub"
    result = subprocess.run(
        [
            str(hub_command),
            "clients",
            "create",
            "--name",
            "CLI test",
            "--kind",
            "service-provider",
            "--scope",
            "openid petitions",
            "--redirect-uri",
            "http://127.0.0.1:9/callback",
        ],
        env=hub_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert created["scopes"] == ["openid", "petitions"] and created["client_secret"]
    from identity_browser import RegisteredClient

    client = RegisteredClient(
        created["client_id"],
        created["client_secret"],
        "http://127.0.0.1:9/callback",
        created["scopes"],
    )
    signed_in = login(hub, client)
    assert exchange(hub, client, signed_in.answer["code"], signed_in.verifier).status_code == 200


def test_cli_refuses_bad_input_readably(hub_env):
    hub_command = Path(sys.executable).parent / "hub"
    result = subprocess.run(
        [
            str(hub_command),
            "clients",
            "create",
            "--name",
            "X",
            "--kind",
            "agency",
            "--redirect-uri",
            "http://127.0.0.1:9/cb",
        ],
        env=hub_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert "redirect URI" in result.stderr and "Traceback" not in result.stderr


def test_end_session_goes_back_to_a_registered_uri_only(hub, register):
    client = register()
    signed_in = login(hub, client)
    id_token = exchange(hub, client, signed_in.answer["code"], signed_in.verifier).json()[
        "id_token"
    ]
    end = hub.public_url("identity") + "/session/end"
    elsewhere = requests.get(
        end,
        params={"id_token_hint": id_token, "post_logout_redirect_uri": "https://attacker.example/"},
        allow_redirects=False,
        timeout=10,
    )
    assert elsewhere.status_code == 400 and "Location" not in elsewhere.headers
    query = urlencode(
        {"id_token_hint": id_token, "post_logout_redirect_uri": client.redirect_uri, "state": "s1"}
    )
    back = follow(signed_in.browser, f"{end}?{query}", client.redirect_uri)
    assert back.final_url == client.redirect_uri + "?state=s1"


def _keys(hub) -> KeySet:
    return KeySet.import_key_set(
        requests.get(hub.public_url("identity") + "/jwks", timeout=10).json()
    )


def test_follow_helper_is_used(hub, register):
    """The browser helper stops at the client's redirect URI without fetching it."""
    client = register()
    url, _ = authorize_url(hub, client, login_hint="marie.dupont")
    assert "code=" in follow(requests.Session(), url, client.redirect_uri).final_url
