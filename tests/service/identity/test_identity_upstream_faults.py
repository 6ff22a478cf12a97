"""An upstream provider that fails or cheats: the citizen gets a clear page, the client an OIDC
error, and nobody a code. Driven by the mock's fault identities."""

from __future__ import annotations

import pytest
import requests
import sqlalchemy as sa
import yaml
from identity_browser import authorize_url, follow, login, return_link

from shared.config import load_settings


@pytest.fixture
def impatient_hub(start_hub, hub_env, tmp_path):
    """The mock as the only upstream, waited for one second at most."""
    provider = {
        "id": "mock",
        "issuer": hub_env["MOCK_IDP_PUBLIC_URL"],
        "client_id": "hub",
        "client_secret": "change-me",
        "acr_values": ["eidas1", "eidas2", "eidas3"],
        "timeout_seconds": 1,
    }
    path = tmp_path / "upstreams.yaml"
    path.write_text(yaml.safe_dump({"providers": [provider]}))
    return start_hub(load_settings({**hub_env, "HUB_UPSTREAM_IDPS": str(path)}))


@pytest.mark.parametrize(
    "identity,error,words",
    [
        ("fault.denied", "access_denied", "did not authenticate you"),
        ("fault.bad_signature", "access_denied", "could not be verified"),
        ("fault.wrong_nonce", "access_denied", "could not be verified"),
        ("fault.sub_mismatch", "access_denied", "could not be verified"),
        ("fault.timeout", "temporarily_unavailable", "did not answer in time"),
    ],
)
def test_upstream_failures_show_a_page_and_give_the_client_an_oidc_error(
    impatient_hub, register, identity, error, words
):
    hub, client, browser = impatient_hub, register(), requests.Session()
    url, sent = authorize_url(hub, client, login_hint=identity)
    page = follow(browser, url, client.redirect_uri)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert words in page.text and '<html lang="en">' in page.text
    back = return_link(page)
    assert back and back.startswith(client.redirect_uri + "?")
    signed_in = login(hub, client, identity)
    assert signed_in.answer["error"] == error and "code" not in signed_in.answer
    assert signed_in.answer["state"] == signed_in.state
    assert signed_in.answer["iss"] == hub.public_url("identity")
    assert sent["state"] in back


def test_a_failed_upstream_login_stores_no_code_and_no_session(impatient_hub, register):
    hub, client = impatient_hub, register()
    engine = sa.create_engine(hub.database_url("identity"))
    counts = "select (select count(*) from authorization_codes), (select count(*) from sessions)"
    with engine.connect() as conn:
        before = conn.execute(sa.text(counts)).one()
    login(hub, client, "fault.wrong_nonce")
    with engine.connect() as conn:
        assert conn.execute(sa.text(counts)).one() == before
    engine.dispose()


def test_a_short_state_at_the_callback_gets_a_400_page(hub):
    callback = hub.public_url("identity") + "/oidc-callback/mock"
    response = requests.get(
        callback, params={"code": "c", "state": "x" * 31}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 400 and "Location" not in response.headers
    assert "no valid state" in response.text


def test_a_state_the_hub_did_not_send_gets_a_400_page(hub):
    callback = hub.public_url("identity") + "/oidc-callback/mock"
    response = requests.get(
        callback, params={"code": "c", "state": "y" * 43}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 400 and "unknown or already completed" in response.text


def test_login_metrics_count_successes_and_failures_by_provider(impatient_hub, register):

    from shared.metrics import registry_for

    def count(outcome):
        labels = {"provider": "mock", "outcome": outcome}
        return registry_for("identity").get_sample_value("hub_identity_logins_total", labels) or 0

    ok, rejected = count("success"), count("rejected")
    client = register()
    login(impatient_hub, client, "marie.dupont")
    login(impatient_hub, client, "fault.bad_signature")
    assert (count("success"), count("rejected")) == (ok + 1, rejected + 1)
