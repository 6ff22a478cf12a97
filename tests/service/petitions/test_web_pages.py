"""The citizens' and operators' pages over real HTTP, PostgreSQL and RabbitMQ.

Sessions are made the way the sign-in makes them (a sealed cookie holding an access token), with
tokens from the test issuer; the sign-in itself runs against the real identity service in
tests/browser.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from services.petitions.storage.tables import signatures
from services.petitions.web.session import SESSION_COOKIE
from tests.service.petitions.visitors import MARKUP, Visitor, citizen, operator


def signature_rows(petitions: Any, petition_id: str) -> int:
    with petitions.db().connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(signatures)
                .where(signatures.c.petition_id == petition_id)
            ).scalar_one()
        )


def test_pages_are_in_french_unless_english_is_asked_for(petitions):
    anonymous = Visitor(petitions)
    french = anonymous.get("/")
    assert french.status_code == 200
    assert '<html lang="fr">' in french.text and "Se connecter" in french.text
    by_header = anonymous.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in by_header.text and "Sign in" in by_header.text
    asked = anonymous.get("/?lang=en", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in asked.text
    assert "lang=en" in asked.headers["Set-Cookie"]
    remembered = anonymous.get("/", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in remembered.text


def test_titles_with_markup_are_escaped_on_every_page(petitions):
    sub = "author-" + uuid.uuid4().hex
    petition = petitions.published(title=f"Des arbres {MARKUP}", text=f"Texte {MARKUP} suffisant.")
    signer = citizen(petitions, sub)
    assert signer.post(f"/petitions/{petition['id']}/signature").status_code == 303
    pending = petitions.create(petitions.citizen(), title=f"En attente {MARKUP}")
    pages = [
        signer.get("/"),
        signer.get(f"/petitions/{petition['id']}"),
        signer.get(f"/petitions/{petition['id']}/receipt"),
        signer.get("/me/signatures"),
        operator(petitions).get("/moderation"),
        operator(petitions).get("/moderation?status=open"),
        operator(petitions).get(f"/petitions/{pending['id']}"),
    ]
    for page in pages:
        assert page.status_code == 200, page.url
        assert "<script>alert" not in page.text and "<b>bold" not in page.text, page.url
        assert "&lt;script&gt;alert(" in page.text, page.url
        assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'self'
        assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]


def test_a_citizen_signs_keeps_the_receipt_and_withdraws(petitions):
    petition = petitions.published()
    page = f"/petitions/{petition['id']}"
    visitor = citizen(petitions)
    assert "0 signature" in visitor.get(page).text
    signed = visitor.post(f"{page}/signature", {"departement": "2a"})
    assert signed.status_code == 303 and signed.headers["Location"] == f"{page}/receipt"
    receipt = visitor.get(f"{page}/receipt").text
    kept = visitor.session()["receipt"]
    assert kept["petition_id"] == petition["id"] and kept["hash"] in receipt
    assert re.search(r'id="receipt-hash"[^>]*>[0-9a-f]{64}<', receipt)
    shown = visitor.get(page).text
    assert "1 signature" in shown and "Vous avez signé cette pétition" in shown
    assert petitions.http.get(f"/api{page}").json()["signatures_by_departement"] == {"2A": 1}

    again = visitor.post(f"{page}/signature")
    assert again.status_code == 303 and signature_rows(petitions, petition["id"]) == 1
    assert "Vous avez déjà signé cette pétition." in visitor.get(page).text

    withdrawn = visitor.post(f"{page}/signature/withdrawal")
    assert withdrawn.status_code == 303 and signature_rows(petitions, petition["id"]) == 0
    after = visitor.get(page).text
    assert "Votre signature a été retirée." in after and "0 signature" in after


def test_refusals_are_explained_on_the_page(petitions):
    petition = petitions.published(min_acr="eidas2")
    page = f"/petitions/{petition['id']}"
    low = citizen(petitions, acr="eidas1")
    assert low.post(f"{page}/signature").status_code == 303
    assert "exige une identité vérifiée à un niveau plus élevé" in low.get(page).text
    minor = citizen(petitions, acr="eidas3", adult=False)
    minor.post(f"{page}/signature")
    assert "Seules les personnes majeures peuvent signer" in minor.get(page).text
    bad = citizen(petitions, acr="eidas3").post(f"{page}/signature", {"departement": "99"})
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.text
    assert signature_rows(petitions, petition["id"]) == 0


@pytest.mark.parametrize("csrf", [None, "forged-token"])
def test_forms_without_the_sessions_csrf_token_change_nothing(petitions, csrf):
    petition = petitions.published()
    visitor = citizen(petitions)
    response = visitor.post(f"/petitions/{petition['id']}/signature", csrf=csrf)
    assert response.status_code == 303
    assert signature_rows(petitions, petition["id"]) == 0
    assert "Le formulaire a expiré" in visitor.get(f"/petitions/{petition['id']}").text


def test_a_post_from_another_site_is_refused_even_with_the_token(petitions):
    petition = petitions.published()
    visitor = citizen(petitions)
    visitor.http.headers["Origin"] = "https://evil.example"
    visitor.post(f"/petitions/{petition['id']}/signature")
    assert signature_rows(petitions, petition["id"]) == 0


def test_a_citizen_creates_a_petition_and_errors_sit_by_their_fields(petitions):
    visitor = citizen(petitions)
    form = visitor.get("/petitions/new")
    assert form.status_code == 200 and 'for="title"' in form.text
    wrong = visitor.post("/petitions/new", {"title": "Court", "text": "Trop court"})
    assert wrong.status_code == 400
    assert "<title>Erreur : " in wrong.text and 'class="error-summary"' in wrong.text
    assert 'href="#title"' in wrong.text and 'href="#text"' in wrong.text
    assert 'aria-describedby="title-hint title-error"' in wrong.text
    assert 'value="Court"' in wrong.text  # what was typed is kept
    made = visitor.post(
        "/petitions/new",
        {
            "title": "Des fontaines dans les parcs",
            "text": "Boire de l'eau fraîche en été.",
            "min_acr": "eidas2",
        },
    )
    assert made.status_code == 303
    shown = visitor.get(made.headers["Location"]).text
    assert "attend la relecture" in shown and "substantiel (eIDAS 2)" in shown
    assert Visitor(petitions).get(made.headers["Location"]).status_code == 404  # not public


def test_my_signatures_lists_only_the_citizens_own(petitions):
    mine, theirs = petitions.published(), petitions.published()
    me, someone = citizen(petitions), citizen(petitions)
    me.post(f"/petitions/{mine['id']}/signature")
    someone.post(f"/petitions/{theirs['id']}/signature")
    listed = me.get("/me/signatures").text
    assert f"/petitions/{mine['id']}" in listed and f"/petitions/{theirs['id']}" not in listed


@pytest.mark.parametrize("path", ["/petitions/new", "/me/signatures", "/petitions/some-id/receipt"])
def test_pages_for_citizens_send_visitors_to_sign_in_and_back(petitions, path):
    response = Visitor(petitions).get(path)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=" + path.split("?")[0])


def test_a_tampered_or_expired_session_is_no_session(petitions):
    visitor = citizen(petitions)
    value = visitor.http.cookies.get(SESSION_COOKIE)
    tampered = value[:-2] + ("AA" if value[-2:] != "AA" else "BB")
    visitor.http.cookies.set(SESSION_COOKIE, tampered, domain="127.0.0.1")
    assert visitor.get("/me/signatures").status_code == 303
    expired = petitions.issuer.citizen_token(petitions.url, "late", ttl=-120)
    late = Visitor(petitions, expired)
    assert late.get("/me/signatures").status_code == 303


def test_session_and_page_headers(petitions):
    form = Visitor(petitions).get("/moderation/login")
    cookie = form.headers["Set-Cookie"]  # a session for the form's CSRF token
    assert cookie.startswith(SESSION_COOKIE + "=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # http://127.0.0.1 in tests; https public URLs get Secure
    petition = petitions.published()
    response = citizen(petitions).get(f"/petitions/{petition['id']}")
    assert response.headers["Cache-Control"] == "no-store"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src" not in policy and "'unsafe-inline'" not in policy  # default-src 'self'
    assert "form-action" not in policy  # sign-out passes through the upstream provider
    assert '<script src="/static/live-count.js" defer></script>' in response.text
    script = petitions.http.get("/static/live-count.js")
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert petitions.http.get("/static/..%2Fpages.py").status_code == 404


def test_the_login_button_starts_a_code_flow_bound_to_this_browser(petitions):
    response = Visitor(petitions).get("/login?next=https://evil.example/")
    # The test issuer publishes no authorization endpoint: the page says so, no redirect.
    assert response.status_code == 503 and "ne répond pas ; réessayez" in response.text


def test_the_callback_refuses_an_answer_this_browser_did_not_ask_for(petitions):
    response = Visitor(petitions).get("/auth/callback?code=abc&state=" + "s" * 43)
    assert response.status_code == 400
    assert "commencée dans un autre navigateur" in response.text


def test_operators_reject_with_a_reason_hide_and_close_early(petitions):
    desk = operator(petitions)
    submitted = petitions.create(petitions.citizen())
    opened, other = petitions.published(), petitions.published()
    queue = desk.get("/moderation")
    assert queue.status_code == 200 and f"reject-{submitted['id']}" in queue.text

    no_reason = desk.post(f"/moderation/petitions/{submitted['id']}", {"decision": "reject"})
    assert no_reason.status_code == 303
    assert "Choisissez un motif de rejet." in desk.get("/moderation").text
    decisions = [
        (submitted["id"], {"decision": "reject", "reason": "advertising"}, "rejected"),
        (opened["id"], {"decision": "close", "back": "open"}, "closed"),
        (other["id"], {"decision": "hide", "back": "open"}, "hidden"),
    ]
    for petition_id, form, status in decisions:
        done = desk.post(f"/moderation/petitions/{petition_id}", form)
        assert done.status_code == 303, done.text
        assert (
            petitions.http.get(
                f"/api/petitions/{petition_id}", headers=petitions.operator()
            ).json()["status"]
            == status
        )
    rejected = petitions.http.get(f"/api/petitions/{submitted['id']}", headers=petitions.operator())
    assert rejected.json()["rejection_reason"] == "advertising"
    assert desk.get("/moderation?status=open").status_code == 200


def test_moderation_needs_an_operator(petitions):
    submitted = petitions.create(petitions.citizen())
    assert Visitor(petitions).get("/moderation").headers["Location"] == "/moderation/login"
    posing = citizen(petitions)
    answer = posing.post(f"/moderation/petitions/{submitted['id']}", {"decision": "publish"})
    assert answer.headers["Location"] == "/moderation/login"
    shown = petitions.http.get(f"/api/petitions/{submitted['id']}", headers=petitions.operator())
    assert shown.json()["status"] == "submitted"


@pytest.mark.parametrize(
    "action", ["signature", "signature/withdrawal", "edit", "submission", "sponsors"]
)
def test_a_line_break_in_a_page_path_is_escaped_not_a_500(petitions, action):
    """Security finding F10: a form failing its CSRF check is sent back to its petition's page,
    whose id came percent-decoded from the path; werkzeug refused the header with a 500."""
    signer = citizen(petitions)
    path = "/petitions/abc%0d%0aSet-Cookie:%20pwn=1/" + action
    response = signer.post(path, csrf="not-the-session-token")
    assert response.status_code in (303, 404), response.status_code
    location = response.headers.get("Location", "")
    assert "\r" not in location and "\n" not in location
    assert "pwn" not in response.headers.get("Set-Cookie", "")


def test_the_receipt_page_shows_commitment_secret_once_and_proof_and_withdrawal_reveals_it(
    petitions,
):
    from hub_verify import leaves

    from services.petitions.storage.tables import outbox

    petition = petitions.published()
    page = f"/petitions/{petition['id']}"
    visitor = citizen(petitions)
    assert visitor.post(f"{page}/signature").status_code == 303
    kept = visitor.session()["receipt"]
    secret, commitment = kept["secret"], kept["commitment"]
    assert leaves.commitment(petition["id"], bytes.fromhex(secret)).hex() == commitment
    receipt = visitor.get(f"{page}/receipt").text
    assert f'id="receipt-commitment" class="hash">{commitment}<' in receipt
    assert f'id="receipt-secret" class="hash">{secret}<' in receipt
    proof_url = petitions.settings.public_url("transparency") + "/tlog/api/v1/receipts/"
    assert f'href="{proof_url}{commitment}"' in receipt and "hub-verify receipt" in receipt
    assert "atteste votre signature" not in receipt  # the old, false claim
    english = visitor.get(f"{page}/receipt?lang=en").text
    assert secret not in english and commitment in english  # the secret is shown once
    assert "proves your signature" not in english and "tlog-proof" in english

    assert visitor.post(f"{page}/signature/withdrawal").status_code == 303
    with petitions.db().connect() as conn:
        envelopes = conn.execute(
            sa.select(outbox.c.envelope).where(
                outbox.c.event_type == "petition.log_leaves_recorded"
            )
        ).scalars()
        items = [
            i
            for e in envelopes
            for i in (e if isinstance(e, dict) else json.loads(e))["payload"]["leaves"]
            if i["petition_id"] == petition["id"] and i["kind"] == "withdraw"
        ]
    assert items == [
        {
            "kind": "withdraw",
            "petition_id": petition["id"],
            "commitment": commitment,
            "secret": secret,
        }
    ]


def withdraw_items(petitions: Any, petition_id: str) -> list[dict[str, Any]]:
    from services.petitions.storage.tables import outbox

    with petitions.db().connect() as conn:
        envelopes = conn.execute(
            sa.select(outbox.c.envelope).where(
                outbox.c.event_type == "petition.log_leaves_recorded"
            )
        ).scalars()
        return [
            i
            for e in envelopes
            for i in (e if isinstance(e, dict) else json.loads(e))["payload"]["leaves"]
            if i["petition_id"] == petition_id and i["kind"] == "withdraw"
        ]


def test_a_commitment_made_in_the_browser_keeps_the_secret_out_of_the_hub(petitions):
    """What the pages' script sends (receipt-secret.js): the commitment when signing, the
    secret when withdrawing; the hub holds neither the secret nor anything to show it."""
    import hashlib
    import secrets

    petition = petitions.published()
    page = f"/petitions/{petition['id']}"
    visitor = citizen(petitions)
    form = visitor.get(page).text
    assert 'name="commitment"' in form and "/static/receipt-secret.js" in form
    secret = secrets.token_bytes(32)
    commitment = hashlib.sha256(
        b"hub/v1/sig\n" + petition["id"].encode() + b"\n" + secret
    ).hexdigest()
    assert visitor.post(f"{page}/signature", {"commitment": commitment}).status_code == 303
    kept = visitor.session()["receipt"]
    assert kept["commitment"] == commitment and kept["secret"] is None and kept["browser_secret"]
    with petitions.db().connect() as conn:
        row = conn.execute(
            sa.select(signatures.c.commitment).where(signatures.c.petition_id == petition["id"])
        ).scalar_one()
    assert row == commitment
    receipt = visitor.get(f"{page}/receipt").text
    assert f'data-commitment="{commitment}"' in receipt and secret.hex() not in receipt
    assert "Votre navigateur a créé le secret" in receipt and "receipt-secret.js" in receipt
    detail = visitor.get(page).text
    assert f'data-commitment="{commitment}"' in detail  # the withdraw form: the script's check

    assert (
        visitor.post(f"{page}/signature/withdrawal", {"receipt_secret": "ab" * 32}).status_code
        == 303
    )
    assert "pas celui de votre signature" in visitor.get(page).text
    assert signature_rows(petitions, petition["id"]) == 1
    withdrawn = visitor.post(f"{page}/signature/withdrawal", {"receipt_secret": secret.hex()})
    assert withdrawn.status_code == 303 and signature_rows(petitions, petition["id"]) == 0
    assert withdraw_items(petitions, petition["id"]) == [
        {
            "kind": "withdraw",
            "petition_id": petition["id"],
            "commitment": commitment,
            "secret": secret.hex(),
        }
    ]


def test_a_withdrawal_without_any_secret_says_dash(petitions):
    petition = petitions.published()
    page = f"/petitions/{petition['id']}"
    visitor = citizen(petitions)
    assert visitor.post(f"{page}/signature", {"commitment": "cd" * 32}).status_code == 303
    assert visitor.post(f"{page}/signature/withdrawal", {"receipt_secret": ""}).status_code == 303
    [item] = withdraw_items(petitions, petition["id"])
    assert item["secret"] is None and item["commitment"] == "cd" * 32


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("commitment", "AB" * 32),
        ("commitment", "ab" * 31),
        ("commitment", "zz" * 32),
        ("receipt_secret", "AB" * 32),
        ("receipt_secret", "ab" * 33),
    ],
)
def test_a_bad_commitment_or_secret_from_the_form_is_explained_not_a_500(petitions, field, value):
    petition = petitions.published()
    page = f"/petitions/{petition['id']}"
    visitor = citizen(petitions)
    if field == "receipt_secret":
        assert visitor.post(f"{page}/signature").status_code == 303
    answer = visitor.post(
        f"{page}/signature" if field == "commitment" else f"{page}/signature/withdrawal",
        {field: value},
    )
    assert answer.status_code == 400, answer.text
    assert "error-summary" in answer.text and "Rechargez la page" in answer.text
    assert signature_rows(petitions, petition["id"]) == (1 if field == "receipt_secret" else 0)
