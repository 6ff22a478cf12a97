"""The HTTP edge: security headers, cookies, CSRF on forms, rate limits, hostile bodies."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from urllib.parse import urlencode

import pytest
import requests

from faults.actors import bearer, pkce_pair
from faults.hub import ROOT
from shared.testing import free_port, wait_for_http

pytestmark = pytest.mark.e2e

PROBES = {  # one JSON answer, one error answer per process
    "identity": ["/.well-known/openid-configuration", "/no-such-page"],
    "petitions": ["/api/petitions", "/no-such-page"],
    "notifications": ["/api/event-types", "/no-such-page"],
    "mock-idp": ["/healthz", "/no-such-page"],
}


@pytest.mark.parametrize("process", sorted(PROBES))
def test_every_answer_carries_the_security_headers(security_hub, process):
    for path in PROBES[process]:
        response = requests.get(security_hub.url(process) + path, timeout=15)
        headers = response.headers
        assert headers.get("X-Content-Type-Options") == "nosniff", (path, dict(headers))
        csp = headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp or headers.get("X-Frame-Options") == "DENY"
        assert "default-src" in csp, (path, csp)
        assert "Strict-Transport-Security" not in headers  # never on plain-HTTP development


def _authorize_url(security_hub) -> str:
    _, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": security_hub.app["client_id"],
        "redirect_uri": security_hub.app["redirect_uris"][0],
        "scope": "openid petitions",
        "state": "s" * 20,
        "nonce": "n" * 20,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "idp_hint": "mock",
        "login_hint": "marie.dupont",
    }
    return security_hub.url("identity") + "/authorize?" + urlencode(query)


def _set_cookies(response: requests.Response) -> list[str]:
    return response.raw.headers.getlist("Set-Cookie")


def test_login_cookies_are_httponly_and_samesite(security_hub):
    browser = requests.Session()
    browser.headers["X-Forwarded-For"] = "203.0.113.61"  # not the address the fuzzers exhaust
    url, seen = _authorize_url(security_hub), []
    for _ in range(8):
        response = browser.get(url, allow_redirects=False, timeout=15)
        seen += _set_cookies(response)
        if response.status_code not in (302, 303) or response.headers["Location"].startswith(
            security_hub.app["redirect_uris"][0]
        ):
            break
        url = requests.compat.urljoin(url, response.headers["Location"])
    assert seen, "the login set no cookie"
    for header in seen:
        attributes = header.lower()
        assert "httponly" in attributes, header
        assert "samesite=lax" in attributes or "samesite=strict" in attributes, header


@pytest.fixture(scope="module")
def production_like(security_hub, tmp_path_factory):
    """identity with an https public URL and petitions with HUB_ENV=production, on the same
    databases (what a deployment behind a TLS-terminating proxy looks like)."""
    env = {k: v for k, v in security_hub.hub.env.items()}
    started = {}
    logs = tmp_path_factory.mktemp("production-like")
    for process, extra in (
        ("identity", {"IDENTITY_PUBLIC_URL": "https://127.0.0.1:{port}"}),
        ("petitions", {"HUB_ENV": "production", "PETITIONS_WEB_CLIENT_SECRET": "prod-like-secret"}),
    ):
        port, metrics = free_port(), free_port()
        prefix = process.upper()
        child_env = {**env, f"{prefix}_PORT": str(port), f"{prefix}_METRICS_PORT": str(metrics)}
        child_env.update({k: v.format(port=port) for k, v in extra.items()})
        if process == "petitions":
            child_env["PETITIONS_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
        log = (logs / f"{process}.log").open("wb")
        started[process] = (
            subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "hub", "run", process],
                env=child_env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            ),
            f"http://127.0.0.1:{port}",
            child_env,
        )
    try:
        for _child, url, _ in started.values():
            wait_for_http(url + "/healthz", timeout=60)
        yield {p: (url, e) for p, (_, url, e) in started.items()}
    finally:
        for child, _, _ in started.values():
            child.terminate()
            child.wait(timeout=40)


def test_cookies_are_secure_when_the_public_url_is_https(security_hub, production_like):
    url, _ = production_like["identity"]
    response = requests.get(
        _authorize_url(security_hub).replace(security_hub.url("identity"), url),
        allow_redirects=False,
        timeout=15,
    )
    cookies = _set_cookies(response)
    assert cookies, (response.status_code, response.text[:300])
    for header in cookies:
        assert "secure" in header.lower().split("; ") or "; secure" in header.lower(), header


def test_production_answers_carry_hsts(production_like):
    url, _ = production_like["petitions"]
    response = requests.get(url + "/api/petitions", timeout=15)
    assert "max-age=" in response.headers.get("Strict-Transport-Security", "")


# -- CSRF ------------------------------------------------------------------------------------

WEB = ROOT / "services" / "petitions" / "web"
POST_VIEWS = {  # every POST form's view, and where its CSRF check must be
    "views.py": ["sign", "withdraw", "create_petition", "logout"],
    "moderation.py": ["sign_in", "sign_out", "decide"],
    "drafting.py": ["save_draft", "submit", "sponsor"],
}


def _calls_csrf_check(source: str, function: str) -> bool:
    """The function checks CSRF itself or through a helper that does (one level deep)."""
    tree = ast.parse(source)
    functions = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}

    def checks(name: str, depth: int) -> bool:
        node = functions.get(name)
        if node is None:
            return False
        text = ast.unparse(node)
        if "csrf_ok()" in text:
            return True
        called = {
            c.func.id
            for c in ast.walk(node)
            if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
        }
        return depth > 0 and any(checks(c, depth - 1) for c in called if c in functions)

    return checks(function, 2)


@pytest.mark.parametrize("module,view", [(m, v) for m, views in POST_VIEWS.items() for v in views])
def test_every_post_form_of_the_web_pages_checks_its_csrf_token(module, view):
    assert _calls_csrf_check((WEB / module).read_text(), view), f"{module}:{view}"


def test_the_csrf_check_refuses_a_missing_a_wrong_and_a_cross_origin_token():
    from services.petitions.web.session import WebSession

    session = WebSession.__new__(WebSession)
    session.data = {}
    token = session.csrf_token()
    assert session.csrf_matches(token)
    assert not session.csrf_matches(None)
    assert not session.csrf_matches("")
    assert not session.csrf_matches(token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_the_petitions_web_pages_are_served_with_a_csrf_token_in_every_post_form(security_hub):
    page = requests.get(
        f"{security_hub.url('petitions')}/petitions/{security_hub.petition_id}", timeout=15
    )
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    forms = page.text.count('method="post"')
    assert page.text.count('name="csrf_token"') >= forms, page.text[:500]  # anonymous: may be 0


def test_a_cross_site_post_to_the_web_pages_is_refused(security_hub):
    """A browser session with its real token, but posting from another origin or without the
    token: refused, and nothing signed. (Anonymous, so this alone cannot tell a CSRF refusal
    from a login redirect: the static checks above prove each view checks its token.)"""
    import re

    browser = requests.Session()
    api = f"{security_hub.url('petitions')}/api/petitions/{security_hub.petition_id}"
    detail = f"{security_hub.url('petitions')}/petitions/{security_hub.petition_id}"
    page = browser.get(detail, timeout=15)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    before = requests.get(api, timeout=15).json()["signature_count"]
    for data, headers in (
        ({"csrf_token": token.group(1) if token else ""}, {"Origin": "https://evil.example"}),
        ({}, {}),
    ):
        response = browser.post(
            detail + "/signature", data=data, headers=headers, allow_redirects=False, timeout=15
        )
        assert response.status_code in (302, 303, 400, 403), response.status_code
    assert requests.get(api, timeout=15).json()["signature_count"] == before


# -- rate limits -----------------------------------------------------------------------------


def test_signing_is_rate_limited_per_client_and_address(security_hub):
    url = f"{security_hub.url('petitions')}/api/petitions/{security_hub.petition_id}/signatures"
    headers = {**bearer(security_hub.citizen), "X-Forwarded-For": "203.0.113.9"}
    statuses = [requests.post(url, headers=headers, timeout=15).status_code for _ in range(60)]
    assert 429 in statuses, statuses


def test_starting_logins_is_rate_limited_per_address(security_hub):
    headers = {"X-Forwarded-For": "203.0.113.10"}  # one address of its own (trusted proxy hop)
    statuses = [
        requests.get(
            _authorize_url(security_hub), allow_redirects=False, headers=headers, timeout=15
        ).status_code
        for _ in range(60)
    ]
    assert 429 in statuses, statuses


# -- hostile bodies --------------------------------------------------------------------------

JSON_ENDPOINTS = [
    ("petitions", "POST", "/api/petitions", "citizen"),
    ("petitions", "POST", "/api/petitions/{petition}/moderation", "operator_token"),
    ("notifications", "POST", "/api/subscriptions", "agency_token"),
]


@pytest.mark.parametrize("service,method,path,who", JSON_ENDPOINTS)
def test_hostile_bodies_get_clear_4xx_answers(security_hub, service, method, path, who):
    url = security_hub.url(service) + path.format(petition=security_hub.petition_id)
    auth = bearer(getattr(security_hub, who))
    cases = {
        "oversized": (json.dumps({"title": "x" * (200 * 1024)}), "application/json", 413),
        "malformed": ('{"title": ', "application/json", 400),
        "not an object": ("[1, 2, 3]", "application/json", 400),
        "wrong type": ("title=x", "application/x-www-form-urlencoded", 415),
        "no type": ('{"title": "x"}', None, 415),
        "invalid utf-8": (b'{"title": "\xff\xfe"}', "application/json", 400),
        # a filter reading the first key would see another object than the one stored
        "repeated key": ('{"title": "A title", "title": "B title"}', "application/json", 400),
    }
    for name, (body, content_type, expected) in cases.items():
        headers = dict(auth)
        if content_type:
            headers["Content-Type"] = content_type
        response = requests.request(method, url, data=body, headers=headers, timeout=30)
        assert response.status_code == expected, (name, response.status_code, response.text[:200])
        assert response.json()["error"], name
        assert "Traceback" not in response.text


@pytest.mark.parametrize("service,method,path,who", JSON_ENDPOINTS)
def test_deeply_nested_json_is_a_400_not_a_500(security_hub, service, method, path, who):
    """json.loads raises RecursionError (not ValueError) on a few thousand nested arrays."""
    url = security_hub.url(service) + path.format(petition=security_hub.petition_id)
    headers = {**bearer(getattr(security_hub, who)), "Content-Type": "application/json"}
    response = requests.request(
        method, url, data="[" * 5000 + "]" * 5000, headers=headers, timeout=30
    )
    assert response.status_code == 400, (response.status_code, response.text[:200])


def test_an_oversized_body_without_content_length_is_refused(security_hub):
    """Chunked transfer: the limit must hold when the size is not announced."""

    def chunks():
        for _ in range(200):
            yield b"x" * 1024

    response = requests.post(
        security_hub.url("petitions") + "/api/petitions",
        data=chunks(),
        headers={**bearer(security_hub.citizen), "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code in (400, 411, 413), response.status_code


@pytest.mark.parametrize(
    "service,path",
    [
        ("petitions", "/api/petitions/a%00b"),
        ("petitions", "/petitions/a%00b"),  # a page
        ("notifications", "/api/subscriptions/a%00b"),
    ],
)
def test_a_path_naming_something_with_a_nul_is_a_404_not_a_500(security_hub, service, path):
    """PostgreSQL cannot even look up a text with a NUL: the lookup failed with a 500."""
    response = requests.get(
        security_hub.url(service) + path, headers=bearer(security_hub.agency_token), timeout=15
    )
    assert response.status_code == 404, (response.status_code, response.text[:200])
    assert response.json()["error"] == "not_found"
