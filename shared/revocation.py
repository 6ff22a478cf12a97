"""The revocation feed, receiving end: what identity revoked, kept in a resource service's
``revocations`` table until the tokens it names have expired.

Identity publishes ``identity.tokens_revoked`` through its outbox whenever access tokens stop
being valid before their ``exp`` (``TokensRevoked``, services/identity/events.py). Its payload
has up to three lists; a row is kept for each entry this service needs:

- ``tokens``: ``{"jti", "exp"}``, one access token each (a replayed code, a reused refresh
  token, ``/revoke``, logout);
- ``clients``: ``{"client_id", "issued_before", "exp"}``, every token of a disabled client
  issued before that time, the service's own ones included;
- ``subjects``: ``{"resource", "sub", "issued_before", "exp"}``, every token of an erased
  citizen, by the pairwise subject each resource service knew them by.

``exp`` is when the last token an entry covers expires; rows are kept :data:`LEEWAY_SECONDS`
longer, as long as the verifier would still accept such a token. The deny-list each process keeps
in memory is built from this table (:mod:`shared.denylist`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from shared.auth import LEEWAY_SECONDS
from shared.db import UnitOfWork
from shared.envelope import Envelope, InvalidEnvelope
from shared.inbox import first_delivery
from shared.outbox import BIGINT

TOKENS_REVOKED = "identity.tokens_revoked"  # identity's TokensRevoked (services/identity/events.py)
JTI, CLIENT, SUBJECT = "jti", "client", "sub"  # the kinds of rows
MAX_VALUE_LENGTH = 128
_metadata_for_statements = sa.MetaData()


def revocations_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "revocations",
        metadata,
        # NOTE: seq lets a process tell cheaply whether the table changed (shared.denylist).
        sa.Column("seq", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", sa.String(MAX_VALUE_LENGTH), nullable=False),
        sa.Column("issued_before", sa.BigInteger, nullable=False),  # 0 for a jti
        sa.Column("expires_at", sa.BigInteger, nullable=False, index=True),
        sa.UniqueConstraint("kind", "value", "issued_before", name="uq_revocations_entry"),
    )


REVOCATIONS = revocations_table(_metadata_for_statements)


def revocation_rows(payload: Mapping[str, Any], service: str, now: int) -> list[dict[str, Any]]:
    """The rows this service keeps for one event's payload (those not yet expired), or
    InvalidEnvelope when the payload is malformed or names nothing."""
    tokens, clients, subjects = (
        _entries(payload, name) for name in ("tokens", "clients", "subjects")
    )
    if not (tokens or clients or subjects):
        raise InvalidEnvelope("a revocation must name tokens, clients or subjects")
    rows = [_row(JTI, _text(t, "jti"), 0, _time(t, "exp")) for t in tokens]
    rows += [
        _row(CLIENT, _text(c, "client_id"), _time(c, "issued_before"), _time(c, "exp"))
        for c in clients
    ]
    for entry in subjects:
        resource = _text(entry, "resource")
        row = _row(SUBJECT, _text(entry, "sub"), _time(entry, "issued_before"), _time(entry, "exp"))
        if resource == service:
            rows.append(row)
    unique = {(r["kind"], r["value"], r["issued_before"]): r for r in rows}
    return [r for r in unique.values() if r["expires_at"] + LEEWAY_SECONDS >= now]


def record_revocations(uow: UnitOfWork, consumer: str, body: Any, service: str, now: int) -> int:
    """Apply one ``identity.tokens_revoked`` event once (the inbox); how many rows it added."""
    envelope = Envelope.from_dict(body)
    if envelope.type != TOKENS_REVOKED:
        raise InvalidEnvelope(f"an event of type {envelope.type!r} arrived as {TOKENS_REVOKED!r}")
    rows = revocation_rows(envelope.payload, service, now)
    if not first_delivery(uow, consumer, envelope.id):
        uow.rollback()
        return 0
    added = uow.insert_many_unless_exist(REVOCATIONS, rows) if rows else 0
    uow.commit()
    return added


def _entries(payload: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    found = payload.get(name, [])
    if not isinstance(found, list) or not all(isinstance(e, Mapping) for e in found):
        raise InvalidEnvelope(f"{name} must be a list of objects")
    return found


def _text(entry: Mapping[str, Any], name: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= MAX_VALUE_LENGTH:
        raise InvalidEnvelope(f"{name} must be a string of 1 to {MAX_VALUE_LENGTH} characters")
    return value


def _time(entry: Mapping[str, Any], name: str) -> int:
    value = entry.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidEnvelope(f"{name} must be a time in seconds since the epoch")
    return value


def _row(kind: str, value: str, issued_before: int, expires_at: int) -> dict[str, Any]:
    return {"kind": kind, "value": value, "issued_before": issued_before, "expires_at": expires_at}
