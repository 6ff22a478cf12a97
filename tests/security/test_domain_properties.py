"""Hypothesis over the petition rules: lifecycle transitions, eligibility, thresholds, receipts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.petitions import domain
from services.petitions.domain import Citizen, Petition, PetitionError, Status

NOW = datetime(2030, 1, 1, tzinfo=UTC)
ALLOWED = {  # from -> reachable states (the documented lifecycle)
    Status.SUBMITTED: {Status.OPEN, Status.REJECTED, Status.WITHDRAWN, Status.HIDDEN},
    Status.OPEN: {Status.CLOSED, Status.WITHDRAWN, Status.HIDDEN},
    Status.CLOSED: {Status.HIDDEN},
    Status.REJECTED: set(),
    Status.WITHDRAWN: set(),
    Status.HIDDEN: set(),
}
ACTIONS = st.sampled_from(["publish", "reject", "close", "hide", "withdraw", "withdraw_other"])
REASONS = st.sampled_from([*domain.REJECTION_REASONS, "", "because", "DUPLICATE"])


def _petition() -> Petition:
    return Petition("p", "t", "x", Status.SUBMITTED, "author", "eidas1", NOW)


def _apply(petition: Petition, action: str, reason: str) -> Petition:
    if action == "publish":
        return petition.publish(NOW)
    if action == "reject":
        return petition.reject(reason)
    if action == "close":
        return petition.close(NOW)
    if action == "hide":
        return petition.hide()
    return petition.withdraw("author" if action == "withdraw" else "intruder", NOW)


@settings(max_examples=300)
@given(st.lists(st.tuples(ACTIONS, REASONS), max_size=8))
def test_every_sequence_of_decisions_follows_the_lifecycle(steps):
    petition = _petition()
    for action, reason in steps:
        try:
            after = _apply(petition, action, reason)
        except PetitionError:
            continue  # refused: the petition is unchanged (frozen dataclass)
        assert after.status in ALLOWED[petition.status], (petition.status, action, after.status)
        if after.status == Status.REJECTED:
            assert after.rejection_reason in domain.REJECTION_REASONS
        if action == "withdraw_other":
            raise AssertionError("someone else withdrew the author's petition")
        petition = after


@given(
    status=st.sampled_from(Status.ALL),
    acr=st.sampled_from([*domain.ACR_LEVELS, "", "eidas9", None]),
    min_acr=st.sampled_from(domain.ACR_LEVELS),
    adult=st.booleans(),
    offset=st.integers(-400, 400),
    signer=st.sampled_from([None, "", "someone"]),
)
def test_only_adults_at_the_required_level_sign_open_petitions_before_the_deadline(
    status, acr, min_acr, adult, offset, signer
):
    petition = Petition(
        "p",
        "t",
        "x",
        status,
        "a",
        min_acr,
        NOW,
        deadline=NOW + timedelta(days=offset) if status == Status.OPEN else None,
    )
    citizen = Citizen("s", acr or "", adult, signer=signer)
    eligible = (
        status == Status.OPEN
        and offset > 0
        and adult
        and domain.acr_rank(acr) >= domain.acr_rank(min_acr)
        and bool(signer)  # identity's signer claim: one signature per person (issue 21)
    )
    try:
        domain.check_can_sign(petition, citizen, NOW)
        signed = True
    except PetitionError:
        signed = False
    assert signed == eligible


@given(st.integers(0, 10**7), st.lists(st.integers(1, 10**6), unique=True, max_size=5))
def test_thresholds_crossed_grow_with_the_count(count, thresholds):
    thresholds = tuple(sorted(thresholds))
    crossed = domain.thresholds_crossed(count, thresholds)
    assert crossed == [t for t in thresholds if t <= count]
    assert set(crossed) <= set(domain.thresholds_crossed(count + 1, thresholds))


@given(st.uuids(), st.uuids(), st.uuids())
def test_a_receipt_binds_its_petition_and_its_signature(p, s, other):
    signed_at = NOW.isoformat()
    receipt = domain.receipt_hash(str(p), str(s), signed_at)
    assert receipt != domain.receipt_hash(str(other), str(s), signed_at) or other == p
    assert receipt != domain.receipt_hash(str(p), str(other), signed_at) or other == s
