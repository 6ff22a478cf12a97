"""Failure limits that slow attackers down without locking the rightful owner out (F1, F2).

Each attacker poses as an address of its own (``X-Forwarded-For``, one trusted proxy hop).
NOTE: the /moderation/login tests push identity's failure count for the petitions service's own
address (127.0.0.1) past its allowance on purpose; wrong secrets sent from 127.0.0.1 get 429 for
about a minute after them (this file runs after the others of the directory).
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urljoin

import pytest
import requests

pytestmark = pytest.mark.e2e

PAGES_CLIENT = "petitions-web"  # shared.config.DEV_WEB_CLIENT_ID: public in every login URL
PER_CLIENT = 10  # HUB_RATE_LIMIT_TOKEN_FAILURES_PER_CLIENT in the security hub
PER_ADDRESS = 60  # HUB_RATE_LIMIT_TOKEN_FAILURES_PER_ADDRESS (default)
OPERATOR_LOGIN_FAILURES = 10  # HUB_RATE_LIMIT_OPERATOR_LOGIN_FAILURES_PER_ADDRESS
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def pages_client(security_hub):
    """The pages' own client at identity, registered as `hub db upgrade` does outside production."""
    security_hub.hub.cli("db", "upgrade")
    return PAGES_CLIENT


def client_credentials(security_hub, client_id, secret, address=None, scope=None):
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    return requests.post(
        security_hub.url("identity") + "/token",
        data=data,
        auth=(client_id, secret),
        headers={"X-Forwarded-For": address} if address else {},
        timeout=15,
    )


def citizen_signs_in_on_the_pages(security_hub, address: str) -> requests.Response:
    """A citizen's sign-in through the petitions pages: the answer of /auth/callback."""
    browser = requests.Session()
    browser.headers["X-Forwarded-For"] = address
    url = security_hub.url("petitions") + "/login?login_hint=marie.dupont"
    for _ in range(10):
        response = browser.get(url, allow_redirects=False, timeout=15)
        if "/auth/callback" in url or response.status_code not in (302, 303):
            return response
        url = urljoin(url, response.headers["Location"])
    raise AssertionError("too many redirects")


def signed_in(response: requests.Response) -> bool:
    return response.status_code == 303 and "petitions_session" in response.cookies


def operator_sign_in(browser: requests.Session, security_hub, client_id, secret):
    pages = security_hub.url("petitions")
    token = CSRF.search(browser.get(pages + "/moderation/login", timeout=15).text)[1]
    return browser.post(
        pages + "/moderation/login",
        data={"csrf_token": token, "client_id": client_id, "client_secret": secret},
        allow_redirects=False,
        timeout=15,
    )


def attacker(security_hub, address: str) -> requests.Session:
    browser = requests.Session()
    browser.headers["X-Forwarded-For"] = address
    return browser


# -- F1: identity's token endpoint ------------------------------------------------------------


def test_guessing_a_client_secret_is_slowed_per_caller_address(security_hub):
    target = security_hub.hub.cli("clients", "create", "--name", "Guessed", "--kind", "agency")
    guesses = [
        client_credentials(security_hub, target["client_id"], f"guess-{i}", "198.51.100.20")
        for i in range(25)
    ]
    statuses = [g.status_code for g in guesses]
    assert statuses[:PER_CLIENT] == [401] * PER_CLIENT and statuses[-1] == 429, statuses
    assert int(guesses[-1].headers["Retry-After"]) > 0
    assert guesses[-1].json()["error"] == "rate_limited"
    # the right secret goes through whatever others did: from that address and from another
    secret = target["client_secret"]
    for address in ("198.51.100.20", "198.51.100.21"):
        right = client_credentials(security_hub, target["client_id"], secret, address)
        assert right.status_code == 200, right.text
    # and the guesser is still slowed down
    again = client_credentials(security_hub, target["client_id"], "guess-x", "198.51.100.20")
    assert again.status_code == 429


def test_wrong_secrets_from_many_addresses_lock_no_one_out_and_warn_the_operator(security_hub):
    target = security_hub.hub.cli("clients", "create", "--name", "Targeted", "--kind", "agency")
    stranger = f"nobody-{secrets.token_hex(6)}"  # an id an attacker made up
    statuses = [
        client_credentials(security_hub, client_id, "guess", f"198.51.100.{100 + i}").status_code
        for i in range(3 * PER_CLIENT)
        for client_id in (target["client_id"], stranger)
    ]
    assert set(statuses) == {401}, statuses
    right = client_credentials(security_hub, target["client_id"], target["client_secret"])
    assert right.status_code == 200, right.text
    log = security_hub.hub.log_path("identity").read_text(errors="replace")
    warnings = [line for line in log.splitlines() if target["client_id"] in line]
    assert any("WARNING" in line and "wrong secrets" in line for line in warnings), warnings
    assert stranger not in log
    metrics = requests.get(security_hub.hub.metrics_url("identity"), timeout=15).text
    assert 'client_auth_failures_total{answer="refused",client="registered"}' in metrics
    assert 'client_auth_failures_total{answer="refused",client="unknown"}' in metrics
    assert stranger not in metrics and target["client_id"] not in metrics


