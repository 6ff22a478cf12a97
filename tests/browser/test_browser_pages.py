"""The citizens' and operators' pages in a real headless browser, against the whole hub.

A citizen signs in through the mock identity provider's form, creates a petition; an operator
publishes it from the moderation page; the citizen signs, keeps the receipt, sees the count
(live, as another citizen signs), finds it in "my signatures", withdraws, reads the pages in
English and signs out. Where co-sponsors are required, an author edits the draft, shares its
co-sponsor link, another citizen co-sponsors it by that link, and the author submits it.
Every page passes axe-core's WCAG 2.0/2.1 A and AA rules.
"""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.e2e.conftest import citizen_login

pytestmark = pytest.mark.e2e

MARKUP_TITLE = "Des bancs <script>window.__pwned = 1</script> <b>partout</b> {suffix}"


def sign_in(browser, identity: str) -> None:
    """The sign-in button's address, with a login_hint the mock provider signs in at once.

    NOTE: not through the mock provider's form: see test_signing_in_through_the_mock_form.
    """
    button = browser.find("#sign-in").get_attribute("href")
    assert "/login?next=" in button
    pages = button.split("/login?", 1)[0]
    browser.go(f"{button}&login_hint={identity}")
    browser.wait_for_url(
        lambda url: url.startswith(pages + "/") and "/login?" not in url and "/auth/" not in url,
        "the sign-in did not come back to the pages",
    )


def not_pwned(browser) -> None:
    assert browser.run("return window.__pwned === undefined"), f"script ran on {browser.url}"


def test_citizen_and_operator_journeys_in_a_browser_are_accessible(
    hub, open_browser, operator_client
):
    pages = hub.url("petitions")
    mock_idp = hub.url("mock-idp")
    citizen = open_browser()

    # The list, in French by default, before signing in.
    citizen.go(pages + "/")
    assert citizen.lang() == "fr" and "Pétitions" in citizen.title()
    citizen.assert_accessible()

    # Sign in through the identity service and the mock provider's form.
    sign_in(citizen, "marie.dupont")
    assert citizen.url.startswith(pages + "/"), citizen.url
    assert "Vous êtes connecté(e)." in citizen.text(".notice")
    assert citizen.find_all("#sign-in") == []

    # Create a petition: first with errors (shown by their fields), then for real.
    citizen.go(pages + "/petitions/new")
    citizen.assert_accessible()
    citizen.fill("#title", "Court")
    citizen.press("#submit-petition")
    assert citizen.title().startswith("Erreur : ")
    assert "Le titre doit comporter entre 10 et 200 caractères." in citizen.text(".error-summary")
    assert citizen.find("#title").get_attribute("aria-invalid") == "true"
    citizen.assert_accessible()
    title = MARKUP_TITLE.format(suffix=uuid.uuid4().hex[:6])
    citizen.fill("#title", title)
    citizen.fill("#text", "Des bancs dans chaque rue pour que chacun puisse se reposer.")
    citizen.press("#submit-petition")
    petition_url = citizen.url
    assert re.fullmatch(re.escape(pages) + r"/petitions/[0-9a-f-]{36}", petition_url)
    assert citizen.text("h1") == title  # shown as text, not markup
    assert "attend la relecture" in citizen.text()
    not_pwned(citizen)
    citizen.assert_accessible()

    # An operator signs in to the moderation desk and publishes it.
    operator = open_browser()
    operator.go(pages + "/moderation")
    assert operator.url == pages + "/moderation/login"
    operator.assert_accessible()
    operator.fill("#client_id", operator_client["client_id"])
    operator.fill("#client_secret", operator_client["client_secret"])
    operator.press("#operator-sign-in")
    assert operator.url == pages + "/moderation"
    assert title in operator.text("main")
    not_pwned(operator)
    operator.assert_accessible()
    petition_id = petition_url.rsplit("/", 1)[1]
    operator.press(f"#publish-{petition_id}")
    assert "La pétition est publiée." in operator.text(".notice")

    # The citizen signs and gets a receipt.
    citizen.go(petition_url)
    assert citizen.text("#live-count") == "0 signature"
    citizen.assert_accessible()
    citizen.fill("#departement", "75")
    citizen.press("#sign")
    assert citizen.url == petition_url + "/receipt"
    assert re.fullmatch(r"[0-9a-f]{64}", citizen.text("#receipt-hash"))
    not_pwned(citizen)
    citizen.assert_accessible()

    # The count: at render time without waiting, then live as another citizen signs.
    citizen.go(petition_url)
    assert citizen.text("#live-count") == "1 signature"
    assert "Vous avez signé cette pétition" in citizen.text(".sign-box")
    other_app = hub.cli(
        "clients",
        "create",
        "--name",
        "Partner app",
        "--kind",
        "service-provider",
        "--redirect-uri",
        "http://127.0.0.1:1/cb",
    )
    bob = citizen_login(hub, other_app, "jean.martin")["access_token"]
    signed = requests.post(
        f"{pages}/api/petitions/{petition_id}/signatures",
        headers={"Authorization": f"Bearer {bob}"},
        timeout=10,
    )
    assert signed.status_code == 201, signed.text
    citizen.wait(
        lambda: citizen.text("#live-count") == "2 signatures", "the count did not update live"
    )

    # My signatures.
    citizen.go(pages + "/me/signatures")
    assert title in citizen.text("#my-signatures")
    not_pwned(citizen)
    citizen.assert_accessible()

    # Withdraw the signature.
    citizen.go(petition_url)
    citizen.press("#withdraw")
    assert "Votre signature a été retirée." in citizen.text(".notice")
    assert citizen.text("#live-count") == "1 signature"
    citizen.assert_accessible()

    # In English, remembered from page to page.
    citizen.press("#switch-language")
    assert citizen.lang() == "en"
    assert citizen.text("#sign") == "Sign the petition"
    citizen.assert_accessible()
    citizen.go(pages + "/")
    assert citizen.lang() == "en" and "Petitions" in citizen.title()
    assert title in citizen.text("main")
    not_pwned(citizen)
    citizen.assert_accessible()

    # Sign out, through the identity service's end-session endpoint and back.
    citizen.press("header form[action='/logout'] button")
    assert citizen.url == pages + "/signed-out"
    assert citizen.text("h1") == "You are signed out"
    citizen.assert_accessible()
    citizen.go(pages + "/me/signatures")
    assert citizen.url.startswith(mock_idp)  # sent to sign in again


