"""Logout without an id_token_hint asks the person first (RP-Initiated Logout 1.0 section 2):
a link or a redirect from any site must not sign a citizen out of every service (F9)."""

from __future__ import annotations

import re
from html import unescape

import requests
from identity_browser import exchange, login

CONFIRMATION = re.compile(r'<input type="hidden" name="confirmation" value="([^"]+)">')


def end_url(hub) -> str:
    return hub.public_url("identity") + "/session/end"


def signed_in(hub, client):
    """A browser holding the hub's session cookie, and the tokens the client got in it."""
    done = login(hub, client)
    tokens = exchange(hub, client, done.answer["code"], done.verifier)
    assert tokens.status_code == 200, tokens.text
    assert done.browser.cookies.get("hub_session")
    return done.browser, tokens.json()


class Session:
    """The refresh token of one hub session, refreshed (rotated) to see whether it still lives."""

    def __init__(self, hub, client, tokens) -> None:
        self.hub, self.client, self.refresh_token = hub, client, tokens["refresh_token"]

    def alive(self) -> bool:
        response = requests.post(
            self.hub.public_url("identity") + "/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": self.refresh_token,
                "client_id": self.client.client_id,
                "client_secret": self.client.client_secret,
            },
            timeout=10,
        )
        if response.status_code == 200:
            self.refresh_token = response.json()["refresh_token"]
            return True
        assert response.json()["error"] == "invalid_grant", response.text
        return False


def confirmation_of(page: requests.Response) -> str:
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert '<form method="post" action="/session/end">' in page.text
    assert "<script" not in page.text and '<html lang="en">' in page.text
    found = CONFIRMATION.search(page.text)
    assert found, page.text
    return unescape(found[1])


def test_a_logout_link_without_id_token_hint_asks_and_ends_nothing(hub, register):
    client = register()
    browser, tokens = signed_in(hub, client)
    session = Session(hub, client, tokens)
    page = browser.get(end_url(hub), allow_redirects=False, timeout=10)
    assert "Location" not in page.headers
    token = confirmation_of(page)
    assert "form-action" not in page.headers["Content-Security-Policy"]  # redirects follow it
    assert browser.cookies.get("hub_session"), "the cookie was cleared"
    # a GET carrying the token does not confirm either (a link can carry anything)
    browser.get(end_url(hub), params={"confirmation": token}, allow_redirects=False, timeout=10)
    assert session.alive()


def test_a_post_without_the_sessions_token_ends_nothing(hub, register):
    client = register()
    browser, tokens = signed_in(hub, client)
    other_browser, _ = signed_in(hub, client)  # another person's session and page
    other_token = confirmation_of(other_browser.get(end_url(hub), timeout=10))
    session = Session(hub, client, tokens)
    for form in (
        {},
        {"confirmation": "forged"},
        {"confirmation": other_token},
        {"confirmation": "é"},
    ):
        answer = browser.post(end_url(hub), data=form, allow_redirects=False, timeout=10)
        assert answer.status_code == 200 and "Location" not in answer.headers
        confirmation_of(answer)  # asked again
    assert session.alive()


def test_the_confirmed_logout_ends_the_session_of_the_cookie(hub, register):
    client = register()
    browser, tokens = signed_in(hub, client)
    session = Session(hub, client, tokens)
    token = confirmation_of(browser.get(end_url(hub), timeout=10))
    answer = browser.post(
        end_url(hub), data={"confirmation": token}, allow_redirects=False, timeout=10
    )
    assert answer.status_code in (200, 302), answer.text  # signed out, or on to the upstream
    assert not session.alive()
    assert not browser.cookies.get("hub_session")


def test_a_valid_jwt_that_names_no_session_is_no_hint(hub, register):
    """An access token (or a signed userinfo) is signed by the hub but names no session: as a
    hint it would let anyone end the session of the victim's cookie."""
    client = register()
    attacker_tokens = signed_in(hub, client)[1]
    browser, tokens = signed_in(hub, client)
    session = Session(hub, client, tokens)
    page = browser.get(
        end_url(hub),
        params={"id_token_hint": attacker_tokens["access_token"]},
        allow_redirects=False,
        timeout=10,
    )
    confirmation_of(page)
    assert session.alive()


def test_another_sessions_id_token_ends_that_session_not_the_cookies(hub, register):
    client = register()
    attacker_tokens = signed_in(hub, client)[1]
    attacker_session = Session(hub, client, attacker_tokens)
    browser, tokens = signed_in(hub, client)
    session = Session(hub, client, tokens)
    answer = browser.get(
        end_url(hub),
        params={"id_token_hint": attacker_tokens["id_token"]},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code in (200, 302)
    assert not attacker_session.alive()
    assert session.alive() and browser.cookies.get("hub_session")
