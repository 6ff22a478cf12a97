"""The receipt secret made in the browser (static/receipt-secret.js), in a real browser.

A citizen signs through the pages with JavaScript on: the browser makes s (WebCrypto) and sends
only C = SHA-256("hub/v1/sig\\n" ‖ P ‖ "\\n" ‖ s). The receipt page shows that s, which opens the
commitment it shows; the hub's database, its session cookie and its answers never held s. The
withdrawal from the pages then reveals s in the log's ``withdraw`` leaf (petitions' outbox).
Without JavaScript the hub makes s as before (tests/service/petitions/test_web_pages.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from services.petitions.storage.tables import outbox, signatures
from services.petitions.web.session import SESSION_COOKIE
from tests.e2e.conftest import citizen_login, client_credentials

pytestmark = pytest.mark.e2e


def publish_petition(hub: Any, settings: Any, operator: dict[str, Any]) -> str:
    """A petition created and published through the API (the pages' own journey of it is in
    test_browser_pages.py)."""
    from services.identity.cli import create_client

    pages = hub.url("petitions")
    app = create_client(
        settings, "Petitions app", "service-provider", "openid petitions", ["http://127.0.0.1:1/cb"]
    )
    author = citizen_login(hub, app, "jean.martin")["access_token"]
    created = requests.post(
        f"{pages}/api/petitions",
        json={"title": "Des arbres dans chaque cour", "text": "De l'ombre pour tous les élèves."},
        headers={"Authorization": f"Bearer {author}"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    petition_id = str(created.json()["id"])
    moderator = client_credentials(hub, operator, "petitions:moderate")
    published = requests.post(
        f"{pages}/api/petitions/{petition_id}/moderation",
        json={"decision": "publish"},
        headers={"Authorization": f"Bearer {moderator}"},
        timeout=10,
    )
    assert published.status_code == 200, published.text
    return petition_id


def session_cookie(browser: Any) -> str:
    """The pages' session as the hub keeps it: the browser's cookie (signed, not encrypted)."""
    value = browser.driver.get_cookie(SESSION_COOKIE)["value"]
    payload = value.split(".")[0]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()


def log_items(engine: sa.Engine, petition_id: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(outbox.c.envelope)
            .where(outbox.c.event_type == "petition.log_leaves_recorded")
            .order_by(outbox.c.seq)
        ).scalars()
        envelopes = [r if isinstance(r, dict) else json.loads(r) for r in rows]
    return [i for e in envelopes for i in e["payload"]["leaves"] if i["petition_id"] == petition_id]


def test_the_browser_makes_the_receipt_secret_and_the_withdrawal_reveals_it(
    hub, browser, settings, operator_client
):
    from tests.browser.test_browser_pages import sign_in

    pages = hub.url("petitions")
    petition_id = publish_petition(hub, settings, operator_client)
    petition_url = f"{pages}/petitions/{petition_id}"
    engine = sa.create_engine(settings.database_url("petitions"))

    browser.go(petition_url)
    sign_in(browser, "sophie.bernard")
    assert browser.url == petition_url
    browser.wait(
        lambda: re.fullmatch(
            r"[0-9a-f]{64}", browser.find("#sign-commitment").get_attribute("value")
        ),
        "the script made no commitment",
    )
    browser.press("#sign")
    assert browser.url == petition_url + "/receipt"
    browser.wait(lambda: browser.find("#receipt-secret").is_displayed(), "no secret shown")
    secret = browser.text("#receipt-secret")
    commitment = browser.text("#receipt-commitment")
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    made = hashlib.sha256(b"hub/v1/sig\n" + petition_id.encode() + b"\n" + bytes.fromhex(secret))
    assert made.hexdigest() == commitment
    assert secret in browser.text("pre")  # the hub-verify command, ready to copy
    assert not browser.find("#receipt-secret-missing").is_displayed()
    browser.assert_accessible()

    # The hub never had s: not in the signature's row, its session, its pages or its events.
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(signatures.c.commitment).where(signatures.c.petition_id == petition_id)
        ).scalar_one()
    assert row == commitment
    kept = session_cookie(browser)
    assert commitment in kept and secret not in kept
    cookies = {SESSION_COOKIE: browser.driver.get_cookie(SESSION_COOKIE)["value"]}
    served = requests.get(petition_url + "/receipt", cookies=cookies, timeout=10)
    assert served.status_code == 200 and commitment in served.text and secret not in served.text
    assert secret not in json.dumps(log_items(engine, petition_id))

    # The withdraw form carries s, and the log's withdraw leaf reveals it.
    browser.go(petition_url)
    browser.wait(
        lambda: browser.find("#withdraw-secret").get_attribute("value") == secret,
        "the withdraw form did not get the browser's secret",
    )
    browser.assert_accessible()
    browser.press("#withdraw")
    assert "Votre signature a été retirée." in browser.text(".notice")
    withdrawals = [i for i in log_items(engine, petition_id) if i["kind"] == "withdraw"]
    assert withdrawals == [
        {"kind": "withdraw", "petition_id": petition_id, "commitment": commitment, "secret": secret}
    ]
    # Withdrawn: the tab forgets the secret, and the sign form has a new commitment.
    browser.wait(
        lambda: (
            browser.run("return sessionStorage.getItem(arguments[0])", "hub-receipt:" + petition_id)
            is None
        ),
        "the withdrawn signature's secret is still kept",
    )
    engine.dispose()