def test_a_logout_link_without_id_token_asks_first_in_a_browser(hub, open_browser):
    """F9: the hub's logout opened from a link asks the person; confirming signs out through
    the upstream provider (another origin: the page's CSP must let the redirects through)."""
    identity = hub.url("identity")
    citizen = open_browser()
    citizen.go(hub.url("petitions") + "/")
    sign_in(citizen, "marie.dupont")
    citizen.go(identity + "/session/end")
    assert citizen.url == identity + "/session/end" and citizen.text("h1") == "Sign out?"
    assert citizen.lang() == "en"
    citizen.assert_accessible()
    citizen.press("#confirm-sign-out")
    assert citizen.text("h1") == "You are signed out", citizen.url
    assert citizen.url.startswith(identity + "/logout-callback/"), citizen.url  # via upstream
    citizen.go(identity + "/session/end")
    assert citizen.text("h1") == "You are signed out"  # no session left: nothing to ask


@pytest.mark.parametrize("hub_settings", [{"HUB_PETITION_MIN_SPONSORS": "1"}])
def test_a_draft_is_edited_co_sponsored_by_link_and_submitted_in_a_browser(hub, open_browser):
    pages = hub.url("petitions")
    author = open_browser()
    author.go(pages + "/")
    sign_in(author, "marie.dupont")

    # Creating lands on the draft: its co-sponsor link, and how many co-sponsors are missing.
    author.go(pages + "/petitions/new")
    author.fill("#title", "Des jardins partagés dans chaque quartier")
    author.fill("#text", "Des jardins ouverts à tous, entretenus par les habitants.")
    author.press("#submit-petition")
    draft_url = author.url
    assert re.fullmatch(re.escape(pages) + r"/petitions/[0-9a-f-]{36}", draft_url)
    assert "Votre brouillon est enregistré." in author.text(".notice")
    link = author.find("#sponsor-link").get_attribute("value")
    assert link.startswith(draft_url + "?sponsor_token=")
    assert "Il manque encore 1 co-signataire(s)" in author.text("#sponsors-missing")
    author.assert_accessible()

    # Editing: an error by its field first, then saved (markup stays text).
    author.press("#edit-draft")
    assert author.url == draft_url + "/edit"
    author.assert_accessible()
    author.fill("#title", "Court")
    author.press("#save-draft")
    assert author.title().startswith("Erreur : ")
    assert author.find("#title").get_attribute("aria-invalid") == "true"
    author.assert_accessible()
    title = MARKUP_TITLE.format(suffix=uuid.uuid4().hex[:6])
    author.fill("#title", title)
    author.press("#save-draft")
    assert author.url == draft_url and author.text("h1") == title
    not_pwned(author)

    # Another citizen opens the link, signs in from it, comes back to it and co-sponsors.
    sponsor = open_browser()
    sponsor.go(link)
    assert sponsor.text("h1") == title
    sponsor.assert_accessible()
    button = sponsor.find("#sign-in-to-sponsor").get_attribute("href")
    sponsor.go(f"{button}&login_hint=jean.martin")
    assert sponsor.url == link, sponsor.url
    sponsor.press("#sponsor")
    assert "Merci : vous co-signez cette pétition." in sponsor.text(".notice")
    assert "Vous co-signez cette pétition depuis le" in sponsor.text("#sponsored-already")
    not_pwned(sponsor)
    sponsor.assert_accessible()

    # The author now has enough co-sponsors, and submits; "my petitions" lists it.
    author.go(draft_url)
    assert author.text("#sponsor-count") == "Co-signataires : 1"
    author.press("#submit-draft")
    assert "Votre pétition est envoyée" in author.text(".notice")
    assert "attend la relecture" in author.text()
    author.assert_accessible()
    author.press("a[href='/me/petitions']")
    assert title in author.text("#my-petitions")
    not_pwned(author)
    author.assert_accessible()


def test_signing_in_through_the_mock_providers_form(hub, browser):
    pages = hub.url("petitions")
    browser.go(pages + "/")
    browser.press("#sign-in")
    browser.wait_for_url(
        lambda url: url.startswith(hub.url("mock-idp")), "the sign-in did not reach the form"
    )
    browser.choose("input[name=identity][value='sophie.bernard']")
    browser.find("button[type=submit]").click()
    browser.wait(lambda: browser.url.startswith(pages + "/"), "never back at petitions", 5)
    assert browser.find_all("#sign-in") == []
