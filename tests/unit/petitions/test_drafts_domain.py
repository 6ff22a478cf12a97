"""The rules before moderation: drafts, co-sponsors, submission; the author key; retention."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from services.petitions import domain
from services.petitions.domain import Citizen, Petition, Status

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
ADULT = Citizen("c", "eidas1", True)


def draft(**fields) -> Petition:
    base = {
        "id": "p1",
        "title": "t",
        "text": "x",
        "status": Status.DRAFT,
        "author_sub": "a",
        "min_acr": "eidas1",
        "created_at": NOW,
        "sponsor_token": "link-secret",
        "author_key_hash": "h" * 64,
    }
    base.update(fields)
    return Petition(**base)


def test_a_draft_is_submitted_once_by_its_author_and_forgets_the_key_hash():
    submitted = draft().submit("a", sponsor_count=0, min_sponsors=0)
    assert submitted.status == Status.SUBMITTED and submitted.author_key_hash is None
    with pytest.raises(domain.InvalidTransition):
        submitted.submit("a", 0, 0)
    with pytest.raises(domain.Forbidden):
        draft().submit("someone-else", 0, 0)


def test_submission_waits_for_the_required_co_sponsors():
    with pytest.raises(domain.NotEnoughSponsors):
        draft().submit("a", sponsor_count=1, min_sponsors=2)
    assert draft().submit("a", 2, 2).status == Status.SUBMITTED


def test_only_an_unsponsored_draft_is_edited_by_its_author():
    assert draft().edit("a", {"title": "new"}, 0).title == "new"
    for petition, by, sponsors in ((draft(), "b", 0), (draft(), "a", 1)):
        with pytest.raises(domain.PetitionError):
            petition.edit(by, {"title": "new"}, sponsors)
    with pytest.raises(domain.InvalidTransition):
        draft(status=Status.SUBMITTED).edit("a", {"title": "new"}, 0)


@pytest.mark.parametrize(
    ("petition", "citizen", "token", "code"),
    [
        (draft(), ADULT, "wrong", "not_found"),
        (draft(sponsor_token=None), ADULT, "link-secret", "not_found"),
        (draft(status=Status.OPEN), ADULT, "link-secret", "sponsoring_closed"),
        (draft(), Citizen("a", "eidas1", True), "link-secret", "author_cannot_sponsor"),
        (draft(), Citizen("c", "eidas1", False), "link-secret", "not_adult"),
        (draft(min_acr="eidas2"), ADULT, "link-secret", "acr_too_low"),
    ],
)
def test_co_sponsors_need_the_link_before_moderation_and_eligibility(
    petition, citizen, token, code
):
    with pytest.raises(domain.PetitionError) as refused:
        domain.check_can_sponsor(petition, citizen, token)
    assert refused.value.code == code


def test_co_sponsoring_by_link_before_moderation_is_allowed():
    domain.check_can_sponsor(draft(), ADULT, "link-secret")
    domain.check_can_sponsor(draft(status=Status.SUBMITTED), ADULT, "link-secret")


def test_the_link_shows_a_petition_before_moderation_only():
    assert draft().visible_to(None, False, "link-secret")
    assert not draft().visible_to(None, False, "wrong") and not draft().visible_to(None, False)
    assert not draft(status=Status.HIDDEN).visible_to(None, False, "link-secret")


def test_the_author_key_hash_has_the_format_notifications_checks():
    expected = hashlib.sha256(b"p1\nkey").hexdigest()
    assert domain.author_key_hash("p1", "key") == expected


def test_a_rejection_ends_the_petition_for_retention():
    rejected = draft(status=Status.SUBMITTED).reject("duplicate", NOW)
    assert rejected.closed_at == NOW and Status.REJECTED in Status.ENDED


def test_retention_counts_back_from_now():
    assert domain.retention_cutoff(NOW, timedelta(days=180)) == NOW - timedelta(days=180)
    assert domain.retention_cutoff(NOW, timedelta(days=-3)) == NOW
