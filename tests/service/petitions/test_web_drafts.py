"""The pages before moderation over real HTTP, PostgreSQL and RabbitMQ: the author's draft (its
co-sponsor link, editing, submitting), co-sponsoring by link, "my petitions".

Here a petition needs two co-sponsors before moderation (``HUB_PETITION_MIN_SPONSORS``), so the
"new petition" page makes a draft.
"""

from __future__ import annotations

import html
import re
import uuid
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from services.petitions.storage.tables import sponsors
from tests.service.petitions.visitors import MARKUP, Visitor, citizen, operator

MIN_SPONSORS = 2
TITLE = "Des fontaines dans les parcs"
TEXT = "Boire de l'eau fraîche en été, partout."


@pytest.fixture
def petitions(start_petitions: Any) -> Any:
    return start_petitions(petition_min_sponsors=MIN_SPONSORS)


def new_draft(petitions: Any, **fields: str) -> tuple[Visitor, str, str]:
    """A citizen writes a petition on the "new petition" page: (the author, its id, its link)."""
    sub = "author-" + uuid.uuid4().hex
    author = citizen(petitions, sub)
    made = author.post("/petitions/new", {"title": TITLE, "text": TEXT, **fields})
    assert made.status_code == 303, made.text
    petition_id = made.headers["Location"].rsplit("/", 1)[1]
    shown = petitions.http.get(f"/api/petitions/{petition_id}", headers=petitions.citizen(sub))
    assert shown.json()["status"] == "draft"
    return author, petition_id, shown.json()["sponsor_token"]


def link(petition_id: str, token: str) -> str:
    return f"/petitions/{petition_id}?sponsor_token={token}"


def api(petitions: Any, petition_id: str) -> dict[str, Any]:
    response = petitions.http.get(f"/api/petitions/{petition_id}", headers=petitions.operator())
    assert response.status_code == 200, response.text
    return response.json()


def sponsor_rows(petitions: Any, petition_id: str) -> int:
    with petitions.db().connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(sponsors)
                .where(sponsors.c.petition_id == petition_id)
            ).scalar_one()
        )


def co_sponsor(petitions: Any, petition_id: str, token: str) -> Visitor:
    someone = citizen(petitions)
    joined = someone.post(f"/petitions/{petition_id}/sponsors", {"sponsor_token": token})
    assert joined.status_code == 303 and joined.headers["Location"] == link(petition_id, token)
    return someone


def test_creating_lands_on_the_draft_with_its_co_sponsor_link_and_count(petitions):
    author, petition_id, token = new_draft(petitions)
    page = author.get(f"/petitions/{petition_id}")
    assert page.status_code == 200
    assert "Votre brouillon est enregistré. Partagez son lien" in page.text
    shared = re.search(r'id="sponsor-link" value="([^"]+)"', page.text)
    assert shared and html.unescape(shared[1]) == petitions.url + link(petition_id, token)
    assert 'for="sponsor-link"' in page.text and 'aria-describedby="sponsor-link-hint"' in page.text
    assert "Co-signataires : 0" in page.text
    assert "Minimum requis avant l&#39;envoi en modération : 2" in page.text
    assert "Il manque encore 2 co-signataire(s)" in page.text
    assert 'id="submit-draft"' not in page.text  # not enough co-sponsors yet
    assert f'href="/petitions/{petition_id}/edit"' in page.text
    assert 'id="live-count"' not in page.text  # no signatures before publication
    assert Visitor(petitions).get(f"/petitions/{petition_id}").status_code == 404
    assert citizen(petitions).get(f"/petitions/{petition_id}").status_code == 404


def test_the_author_edits_the_draft_and_errors_sit_by_their_fields(petitions):
    author, petition_id, _ = new_draft(petitions)
    form = author.get(f"/petitions/{petition_id}/edit")
    assert form.status_code == 200
    assert f'value="{TITLE}"' in form.text and 'for="title"' in form.text
    assert f'action="/petitions/{petition_id}/edit"' in form.text
    wrong = author.post(f"/petitions/{petition_id}/edit", {"title": "Court", "text": TEXT})
    assert wrong.status_code == 400
    assert "<title>Erreur : " in wrong.text and 'class="error-summary"' in wrong.text
    assert 'href="#title"' in wrong.text and 'aria-invalid="true"' in wrong.text
    assert 'value="Court"' in wrong.text  # what was typed is kept
    assert api(petitions, petition_id)["title"] == TITLE
    saved = author.post(
        f"/petitions/{petition_id}/edit",
        {"title": "Des fontaines dans chaque parc", "text": TEXT, "min_acr": "eidas2"},
    )
    assert saved.status_code == 303 and saved.headers["Location"] == f"/petitions/{petition_id}"
    shown = api(petitions, petition_id)
    assert (shown["title"], shown["min_acr"], shown["status"]) == (
        "Des fontaines dans chaque parc",
        "eidas2",
        "draft",
    )
    assert "Votre brouillon est enregistré." in author.get(f"/petitions/{petition_id}").text