def test_wrong_secrets_naming_the_pages_client_do_not_stop_citizens_signing_in(
    security_hub, pages_client
):
    statuses = [
        client_credentials(security_hub, pages_client, "wrong", "198.51.100.30").status_code
        for _ in range(25)
    ]
    assert statuses[-1] == 429, statuses
    assert signed_in(citizen_signs_in_on_the_pages(security_hub, "203.0.113.31"))


# -- F2: the operators' sign-in page of petitions ---------------------------------------------


def test_failed_operator_sign_ins_slow_the_attackers_address_down(security_hub):
    """The finding's script: 65 bad sign-ins with one CSRF token, from one address."""
    browser = attacker(security_hub, "203.0.113.40")
    answers = [
        operator_sign_in(browser, security_hub, f"operator-{i:016x}", "guess") for i in range(65)
    ]
    statuses = [a.status_code for a in answers]
    first = statuses[:OPERATOR_LOGIN_FAILURES]
    assert first == [401] * OPERATOR_LOGIN_FAILURES and statuses[-1] == 429, statuses
    assert statuses.count(429) >= 65 - OPERATOR_LOGIN_FAILURES - 2
    limited = answers[-1]
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.headers["Content-Type"].startswith("text/html")
    assert "Trop de connexions échouées depuis votre adresse" in limited.text
    # even the right secret waits at that address; from another one it works at once
    operator = security_hub.operator
    blocked = operator_sign_in(
        browser, security_hub, operator["client_id"], operator["client_secret"]
    )
    assert blocked.status_code == 429
    elsewhere = operator_sign_in(
        attacker(security_hub, "203.0.113.41"),
        security_hub,
        operator["client_id"],
        operator["client_secret"],
    )
    assert elsewhere.status_code == 303 and elsewhere.headers["Location"] == "/moderation"


def test_failed_operator_sign_ins_do_not_lock_the_petitions_service_out_of_identity(
    security_hub, pages_client
):
    """Attackers on many addresses push identity's failure count for petitions' own address
    past its allowance; citizens and the real operator still sign in through petitions."""
    per_address = OPERATOR_LOGIN_FAILURES
    for n in range(PER_ADDRESS // per_address + 4):  # well past it, however slow the run
        browser = attacker(security_hub, f"203.0.113.{50 + n}")
        for i in range(per_address):
            operator_sign_in(browser, security_hub, f"operator-{n:04x}{i:012x}", "guess")
    # identity now slows down wrong secrets from petitions' address (here: the test's too)
    assert client_credentials(security_hub, "operator-0", "guess").status_code == 429
    assert signed_in(citizen_signs_in_on_the_pages(security_hub, "203.0.113.70"))
    operator = security_hub.operator
    real = operator_sign_in(
        attacker(security_hub, "203.0.113.71"),
        security_hub,
        operator["client_id"],
        operator["client_secret"],
    )
    assert real.status_code == 303 and real.headers["Location"] == "/moderation"
    agency = security_hub.agency
    right = client_credentials(
        security_hub, agency["client_id"], agency["client_secret"], scope="events:subscribe"
    )
    assert right.status_code == 200, right.text


def test_guessing_a_client_secret_at_the_revocation_endpoint_is_slowed_too(security_hub):
    """/revoke authenticates the client as /token does: the same count of wrong secrets."""
    target = security_hub.hub.cli("clients", "create", "--name", "Revoker", "--kind", "agency")
    revoke = security_hub.url("identity") + "/revoke"

    def attempt(secret: str, address: str) -> requests.Response:
        return requests.post(
            revoke,
            data={"token": "not-a-token"},
            auth=(target["client_id"], secret),
            headers={"X-Forwarded-For": address},
            timeout=15,
        )

    statuses = [attempt(f"guess-{i}", "198.51.100.40").status_code for i in range(25)]
    assert statuses[:PER_CLIENT] == [401] * PER_CLIENT and statuses[-1] == 429, statuses
    assert attempt(target["client_secret"], "198.51.100.40").status_code == 200
