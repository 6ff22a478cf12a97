"""Registering clients: kinds, grants, scopes, redirect URIs, secrets; upstream configuration."""

import pytest

from services.identity.domain.clients import ClientRegistrationError, new_client
from shared.scopes import DEFAULT_SCOPES
from shared.upstreams import UpstreamConfigError, parse_upstreams


def test_service_provider_gets_default_scopes_a_secret_and_the_code_grant():
    client, secret = new_client("Web", "service-provider", None, ["https://sp.example/cb"])
    assert client.scopes == DEFAULT_SCOPES["service-provider"]
    assert secret and client.secret_matches(secret) and not client.secret_matches(secret + "x")
    assert secret not in (client.secret_hash or "")
    assert client.allows_grant("authorization_code") and not client.allows_grant(
        "client_credentials"
    )


def test_agencies_and_operators_use_client_credentials_only():
    for kind in ("agency", "operator"):
        client, _ = new_client("Machine", kind)
        assert client.allows_grant("client_credentials") and not client.allows_grant(
            "authorization_code"
        )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "agency", "scope": "petitions:moderate"},
        {"kind": "agency", "redirect_uris": ["https://a.example/cb"]},
        {"kind": "service-provider"},
        {"kind": "service-provider", "redirect_uris": ["https://sp.example/cb#frag"]},
        {"kind": "service-provider", "redirect_uris": ["ftp://sp.example/cb"]},
        {"kind": "service-provider", "redirect_uris": ["http://sp.example/cb"], "production": True},
        {"kind": "agency", "public": True},
        {"kind": "robot"},
    ],
)
def test_bad_registrations_are_refused(kwargs):
    with pytest.raises(ClientRegistrationError):
        new_client("Name", **kwargs)


def test_public_client_has_no_secret_and_matches_none():
    client, secret = new_client(
        "SPA", "service-provider", None, ["http://127.0.0.1:9/cb"], public=True
    )
    assert secret is None and client.public and not client.secret_matches("anything")


def test_redirect_uris_match_exactly():
    client, _ = new_client("Web", "service-provider", None, ["https://sp.example/cb"])
    assert client.registered_redirect("https://sp.example/cb")
    assert not client.registered_redirect("https://sp.example/cb/")
    assert not client.registered_redirect("https://sp.example/cb?x=1")


def test_upstream_providers_are_parsed_with_defaults():
    providers = parse_upstreams(
        {
            "providers": [
                {
                    "id": "fc",
                    "issuer": "https://fc.example/api/v2/",
                    "client_id": "c",
                    "client_secret": "s",
                    "acr_values": ["eidas1", "eidas2"],
                },
            ]
        }
    )
    assert providers[0].issuer == "https://fc.example/api/v2"
    assert providers[0].can_meet("eidas2") and not providers[0].can_meet("eidas3")
    assert (
        providers[0].redirect_uri("https://hub.example") == "https://hub.example/oidc-callback/fc"
    )


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"providers": []},
        {"providers": [{"id": "x"}]},
        {
            "providers": [
                {
                    "id": "x",
                    "issuer": "i",
                    "client_id": "c",
                    "client_secret": "s",
                    "acr_values": ["high"],
                }
            ]
        },
        {"providers": [{"id": "x", "issuer": "i", "client_id": "c", "client_secret": "s"}] * 2},
    ],
)
def test_bad_upstream_configurations_are_refused(data):
    with pytest.raises(UpstreamConfigError):
        parse_upstreams(data)
