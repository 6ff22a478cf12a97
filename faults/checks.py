"""What the databases, the agencies' receivers and the logs say after the faults.

Read straight from each service's database (psycopg2): the hub's own API could hide a fault.
The transparency log is the exception: it is read over HTTP only and verified with
``hub_verify``, as an outsider reads it, since what outsiders can check is what it promises.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg2
from hub_verify import merkle
from hub_verify.audit import verified_entries
from hub_verify.checkpoint import Checkpoint
from hub_verify.errors import VerifyError
from hub_verify.fetch import Remote
from hub_verify.leaves import Sign, parse_leaf
from hub_verify.policy import Policy
from hub_verify.recount import recount
from hub_verify.tiles import tile_hash_reader

from faults.actors import Person, WebhookReceiver, unverified_claims
from faults.load import Pair

PUBLIC_TYPES = (
    "petition.published",
    "petition.rejected",
    "petition.signature_count_changed",
    "petition.threshold_reached",
    "petition.closed",
)
LOG_PUBLIC_TYPES = ("transparency.checkpoint_published",)
FAN_OUT = "notifications.fan_out"
CITIZEN_MAIL_CONSUMER_PREFIX = "notifications."


def query(url: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())
    finally:
        conn.close()


@dataclass
class Subscriber:
    receiver: WebhookReceiver
    subscription_id: str
    event_types: list[str] | None
    # Published before it subscribed (the log's first checkpoint, at start): it may get them.
    optional: set[str] = field(default_factory=set)


@dataclass
class Report:
    figures: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def check(self, ok: bool, message: str) -> None:
        if not ok:
            self.failures.append(message)


def unsent_outbox(database_urls: dict[str, str]) -> dict[str, int]:
    return {
        service: query(url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0]
        for service, url in database_urls.items()
    }


def public_events(database_urls: dict[str, str]) -> list[tuple[str, str, Any]]:
    """What agencies may receive: petitions' public events and the log's checkpoints."""
    sql = (
        "SELECT event_id, event_type, envelope FROM outbox WHERE event_type = ANY(%s) ORDER BY seq"
    )
    return [
        (row[0], row[1], row[2])
        for service, types in (("petitions", PUBLIC_TYPES), ("transparency", LOG_PUBLIC_TYPES))
        for row in query(database_urls[service], sql, (list(types),))
    ]


def expected_ids(events: Iterable[tuple[str, str, Any]], subscriber: Subscriber) -> set[str]:
    wanted = subscriber.event_types
    return {
        e[0]
        for e in events
        if (wanted is None or e[1] in wanted) and e[0] not in subscriber.optional
    }


def delivered_everything(
    database_urls: dict[str, str], subscribers: list[Subscriber]
) -> tuple[bool, str]:
    """Whether the outboxes are drained and every subscriber got every event it asked for."""
    unsent = unsent_outbox(database_urls)
    if any(unsent.values()):
        return False, f"outbox rows unsent: {unsent}"
    events = public_events(database_urls)
    for sub in subscribers:
        missing = expected_ids(events, sub) - set(sub.receiver.ids())
        if missing:
            return False, f"{sub.receiver.name}: {len(missing)} events not delivered yet"
    # A send whose answer a fault cut off is retried after its lease, although the receiver
    # may already have it (deduplicated by webhook-id): wait for those retries too.
    pending = query(
        database_urls["notifications"], "SELECT count(*) FROM deliveries WHERE status = 'pending'"
    )[0][0]
    if pending:
        return False, f"{pending} deliveries still pending"
    return True, "all delivered"


def check_signatures(
    report: Report, petitions_db: str, pairs: list[Pair], tokens: list[str], counts: dict[str, int]
) -> None:
    """Each 201 stored exactly once; nothing stored for pairs that never got 201/409; counts."""
    rows = query(petitions_db, "SELECT id, petition_id, citizen_sub FROM signatures")
    by_pair: dict[tuple[str, str], list[str]] = defaultdict(list)
    for signature_id, petition_id, sub in rows:
        by_pair[(petition_id, sub)].append(signature_id)
    subs = [str(unverified_claims(t)["sub"]) for t in tokens]
    attempted = {(p.petition_id, subs[p.citizen]): p for p in pairs if p.attempts}
    acknowledged = 0
    for key, pair in attempted.items():
        stored = by_pair.get(key, [])
        ack = pair.acknowledged
        if ack is not None:
            acknowledged += 1
            report.check(
                stored == [ack.signature_id],
                f"201 receipt {ack.signature_id} of citizen {pair.citizen} is stored as {stored}",
            )
        elif pair.stored_expected:
            report.check(len(stored) == 1, f"citizen {pair.citizen}: 409 but stored {stored}")
        else:
            report.check(
                not stored,
                f"citizen {pair.citizen} never got 201/409 ({[a.kind for a in pair.attempts]}) "
                f"yet {stored} is stored",
            )
    strays = [k for k in by_pair if k not in attempted]
    report.check(not strays, f"signatures nobody attempted: {strays[:5]}")
    shard_total = query(petitions_db, "SELECT coalesce(sum(count), 0) FROM petition_count_shards")
    report.check(
        int(shard_total[0][0]) == len(rows),
        f"the count shards add up to {shard_total[0][0]}, the signatures table has {len(rows)}",
    )
    per_petition = Counter(petition_id for _, petition_id, _ in rows)
    for petition_id, api_count in counts.items():
        report.check(
            api_count == per_petition.get(petition_id, 0),
            f"petition {petition_id}: API count {api_count}, rows {per_petition.get(petition_id)}",
        )
    report.figures["signatures_stored"] = len(rows)
    report.figures["signatures_acknowledged_pairs"] = acknowledged


def check_events(
    report: Report, database_urls: dict[str, str], subscribers: list[Subscriber]
) -> None:
    events = public_events(database_urls)
    notifications = database_urls["notifications"]
    report.figures["events_public"] = len(events)
    report.figures["events_by_type"] = dict(Counter(e[1] for e in events))
    unsent = unsent_outbox(database_urls)
    report.figures["outbox_unsent"] = unsent
    report.check(not any(unsent.values()), f"outbox rows left unsent: {unsent}")

    # Every consumer applied each event at most once: one inbox row, one effect.
    messages = query(notifications, "SELECT id FROM messages")
    fan_out = query(notifications, "SELECT count(*) FROM inbox WHERE consumer = %s", (FAN_OUT,))
    report.check(
        len(messages) == fan_out[0][0] == len({m[0] for m in messages}) == len(events),
        f"fan-out applied {fan_out[0][0]} events, {len(messages)} messages, "
        f"{len(events)} public events published",
    )
    doubled = query(
        notifications,
        "SELECT message_id, subscription_id FROM deliveries "
        "GROUP BY message_id, subscription_id HAVING count(*) > 1",
    )
    report.check(not doubled, f"deliveries queued twice: {doubled[:5]}")
    recorded = query(
        database_urls["petitions"],
        "SELECT coalesce(sum(jsonb_array_length(envelope::jsonb -> 'payload' -> 'receipts')), 0)"
        " FROM outbox WHERE event_type = 'petition.signatures_recorded'",
    )[0][0]
    receipts = query(notifications, "SELECT count(*) FROM signature_receipts")[0][0]
    report.check(
        receipts == recorded,
        f"{recorded} receipts in signatures_recorded events, {receipts} kept by notifications",
    )
    dead = query(notifications, "SELECT consumer, routing_key, reason FROM dead_letters")
    report.check(not dead, f"dead-lettered events: {dead[:3]}")
    report.figures["dead_letters"] = len(dead)

    deliveries = 0
    duplicates = 0
    for sub in subscribers:
        expected = expected_ids(events, sub)
        got = sub.receiver.ids()
        missing = expected - set(got)
        unexpected = set(got) - expected - sub.optional
        report.check(not missing, f"{sub.receiver.name} never received {len(missing)} events")
        report.check(not unexpected, f"{sub.receiver.name} received unknown ids {unexpected}")
        report.check(not sub.receiver.rejected, f"bad signatures: {sub.receiver.rejected[:3]}")
        deliveries += len(expected & set(got))
        duplicates += sum(n - 1 for n in got.values() if n > 1)
        _check_last_counts(report, sub)
    statuses = dict(query(notifications, "SELECT status, count(*) FROM deliveries GROUP BY 1"))
    report.check(set(statuses) <= {"succeeded"}, f"deliveries not succeeded: {statuses}")
    report.figures["deliveries_unique"] = deliveries
    report.figures["duplicates_suppressed_by_webhook_id"] = duplicates


def _check_last_counts(report: Report, sub: Subscriber) -> None:
    """The last count an agency heard of, per petition, is the stored count (coalescing)."""
    last: dict[str, tuple[str, int]] = {}  # by the CloudEvent's time, then the count
    for body in sub.receiver.bodies():
        if body["type"].endswith("petition.signature_count_changed"):
            data = body["data"]
            seen = last.get(data["petition_id"])
            moment = (body["time"], data["signature_count"])
            if seen is None or moment >= seen:
                last[data["petition_id"]] = moment
    report.figures.setdefault("last_counts", {}).update({k: v[1] for k, v in last.items()})


# -- the transparency log, as an outsider reads it -------------------------------------------


@dataclass
class LogView:
    """The log at one verified checkpoint: every entry, checked against the tiles and the root."""

    checkpoint: Checkpoint
    note: bytes
    entries: list[tuple[int, bytes]]

    def signs(self) -> dict[str, list[bytes]]:
        """Each petition's sign leaves' commitments, in log order (doubles kept)."""
        found: dict[str, list[bytes]] = defaultdict(list)
        for _, entry in self.entries:
            leaf = parse_leaf(entry)
            if isinstance(leaf, Sign):
                found[leaf.petition_id].append(leaf.commitment)
        return found

    def text(self) -> str:
        return "\n".join(entry.decode("ascii", "replace") for _, entry in self.entries)


def read_log(tlog_url: str, vkey: str) -> LogView:
    """The latest checkpoint, signed by ``vkey`` (fetched once before the faults), and all entries.

    Raises VerifyError when something does not verify, Unavailable when the log cannot be read.
    """
    remote = Remote(tlog_url, timeout=10)
    note = remote.get("checkpoint")
    checkpoint = Policy.from_vkey(vkey).check(note)
    last = checkpoint.size - 1
    entries = verified_entries(remote, checkpoint, 0, last) if checkpoint.size else []
    return LogView(checkpoint, note, entries)


def log_consistent(tlog_url: str, old: Checkpoint, new: Checkpoint) -> str | None:
    """Why ``new`` is not an extension of ``old`` (a rollback, a fork), or None; from the tiles."""
    if new.size < old.size:
        return f"the log shrank from {old.size} to {new.size}"
    if new.size == old.size:
        return None if new.root == old.root else f"two roots for size {new.size}"
    remote = Remote(tlog_url, timeout=10)
    read = tile_hash_reader(new.size, new.root, lambda tile: remote.get(tile.path()))
    try:
        proof = merkle.prove_consistency(new.size, old.size, read)
        merkle.verify_consistency(old.size, new.size, proof, old.root, new.root)
    except VerifyError as error:
        return f"size {old.size} is not a prefix of size {new.size}: {error}"
    return None


def stored_commitments(petitions_db: str) -> dict[str, list[bytes]]:
    """Each petition's accepted signatures' commitments, from the petitions database."""
    found: dict[str, list[bytes]] = defaultdict(list)
    for petition_id, commitment in query(
        petitions_db, "SELECT petition_id, commitment FROM signatures"
    ):
        found[str(petition_id)].append(bytes.fromhex(commitment) if commitment else b"")
    return found


def log_caught_up(view: LogView, stored: dict[str, list[bytes]], petition_ids: list[str]) -> str:
    """What the log still lacks ("" when it holds a sign leaf for every accepted signature)."""
    signs = view.signs()
    behind = {
        p: (len(signs.get(p, [])), len(stored.get(p, [])))
        for p in petition_ids
        if len(signs.get(p, [])) < len(stored.get(p, []))
    }
    return f"sign leaves / accepted signatures behind: {behind}" if behind else ""


def check_log(
    report: Report,
    view: LogView,
    counts: dict[str, int],
    stored: dict[str, list[bytes]],
    acknowledged: dict[str, list[bytes]],
) -> None:
    """Per petition: the recount is the API's count with no anomaly; each accepted signature
    has exactly one sign leaf (nothing lost, nothing doubled, nothing the hub did not accept);
    each commitment a citizen got in a 201 is in the log."""
    signs = view.signs()
    anomalies = 0
    for petition_id, api_count in counts.items():
        result = recount(view.entries, petition_id)
        anomalies += len(result.anomalies)
        report.check(result.open_index is not None, f"log: petition {petition_id} has no open leaf")
        report.check(
            not result.anomalies,
            f"log: petition {petition_id}: anomalies {[a.__dict__ for a in result.anomalies][:3]}",
        )
        report.check(
            result.count == api_count,
            f"log: petition {petition_id}: the recount is {result.count}, the API says {api_count}",
        )
        in_log = Counter(signs.get(petition_id, []))
        accepted = Counter(stored.get(petition_id, []))
        doubled = [c.hex()[:12] for c, n in in_log.items() if n > 1]
        missing = [c.hex()[:12] for c in accepted if c not in in_log]
        unknown = [c.hex()[:12] for c in in_log if c not in accepted]
        report.check(not doubled, f"log: petition {petition_id}: sign leaves doubled {doubled[:5]}")
        report.check(not missing, f"log: petition {petition_id}: signatures missing {missing[:5]}")
        report.check(not unknown, f"log: petition {petition_id}: signs not accepted {unknown[:5]}")
        report.check(
            sum(in_log.values()) == sum(accepted.values()),
            f"log: petition {petition_id}: {sum(in_log.values())} sign leaves, "
            f"{sum(accepted.values())} accepted signatures",
        )
        lost = [c.hex()[:12] for c in acknowledged.get(petition_id, []) if c not in in_log]
        report.check(not lost, f"log: petition {petition_id}: 201 commitments not in it {lost[:5]}")
    report.figures["log"] = {
        **report.figures.get("log", {}),
        "size": view.checkpoint.size,
        "sign_leaves": sum(len(v) for v in signs.values()),
        "accepted_signatures": sum(len(v) for v in stored.values()),
        "anomalies": anomalies,
    }


def personal_data_leaks(text: str, people: Iterable[Person], where: str) -> list[str]:
    """Names, e-mail addresses and birth dates of the test identities found in ``text``."""
    leaks = []
    for person in people:
        for value in person.personal_data():
            if re.search(re.escape(value), text, re.IGNORECASE):
                leaks.append(f"{where}: {value!r}")
    return leaks


# An authorization code or a token in a logged URL (RFC 6749 10.5: codes are secrets too).
SECRET_IN_URL = re.compile(
    r"[?&](code|access_token|id_token|refresh_token|client_secret)=[^&\s\"]+"
)


def secret_leaks(text: str, secrets: Iterable[str], where: str) -> list[str]:
    """Known secrets (tokens, client and webhook secrets), or codes in URLs, found in ``text``."""
    leaks = [f"{where}: a secret ending {s[-6:]!r}" for s in secrets if s and s in text]
    leaks += [f"{where}: {m.group(0)[:24]}..." for m in SECRET_IN_URL.finditer(text)]
    return leaks
