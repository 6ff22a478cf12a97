"""The events petitions emits keep today's wire shape: routing key, version and payload, key by
key (agencies and notifications read them); and Petition.create, the rule drafts follow."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from services.petitions import events
from services.petitions.domain import NotEnoughSponsors, Petition, Receipt, Status, author_key_hash

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
RECEIPT = Receipt("s-1", "p-1", "2026-12-07T09:30:00Z", "a" * 64)


def _wire(event: events.Event) -> tuple[str, int, str]:
    return event.TYPE, event.VERSION, json.dumps(event.payload())


OPEN = Petition(
    "p-1", "Title", "Text", Status.OPEN, "a", "eidas1", NOW, NOW, NOW + timedelta(days=1)
)

CASES = [
    (
        events.PetitionSubmitted("p-1"),
        "petition.submitted",
        {"petition_id": "p-1", "sponsor_count": 0},
    ),
    (
        events.PetitionSubmitted("p-1", 2, "h" * 64),
        "petition.submitted",
        {"petition_id": "p-1", "sponsor_count": 2, "author_key_hash": "h" * 64},
    ),
    (
        events.PetitionPublished.of(OPEN),
        "petition.published",
        {
            "petition_id": "p-1",
            "title": "Title",
            "published_at": "2026-12-07T09:30:00Z",
            "deadline": "2026-12-08T09:30:00Z",
        },
    ),
    (
        events.PetitionRejected("p-1", "duplicate"),
        "petition.rejected",
        {"petition_id": "p-1", "reason": "duplicate"},
    ),
    (
        events.PetitionClosed.of(OPEN, 7),
        "petition.closed",
        {"petition_id": "p-1", "signature_count": 7, "closed_at": None},
    ),
    (events.PetitionHidden("p-1"), "petition.hidden", {"petition_id": "p-1"}),
    (events.PetitionWithdrawn("p-1"), "petition.withdrawn", {"petition_id": "p-1"}),
    (
        events.SignaturesRecorded((RECEIPT,)),
        "petition.signatures_recorded",
        {"receipts": [RECEIPT.as_dict()]},
    ),
    (
        events.SignatureWithdrawn("p-1", "s-1"),
        "petition.signature_withdrawn",
        {"petition_id": "p-1", "signature_id": "s-1"},
    ),
    (
        events.SignatureCountChanged("p-1", 3, "2026-12-07T09:30:00Z"),
        "petition.signature_count_changed",
        {"petition_id": "p-1", "signature_count": 3, "counted_at": "2026-12-07T09:30:00Z"},
    ),
    (
        events.ThresholdReached("p-1", 10_000, 10_002),
        "petition.threshold_reached",
        {"petition_id": "p-1", "threshold": 10_000, "signature_count": 10_002},
    ),
]


@pytest.mark.parametrize("event,routing_key,payload", CASES)
def test_each_event_has_todays_routing_key_version_and_payload(event, routing_key, payload):
    assert _wire(event) == (routing_key, 1, json.dumps(payload))


def test_a_petition_is_created_as_a_draft_keeping_its_author_keys_hash_or_in_moderation():
    content = {"title": "t", "text": "x", "min_acr": "eidas1", "sponsor_token": "s"}
    draft = Petition.create("p-1", "a", NOW, author_key="k", draft=True, **content)
    assert (draft.status, draft.author_key_hash) == (Status.DRAFT, author_key_hash("p-1", "k"))
    submitted = Petition.create("p-2", "a", NOW, author_key="k", **content)
    assert (submitted.status, submitted.author_key_hash) == (Status.SUBMITTED, None)
    with pytest.raises(NotEnoughSponsors):
        Petition.create("p-3", "a", NOW, author_key="k", min_sponsors=1, **content)
    assert Petition.create("p-4", "a", NOW, author_key="k", draft=True, min_sponsors=1, **content)
