"""The delivery loop's steps: claim due deliveries fairly, send one, then record each attempt
and what it means for the delivery and its subscription (throttled, failing, disabled), with the
events the hub announces about it (:class:`SubscriptionDisabled`, :class:`DeliveryExhausted`)
written to the outbox in the same transaction."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from services.notifications.webhooks.adapters import sender
from services.notifications.webhooks.domain import (
    ACTIVE,
    DISABLED,
    PAUSED,
    PENDING,
    SUCCEEDED,
    AttemptResult,
    Decision,
    cloud_event,
    decide,
    failing_too_long,
    serialize,
    signing_secrets,
)
from services.notifications.webhooks.events import DeliveryExhausted, SubscriptionDisabled
from services.notifications.webhooks.storage import queries as store
from services.notifications.webhooks.storage.tables import deliveries, delivery_attempts
from shared.clock import as_utc, isoformat, utcnow
from shared.db import UnitOfWork

CANDIDATES_PER_SLOT = 4
GONE_REASON = "the endpoint answered 410 Gone"
FAILING_REASON = "every delivery failed for 5 days"

Admit = Callable[[str, int | None], bool]


def claim_due(
    conn: Any, slots: int, lease_seconds: float, blocked: list[str], admit: Admit
) -> list[Any]:
    """Up to ``slots`` due deliveries that their subscriptions' limits ``admit``, leased to us."""
    now = utcnow()
    candidates = store.due_candidates(conn, now, slots * CANDIDATES_PER_SLOT, blocked)
    chosen: list[Any] = []
    for row in candidates:
        if len(chosen) == slots:
            break
        if admit(row.subscription_id, row.rate_limit):
            chosen.append(row)
    chosen_ids = [row.id for row in chosen]
    store.lease(conn, chosen_ids, now + timedelta(seconds=lease_seconds))
    return store.claimed(conn, chosen_ids)


def send(item: Any, allow_private: bool) -> AttemptResult:
    """POST one claimed delivery, signed with every secret valid now; never raises."""
    body = serialize(
        cloud_event(item.message_id, item.event_type, item.occurred_at, item.subject, item.data)
    )
    secrets = signing_secrets(
        item.secret, item.previous_secret, as_utc(item.previous_secret_expires_at), utcnow()
    )
    return sender.send(item.url, item.message_id, secrets, body, allow_private)


def retry_time(now: datetime, retry_in: float | None, scale: float) -> datetime | None:
    """When to try again; ``scale`` shrinks the Svix schedule for fault-injection runs
    (HUB_WEBHOOK_RETRY_SCALE)."""
    return None if retry_in is None else now + timedelta(seconds=retry_in * scale)


Outcome = tuple[Any, AttemptResult]  # a claimed delivery and what its attempt gave


def record_attempts(
    uow: UnitOfWork,
    outcomes: Sequence[Outcome],
    rng: random.Random | None = None,
    retry_scale: float = 1.0,
) -> list[Decision]:
    """Log attempts that ended close together and move each delivery on (done, retried later,
    or failed for good), in one transaction.

    One INSERT logs every attempt; deliveries that end the same way (successes after the same
    number of attempts) move on in one UPDATE; a subscription is marked healthy once per batch.
    """
    now = utcnow()
    decisions = [decide(item.attempt_count + 1, result, rng) for item, result in outcomes]
    _log_attempts(uow, outcomes, now)
    _move_on(uow, outcomes, decisions, now, retry_scale)
    _update_health(uow, outcomes, decisions, now)
    uow.commit()
    return decisions


def _log_attempts(uow: UnitOfWork, outcomes: Sequence[Outcome], now: datetime) -> None:
    rows = [
        {
            "delivery_id": item.id,
            "attempted_at": now,
            "status_code": result.status_code,
            "duration_ms": result.duration_ms,
            "outcome": result.outcome,
            "response_excerpt": result.excerpt,
        }
        for item, result in outcomes
    ]
    uow.execute(sa.insert(delivery_attempts), rows)


