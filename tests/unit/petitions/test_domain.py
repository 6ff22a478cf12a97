from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.petitions import domain
from services.petitions.domain import Citizen, Petition, Status

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def submitted(**fields) -> Petition:
    base = {
        "id": "p1",
        "title": "t",
        "text": "x",
        "status": Status.SUBMITTED,
        "author_sub": "a",
        "min_acr": "eidas1",
        "created_at": NOW,
    }
    base.update(fields)
    return Petition(**base)


def test_publishing_opens_with_a_deadline():
    petition = submitted().publish(NOW)
    assert petition.status == Status.OPEN and petition.deadline == NOW + domain.DEFAULT_DURATION


def test_only_submitted_petitions_can_be_moderated():
    with pytest.raises(domain.InvalidTransition):
        submitted().publish(NOW).publish(NOW)
    with pytest.raises(domain.InvalidTransition):
        submitted().publish(NOW).reject("duplicate")


def test_rejection_needs_a_documented_reason():
    with pytest.raises(domain.InvalidTransition):
        submitted().reject("because")
    assert submitted().reject("duplicate").rejection_reason == "duplicate"


def test_hiding_ends_an_open_or_unmoderated_petition_now_so_retention_counts_from_it():
    later = NOW + timedelta(days=3)
    for petition in (submitted().publish(NOW), submitted(), submitted(status=Status.DRAFT)):
        hidden = petition.hide(later)
        assert (hidden.status, hidden.closed_at) == (Status.HIDDEN, later)


def test_hiding_a_closed_petition_keeps_when_it_closed():
    closed = submitted().publish(NOW).close(NOW + timedelta(days=1))
    assert closed.hide(NOW + timedelta(days=9)).closed_at == NOW + timedelta(days=1)


def test_hiding_without_a_time_ends_the_petition_at_the_current_time():
    before = datetime.now(UTC)
    hidden = submitted().publish(NOW).hide()
    assert hidden.closed_at is not None and before <= hidden.closed_at <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("petition", "citizen", "error"),
    [
        (submitted(), Citizen("c", "eidas1", True), "petition_not_open"),
        (
            submitted().publish(NOW - timedelta(days=400)),
            Citizen("c", "eidas1", True),
            "petition_closed",
        ),
        (submitted(min_acr="eidas2").publish(NOW), Citizen("c", "eidas1", True), "acr_too_low"),
        (submitted().publish(NOW), Citizen("c", "", True), "acr_too_low"),
        (submitted().publish(NOW), Citizen("c", "eidas3", False), "not_adult"),
    ],
)
def test_ineligible_signatures_are_refused_with_a_reason(petition, citizen, error):
    with pytest.raises(domain.PetitionError) as refused:
        domain.check_can_sign(petition, citizen, NOW)
    assert refused.value.code == error


def test_an_adult_at_the_required_level_may_sign():
    domain.check_can_sign(
        submitted(min_acr="eidas2").publish(NOW), Citizen("c", "eidas3", True, "signer-c"), NOW
    )


def test_a_token_without_a_signer_cannot_sign():
    with pytest.raises(domain.NotEligible) as refused:
        domain.check_can_sign(submitted().publish(NOW), Citizen("c", "eidas3", True), NOW)
    assert refused.value.code == "sign_in_again"


def test_receipt_hash_binds_signature_to_petition():
    one = domain.receipt_hash("p1", "s1", "2026-11-26T12:00:00Z")
    assert one == domain.receipt_hash("p1", "s1", "2026-11-26T12:00:00Z")
    assert one != domain.receipt_hash("p2", "s1", "2026-11-26T12:00:00Z")
