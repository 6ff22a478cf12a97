"""F5: an access token identity revoked is refused by the resource services within seconds, not
at its ``exp``: after a code replay, ``/revoke``, a refresh-token reuse, logout (the pages' too),
a disabled client and an erased citizen; by every petitions process, one restarted included.

The hub runs as `hub up` runs it, on databases and a vhost of its own, with two petitions
processes on one port (two replicas: a request goes to either).
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
import sqlalchemy as sa

from faults import actors
from faults.hub import Hub
from tests.infra import create_databases, create_vhost, drop_databases, drop_vhost, hub_environment

pytestmark = pytest.mark.e2e

POLL_SECONDS = 5.0  # the feed's promise is about 2 s; a slow machine gets some slack
REPLICA_LAG_SECONDS = 1.5  # every process reloads its deny-list each second
PETITION = {"title": "Revoked tokens create nothing", "text": "A text long enough for the rules."}


@pytest.fixture(scope="module")
def hub(run_id: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    admin_url = os.environ.get(
        "HUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    base_uri = os.environ.get("HUB_TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    vhost = f"hub-test-{run_id}-revocation"
    urls = create_databases(admin_url, f"hub_test_{run_id}_rev")
    try:
        work: Path = tmp_path_factory.mktemp("revocation-hub")
        env = hub_environment(urls, create_vhost(base_uri, vhost), work / "data")
        env.update({"HUB_LOG_LEVEL": "INFO", "PETITIONS_PROCESSES": "2"})
        running = Hub(env, work / "logs")
        running.database_urls = urls  # type: ignore[attr-defined]
        running.cli("db", "upgrade")  # as `make run`: registers the pages' development client
        running.start_all()
        try:
            yield running
        finally:
            running.stop_all()
    finally:
        drop_vhost(base_uri, vhost)
        drop_databases(admin_url, urls)


@pytest.fixture(scope="module")
def app(hub: Hub) -> dict[str, Any]:
    return hub.cli(
        "clients", "create", "--name", "Rev web", "--kind", "service-provider",
        "--redirect-uri", "http://127.0.0.1:1/cb",
    )  # fmt: skip


@pytest.fixture(scope="module")
def config(hub: Hub) -> dict[str, Any]:
    return actors.discovery(hub.url("identity"))


def signed_in(hub: Hub, app: dict[str, Any], who: str = "marie.dupont") -> dict[str, Any]:
    code, verifier, config = actors.authorize_code(hub.url("identity"), app, who)
    answer = actors.redeem_code(config, app, code, verifier)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def at_petitions(hub: Hub, token: str) -> int:
    # A new connection each time: either petitions process may answer it.
    headers = {**actors.bearer(token), "Connection": "close"}
    url = hub.url("petitions") + "/api/petitions"
    return requests.get(url, headers=headers, timeout=15).status_code


def at_notifications(hub: Hub, token: str) -> int:
    url = hub.url("notifications") + "/api/subscriptions"
    return requests.get(url, headers=actors.bearer(token), timeout=15).status_code


def refused_soon(check: Callable[[], int]) -> float:
    """Seconds until ``check`` answers 401 (at most POLL_SECONDS)."""
    began = time.monotonic()
    while check() != 401:
        assert time.monotonic() - began < POLL_SECONDS, "the revoked token is still accepted"
        time.sleep(0.1)
    return time.monotonic() - began


def refused_by_every_petitions_process(hub: Hub, token: str) -> None:
    refused_soon(lambda: at_petitions(hub, token))
    time.sleep(REPLICA_LAG_SECONDS)
    answers = [at_petitions(hub, token) for _ in range(12)]
    assert answers == [401] * 12, answers
    created = requests.post(
        hub.url("petitions") + "/api/petitions",
        json=PETITION,
        headers=actors.bearer(token),
        timeout=15,
    )
    assert created.status_code == 401 and created.json()["error"] == "invalid_token"
    assert created.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def revoke(config: dict[str, Any], client: dict[str, Any], token: str) -> None:
    answer = requests.post(
        config["revocation_endpoint"],
        data={"token": token},
        auth=(client["client_id"], client["client_secret"]),
        timeout=15,
    )
    assert answer.status_code == 200, answer.text


def denied_at_notifications(hub: Hub, jti: str) -> bool:
    engine = sa.create_engine(hub.database_urls["notifications"])  # type: ignore[attr-defined]
    try:
        with engine.connect() as conn:
            query = sa.text("select count(*) from revocations where kind = 'jti' and value = :j")
            return bool(conn.execute(query, {"j": jti}).scalar_one())
    finally:
        engine.dispose()


def test_a_replayed_code_revokes_the_access_token_of_the_first_redemption(hub, app):
    code, verifier, config = actors.authorize_code(hub.url("identity"), app, "marie.dupont")
    first = actors.redeem_code(config, app, code, verifier)
    assert first.status_code == 200, first.text
    token = first.json()["access_token"]
    assert at_petitions(hub, token) == 200
    replay = actors.redeem_code(config, app, code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    refused_by_every_petitions_process(hub, token)
    # notifications never accepted it (its audience is petitions), and keeps its jti too
    assert at_notifications(hub, token) == 401
    jti = actors.unverified_claims(token)["jti"]
    deadline = time.monotonic() + POLL_SECONDS
    while not denied_at_notifications(hub, jti):
        assert time.monotonic() < deadline, "notifications did not record the revocation"
        time.sleep(0.1)


@pytest.mark.parametrize("which", ["refresh_token", "access_token"])
def test_revoking_a_token_revokes_the_access_token_at_petitions(hub, app, config, which):
    tokens = signed_in(hub, app)
    assert at_petitions(hub, tokens["access_token"]) == 200
    revoke(config, app, tokens[which])
    refused_by_every_petitions_process(hub, tokens["access_token"])


def test_a_reused_refresh_token_revokes_every_access_token_of_its_family(hub, app, config):
    first = signed_in(hub, app)
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    auth = (app["client_id"], app["client_secret"])
    second = requests.post(config["token_endpoint"], data=form, auth=auth, timeout=15)
    assert second.status_code == 200, second.text
    assert at_petitions(hub, second.json()["access_token"]) == 200
    reused = requests.post(config["token_endpoint"], data=form, auth=auth, timeout=15)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    refused_by_every_petitions_process(hub, first["access_token"])
    refused_by_every_petitions_process(hub, second.json()["access_token"])


def test_logout_with_an_id_token_hint_revokes_the_sessions_access_tokens(hub, app, config):
    tokens = signed_in(hub, app)
    assert at_petitions(hub, tokens["access_token"]) == 200
    query = urlencode({"id_token_hint": tokens["id_token"]})
    ended = requests.get(
        f"{config['end_session_endpoint']}?{query}", allow_redirects=False, timeout=15
    )
    assert ended.status_code in (200, 302, 303), ended.text
    refused_by_every_petitions_process(hub, tokens["access_token"])


def test_a_disabled_agency_and_a_revoked_machine_token_are_refused_at_notifications(hub):
    identity = hub.url("identity")
    disabled = hub.cli("clients", "create", "--name", "Rev agency", "--kind", "agency")
    kept = hub.cli("clients", "create", "--name", "Rev agency 2", "--kind", "agency")
    of_disabled = actors.client_token(identity, disabled, "events:subscribe")
    revoked = actors.client_token(identity, kept, "events:subscribe")
    still_good = actors.client_token(identity, kept, "events:subscribe")
    for token in (of_disabled, revoked, still_good):
        assert at_notifications(hub, token) == 200
    hub.cli("clients", "disable", disabled["client_id"])
    refused_soon(lambda: at_notifications(hub, of_disabled))
    revoke(actors.discovery(identity), kept, revoked)
    refused_soon(lambda: at_notifications(hub, revoked))
    refused = requests.get(
        hub.url("notifications") + "/api/subscriptions", headers=actors.bearer(revoked), timeout=15
    )
    assert refused.json()["error"] == "invalid_token"
    assert refused.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert at_notifications(hub, still_good) == 200  # only the token revoked


def test_an_erased_citizen_loses_the_access_tokens_issued_before(hub, app):
    token = signed_in(hub, app, "lucas.petit")["access_token"]
    assert at_petitions(hub, token) == 200
    hub.cli("citizens", "erase", "--", actors.unverified_claims(token)["sub"])
    refused_by_every_petitions_process(hub, token)
    assert at_petitions(hub, signed_in(hub, app, "lucas.petit")["access_token"]) == 200


def test_petitions_restarted_refuses_a_token_revoked_while_it_was_down(hub, app, config):
    tokens = signed_in(hub, app)
    assert at_petitions(hub, tokens["access_token"]) == 200
    assert hub.terminate("petitions") == 0
    try:
        revoke(config, app, tokens["access_token"])
    finally:
        hub.start("petitions")
    refused_by_every_petitions_process(hub, tokens["access_token"])


def test_signing_out_of_the_pages_revokes_the_access_token_in_the_session_cookie(hub):
    pages = hub.url("petitions")
    browser = requests.Session()
    landed = browser.get(f"{pages}/login?login_hint=amina.diallo&lang=en", timeout=30)
    assert landed.status_code == 200 and landed.url.startswith(pages), landed.url
    cookie = browser.cookies.get("petitions_session")
    payload = cookie.split(".")[0]
    token = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["at"]
    assert at_petitions(hub, token) == 200

    home = browser.get(f"{pages}/?lang=en", timeout=15).text
    csrf = re.search(r'action="/logout".*?name="csrf_token" value="([^"]+)"', home, re.S)
    assert csrf, "no sign-out form: not signed in?"
    out = browser.post(f"{pages}/logout", data={"csrf_token": csrf.group(1)}, timeout=30)
    assert out.status_code == 200 and out.url.startswith(f"{pages}/signed-out"), out.url

    refused_by_every_petitions_process(hub, token)
    # the cookie kept by someone else (another browser, a copy) no longer signs anyone in
    copy = requests.Session()
    copy.cookies.set("petitions_session", cookie)
    page = copy.get(f"{pages}/?lang=en", timeout=15).text
    assert 'action="/logout"' not in page