# NOTE: only a still-pending delivery moves on: one cancelled mid-flight stays cancelled.
_SUCCEEDED_TOGETHER = (
    sa.update(deliveries)
    .where(
        deliveries.c.id.in_(sa.bindparam("ids", expanding=True)),
        deliveries.c.status == PENDING,
    )
    .values(
        status=SUCCEEDED,
        attempt_count=sa.bindparam("attempts_made"),
        next_attempt_at=None,
        last_attempt_at=sa.bindparam("now"),
    )
)


def _move_on(
    uow: UnitOfWork,
    outcomes: Sequence[Outcome],
    decisions: Sequence[Decision],
    now: datetime,
    retry_scale: float,
) -> None:
    """Each delivery's new state; successes share one UPDATE per attempt count (usually one)."""
    succeeded: dict[int, list[int]] = defaultdict(list)
    for (item, _), decision in zip(outcomes, decisions, strict=True):
        attempts_made = item.attempt_count + 1
        if decision.status == SUCCEEDED:
            succeeded[attempts_made].append(item.id)
            continue
        uow.execute(
            sa.update(deliveries)
            .where(deliveries.c.id == item.id, deliveries.c.status == PENDING)
            .values(
                status=decision.status,
                attempt_count=attempts_made,
                next_attempt_at=retry_time(now, decision.retry_in, retry_scale),
                last_attempt_at=now,
            )
        )
    for attempts_made, ids in sorted(succeeded.items()):
        uow.execute(_SUCCEEDED_TOGETHER, {"ids": ids, "attempts_made": attempts_made, "now": now})


def _update_health(
    uow: UnitOfWork, outcomes: Sequence[Outcome], decisions: Sequence[Decision], now: datetime
) -> None:
    """The subscriptions' health, in the order the attempts ended.

    NOTE: successes are marked healthy together, but never after a later failure of the same
    subscription (which must leave it failing): pending ones are written before that failure.
    Every delivery of the batch has moved on before this runs, so a subscription disabled here
    cancels none of the batch's own deliveries (one at a time, that depended on which write-back
    came first).
    """
    healthy: set[str] = set()
    for (item, result), decision in zip(outcomes, decisions, strict=True):
        if result.succeeded:
            healthy.add(item.subscription_id)
            continue
        if item.subscription_id in healthy:
            store.mark_healthy(uow, sorted(healthy))
            healthy.clear()
        _after_failure(uow, item, decision, now)
    if healthy:
        store.mark_healthy(uow, sorted(healthy))


def _after_failure(uow: UnitOfWork, item: Any, decision: Decision, now: datetime) -> None:
    if decision.throttle_for is not None:
        store.throttle(uow, item.subscription_id, now + timedelta(seconds=decision.throttle_for))
    if decision.exhausted:
        uow.emit(_exhausted(item))
    if decision.disable_subscription:
        disable(uow, item.subscription_id, GONE_REASON, now)
        return
    store.mark_failing(uow, item.subscription_id, now)
    health = store.subscription_health(uow, item.subscription_id)
    if health.status == ACTIVE and failing_too_long(as_utc(health.failing_since), now):
        disable(uow, item.subscription_id, FAILING_REASON, now)


def disable(uow: UnitOfWork, subscription_id: str, reason: str, now: datetime) -> None:
    """Disable the subscription (its pending deliveries are cancelled) and announce it."""
    health = store.subscription_health(uow, subscription_id)
    if health is None or health.status not in (ACTIVE, PAUSED):
        return  # already disabled or deleted: announced then
    store.end_subscription(uow, subscription_id, DISABLED, reason, now)
    uow.emit(SubscriptionDisabled(subscription_id, health.agency_id, reason, isoformat(now)))


def _exhausted(item: Any) -> DeliveryExhausted:
    return DeliveryExhausted(
        subscription_id=item.subscription_id,
        agency_id=item.agency_id,
        message_id=item.message_id,
        event_type=item.event_type,
        attempts=item.attempt_count + 1,
    )