def test_another_citizen_can_neither_see_nor_edit_nor_submit_the_draft(petitions):
    _, petition_id, token = new_draft(petitions)
    intruder = citizen(petitions)
    assert intruder.get(f"/petitions/{petition_id}/edit").status_code == 404
    changed = intruder.post(f"/petitions/{petition_id}/edit", {"title": "Pris par un autre !"})
    assert changed.status_code == 404 and "Page introuvable" in changed.text
    assert intruder.post(f"/petitions/{petition_id}/submission").status_code == 404
    # holding the co-sponsor link shows the draft, not the author's controls
    linked = intruder.get(link(petition_id, token))
    assert linked.status_code == 200 and 'id="sponsor-link"' not in linked.text
    assert f"/petitions/{petition_id}/edit" not in linked.text
    assert intruder.get(f"/petitions/{petition_id}/edit?sponsor_token={token}").status_code == 404
    shown = api(petitions, petition_id)
    assert (shown["title"], shown["status"]) == (TITLE, "draft")


def test_a_draft_is_submitted_only_with_enough_co_sponsors_and_once(petitions):
    author, petition_id, token = new_draft(petitions)
    early = author.post(f"/petitions/{petition_id}/submission")
    assert early.status_code == 303 and early.headers["Location"] == f"/petitions/{petition_id}"
    assert "pas encore assez de co-signataires" in author.get(early.headers["Location"]).text
    assert api(petitions, petition_id)["status"] == "draft"

    for _ in range(MIN_SPONSORS):
        co_sponsor(petitions, petition_id, token)
    ready = author.get(f"/petitions/{petition_id}").text
    assert "Co-signataires : 2" in ready and 'id="submit-draft"' in ready
    assert "ne peut plus être modifié" in ready and f"/petitions/{petition_id}/edit" not in ready
    locked = author.get(f"/petitions/{petition_id}/edit")
    assert locked.status_code == 303  # co-sponsors vouched for this text
    refusal = author.get(locked.headers["Location"]).text
    assert re.search(r'notice-error" role="alert"><p>Ce brouillon ne peut plus', refusal)

    submitted = author.post(f"/petitions/{petition_id}/submission")
    assert submitted.status_code == 303
    after = author.get(f"/petitions/{petition_id}").text
    assert "Votre pétition est envoyée" in after and "attend la relecture" in after
    assert api(petitions, petition_id)["status"] == "submitted"
    again = author.post(f"/petitions/{petition_id}/submission")
    assert again.status_code == 303
    assert "Cette action n&#39;est plus possible" in author.get(f"/petitions/{petition_id}").text


def test_a_citizen_co_sponsors_by_the_link_once(petitions):
    author, petition_id, token = new_draft(petitions)
    anonymous = Visitor(petitions).get(link(petition_id, token))
    assert anonymous.status_code == 200 and TITLE in anonymous.text
    assert "Co-signer cette pétition" in anonymous.text
    assert f'href="/login?next={quote(link(petition_id, token), safe="/")}"' in anonymous.text

    sponsor = citizen(petitions)
    page = sponsor.get(link(petition_id, token))
    assert page.status_code == 200
    assert f'name="sponsor_token" value="{token}"' in page.text and 'id="sponsor"' in page.text
    co = sponsor.post(f"/petitions/{petition_id}/sponsors", {"sponsor_token": token})
    assert co.status_code == 303 and co.headers["Location"] == link(petition_id, token)
    done = sponsor.get(co.headers["Location"]).text
    assert "Merci : vous co-signez cette pétition." in done
    assert "Vous co-signez cette pétition depuis le" in done and 'id="sponsor"' not in done
    assert "Co-signataires : 1" in done
    twice = sponsor.post(f"/petitions/{petition_id}/sponsors", {"sponsor_token": token})
    assert twice.status_code == 303
    assert "Vous co-signez déjà cette pétition." in sponsor.get(twice.headers["Location"]).text
    assert sponsor_rows(petitions, petition_id) == 1
    assert "Co-signataires : 1" in author.get(f"/petitions/{petition_id}").text

    own = author.post(f"/petitions/{petition_id}/sponsors", {"sponsor_token": token})
    assert own.status_code == 303
    assert "ne peut pas la co-signer" in author.get(own.headers["Location"]).text
    assert sponsor_rows(petitions, petition_id) == 1


