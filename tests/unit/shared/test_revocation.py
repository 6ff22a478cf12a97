"""The revocation feed's pure parts: what identity announces, what a resource service keeps of
it, and which verified claims the deny-list refuses."""

from __future__ import annotations

from typing import Any

import pytest

from services.identity.handlers.revocations import (
    MAX_TOKENS_PER_EVENT,
    TOKENS_REVOKED,
    announce_client,
    announce_subjects,
    announce_tokens,
)
from shared.auth import LEEWAY_SECONDS
from shared.denylist import Revoked
from shared.envelope import InvalidEnvelope
from shared.events import Event
from shared.revocation import revocation_rows

NOW = 1_800_000_000
TTL = 600


class Emitted:
    """Stands in for a unit of work's ``emit`` (the outbox itself is tested elsewhere)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def emit(self, event: Event) -> None:
        self.events.append((event.TYPE, event.payload()))


def kept_by(service: str, emitted: Emitted, now: int = NOW) -> Revoked:
    rows = [r for _, payload in emitted.events for r in revocation_rows(payload, service, now)]
    return Revoked.from_rows((r["kind"], r["value"], r["issued_before"]) for r in rows)


def claims(**values: Any) -> dict[str, Any]:
    return {"sub": "s-1", "client_id": "service-1", "iat": NOW - 10, "jti": "j-1", **values}


def test_tokens_revoked_one_by_one_are_refused_by_jti_and_no_other():
    emitted = Emitted()
    assert announce_tokens(emitted, "code_replay", [("j-1", NOW + TTL), ("j-2", NOW + 5)]) == 2
    assert [t for t, _ in emitted.events] == [TOKENS_REVOKED]
    revoked = kept_by("petitions", emitted)
    assert revoked.refuses(claims(jti="j-1")) and revoked.refuses(claims(jti="j-2"))
    assert not revoked.refuses(claims(jti="j-3"))
    assert not revoked.refuses({k: v for k, v in claims().items() if k != "jti"})


def test_nothing_revoked_announces_nothing_and_a_long_family_is_split():
    emitted = Emitted()
    assert announce_tokens(emitted, "logout", []) == 0 and emitted.events == []
    many = [(f"j-{i}", NOW + TTL) for i in range(MAX_TOKENS_PER_EVENT + 1)]
    announce_tokens(emitted, "refresh_token_reuse", many)
    assert [len(p["tokens"]) for _, p in emitted.events] == [MAX_TOKENS_PER_EVENT, 1]


def test_a_disabled_client_loses_every_token_issued_up_to_now_and_only_those():
    emitted = Emitted()
    announce_client(emitted, "agency-1", NOW, TTL)
    for service in ("petitions", "notifications"):
        revoked = kept_by(service, emitted)
        assert revoked.refuses(claims(client_id="agency-1", sub="agency-1", iat=NOW))
        assert revoked.refuses(claims(client_id="agency-1", iat=NOW - TTL))
        assert not revoked.refuses(claims(client_id="agency-1", iat=NOW + 1))  # enabled again
        assert not revoked.refuses(claims(client_id="agency-2", iat=NOW))


def test_an_erased_citizen_is_refused_by_each_service_under_its_own_subject():
    emitted = Emitted()
    announce_subjects(emitted, {"petitions": "p-sub", "notifications": "n-sub"}, NOW, TTL)
    petitions, notifications = kept_by("petitions", emitted), kept_by("notifications", emitted)
    assert petitions.refuses(claims(sub="p-sub")) and not petitions.refuses(claims(sub="n-sub"))
    assert notifications.refuses(claims(sub="n-sub"))
    assert not notifications.refuses(claims(sub="p-sub"))
    assert not petitions.refuses(claims(sub="p-sub", iat=NOW + 1))  # a token issued later


def test_entries_already_expired_beyond_the_leeway_are_not_kept():
    emitted = Emitted()
    announce_tokens(emitted, "revoked", [("old", NOW - LEEWAY_SECONDS - 1), ("edge", NOW - 5)])
    rows = revocation_rows(emitted.events[0][1], "petitions", NOW)
    assert [r["value"] for r in rows] == ["edge"]


def test_the_latest_cutoff_of_a_client_wins():
    revoked = Revoked.from_rows(
        [("client", "c", NOW - 100), ("client", "c", NOW), ("later-kind", "x", 1)]
    )
    assert revoked.refuses(claims(client_id="c", iat=NOW - 1))


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"reason": "revoked", "tokens": []},
        {"tokens": "j-1"},
        {"tokens": [{"jti": "j-1"}]},
        {"tokens": [{"jti": "j-1", "exp": "soon"}]},
        {"tokens": [{"jti": "j-1", "exp": True}]},
        {"tokens": [{"jti": "", "exp": NOW}]},
        {"tokens": [{"jti": "x" * 129, "exp": NOW}]},
        {"clients": [{"client_id": "c", "exp": NOW}]},
        {"subjects": [{"sub": "s", "issued_before": NOW, "exp": NOW}]},
        {"subjects": [["petitions", "s"]]},
    ],
)
def test_a_malformed_revocation_is_refused(payload):
    with pytest.raises(InvalidEnvelope):
        revocation_rows(payload, "petitions", NOW)


def test_every_process_declares_both_revocation_queues_before_anything_publishes():
    """`hub run` declares the queues of every service class at start (hub/runner.py): an
    event published before petitions or notifications first started still waits for them."""
    from hub.processes import all_service_classes
    from shared.bus import consumer_queues

    declared = {q.name: q.routing_key for q in consumer_queues(all_service_classes())}
    for consumer in ("petitions", "notifications"):
        name = f"evt-identity-{TOKENS_REVOKED}--{consumer}.on_tokens_revoked"
        assert declared.get(name) == TOKENS_REVOKED