def test_a_wrong_link_shows_nothing_and_co_sponsors_nothing(petitions):
    _, petition_id, token = new_draft(petitions)
    visitor = citizen(petitions)
    wrong = "x" * len(token)
    shown = visitor.get(link(petition_id, wrong))
    assert shown.status_code == 404 and "Lien de co-signature invalide" in shown.text
    assert TITLE not in shown.text
    posted = visitor.post(f"/petitions/{petition_id}/sponsors", {"sponsor_token": wrong})
    assert posted.status_code == 404 and "Lien de co-signature invalide" in posted.text
    assert visitor.post(f"/petitions/{petition_id}/sponsors").status_code == 404
    assert visitor.post("/petitions/nope/sponsors", {"sponsor_token": token}).status_code == 404
    assert sponsor_rows(petitions, petition_id) == 0


def test_the_link_takes_no_co_sponsor_after_moderation(petitions):
    author, petition_id, token = new_draft(petitions)
    for _ in range(MIN_SPONSORS):
        co_sponsor(petitions, petition_id, token)
    author.post(f"/petitions/{petition_id}/submission")
    petitions.decide(petition_id, "publish")
    late = citizen(petitions)
    page = late.get(link(petition_id, token))
    assert page.status_code == 200 and 'id="sponsor"' not in page.text  # now a public petition
    refused = late.post(f"/petitions/{petition_id}/sponsors", {"sponsor_token": token})
    assert refused.status_code == 303
    assert "n&#39;accepte plus de co-signataires" in late.get(refused.headers["Location"]).text
    assert sponsor_rows(petitions, petition_id) == MIN_SPONSORS
    assert late.get(f"/petitions/{petition_id}/edit").status_code == 404  # public, not theirs
    published = author.get(f"/petitions/{petition_id}/edit")
    assert published.status_code == 303
    assert "Seul un brouillon peut être modifié." in author.get(published.headers["Location"]).text


@pytest.mark.parametrize("csrf", [None, "forged-token"])
def test_draft_forms_without_the_sessions_csrf_token_change_nothing(petitions, csrf):
    author, petition_id, token = new_draft(petitions)
    sponsor = citizen(petitions)
    posts = [
        (author, f"/petitions/{petition_id}/edit", {"title": "Changé sans jeton", "text": TEXT}),
        (sponsor, f"/petitions/{petition_id}/sponsors", {"sponsor_token": token}),
        (author, f"/petitions/{petition_id}/submission", {}),
    ]
    for visitor, path, form in posts:
        answer = visitor.post(path, form, csrf=csrf)
        assert answer.status_code == 303, path
        assert "Le formulaire a expiré" in visitor.get(answer.headers["Location"]).text, path
    assert sponsor_rows(petitions, petition_id) == 0
    shown = api(petitions, petition_id)
    assert (shown["title"], shown["status"]) == (TITLE, "draft")


def test_my_petitions_lists_the_authors_own_drafts_included(petitions):
    author, mine, _ = new_draft(petitions)
    _, theirs, _ = new_draft(petitions)
    listed = author.get("/me/petitions")
    assert listed.status_code == 200 and 'aria-current="page"' in listed.text
    assert f'href="/petitions/{mine}"' in listed.text and f"/petitions/{theirs}" not in listed.text
    assert "Brouillon" in listed.text and 'href="/me/petitions"' in listed.text
    assert "aucune pétition" in citizen(petitions).get("/me/petitions").text
    anonymous = Visitor(petitions).get("/me/petitions")
    assert anonymous.status_code == 303
    assert anonymous.headers["Location"] == "/login?next=/me/petitions"


def test_draft_pages_escape_titles_with_markup(petitions):
    author, petition_id, token = new_draft(petitions, title=f"Des arbres {MARKUP}")
    pages = [
        author.get(f"/petitions/{petition_id}"),
        author.get(f"/petitions/{petition_id}/edit"),
        author.get("/me/petitions"),
        citizen(petitions).get(link(petition_id, token)),
        operator(petitions).get(f"/petitions/{petition_id}"),
    ]
    for page in pages:
        assert page.status_code == 200, page.url
        assert "<script>alert" not in page.text and "<b>bold" not in page.text, page.url
        assert "&lt;script&gt;alert(" in page.text, page.url


def test_in_english_too(petitions):
    author, petition_id, _ = new_draft(petitions)
    page = author.get(f"/petitions/{petition_id}?lang=en").text
    assert '<html lang="en">' in page and "Co-sponsors: 0" in page
    assert "2 more co-sponsor(s) needed" in page and "My petitions" in page
