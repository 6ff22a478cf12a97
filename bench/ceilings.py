"""What this machine can do at most, measured in the same run: single-row INSERTs into
PostgreSQL (psycopg2, autocommit), confirmed publishes to RabbitMQ (one confirm wait per
message, nameko's Publisher), and the cost of verifying one access token."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

import eventlet
import psycopg2

from bench.infra import plain_url

TABLE = """CREATE TABLE IF NOT EXISTS bench_rows (
    id uuid PRIMARY KEY, petition_id uuid NOT NULL, created_at timestamptz NOT NULL DEFAULT now()
)"""
INSERT = "INSERT INTO bench_rows (id, petition_id) VALUES (%s, %s)"


def insert_ceiling(database_url: str, duration: float, connections: int = 1) -> dict[str, Any]:
    """Rows/s of one-row autocommitted INSERTs, from ``connections`` clients back to back.

    With one connection psycopg2 blocks (no eventlet wait callback in the way); with several it
    is made cooperative, as the services' engines are.
    """
    url = plain_url(database_url)
    with psycopg2.connect(url) as setup:
        setup.autocommit = True
        setup.cursor().execute(TABLE)
    setup.close()
    petition = str(uuid.uuid4())
    counts = [0] * connections
    if connections > 1:
        from eventlet.support import psycopg2_patcher

        if psycopg2.extensions.get_wait_callback() is None:
            psycopg2_patcher.make_psycopg_green()
    conns = [psycopg2.connect(url) for _ in range(connections)]
    for conn in conns:
        conn.autocommit = True
    end = time.perf_counter() + duration

    def client(n: int) -> None:
        cur = conns[n].cursor()
        while time.perf_counter() < end:
            cur.execute(INSERT, (str(uuid.uuid4()), petition))
            counts[n] += 1

    started = time.perf_counter()
    if connections == 1:
        client(0)
    else:
        pool = eventlet.GreenPool(connections)
        for n in range(connections):
            pool.spawn(client, n)
        pool.waitall()
    elapsed = time.perf_counter() - started
    for conn in conns:
        conn.close()
    return {
        "rows_per_second": sum(counts) / elapsed,
        "rows": sum(counts),
        "connections": connections,
        "duration_s": round(elapsed, 2),
    }


def publish_ceiling(amqp_uri: str, duration: float) -> dict[str, Any]:
    """Persistent messages/s to a durable queue, waiting for the broker's confirm of each."""
    from kombu import Connection, Exchange, Queue
    from nameko.amqp.publish import Publisher

    exchange = Exchange("bench.ceiling", type="topic", durable=True)
    queue = Queue("bench-ceiling", exchange=exchange, routing_key="#", durable=True)
    with Connection(amqp_uri) as conn:
        queue(conn.channel()).declare()
    publisher = Publisher(amqp_uri, use_confirms=True, delivery_mode=2, serializer="json")
    payload = {"type": "petition.signature_recorded", "petition_id": str(uuid.uuid4())}
    publisher.publish(payload, exchange=exchange, routing_key="warmup")
    count = 0
    started = time.perf_counter()
    end = started + duration
    while time.perf_counter() < end:
        publisher.publish(payload, exchange=exchange, routing_key="bench")
        count += 1
    elapsed = time.perf_counter() - started
    with Connection(amqp_uri) as conn:
        queue(conn.channel()).delete()
    return {"per_second": count / elapsed, "messages": count, "duration_s": round(elapsed, 2)}


def token_verify_cost(tokens: str | Sequence[str], iterations: int) -> dict[str, Any]:
    """µs per :meth:`shared.auth.TokenVerifier.verify` of real hub access tokens, warm key cache.

    Given several tokens (the citizens' from the login phase) it verifies them in turn, as a
    service verifies distinct citizens' tokens; every call does the whole verification (the
    verifier keeps constructed keys, never verified tokens). Wall-clock and CPU time of this
    process are both reported: the second holds on a busy machine.
    """
    from jose import jwt

    from shared.auth import TokenVerifier

    distinct = [tokens] if isinstance(tokens, str) else list(tokens)
    claims = jwt.get_unverified_claims(distinct[0])
    audience = claims["aud"] if isinstance(claims["aud"], str) else claims["aud"][0]
    verifier = TokenVerifier(claims["iss"], audience)
    cold_started = time.perf_counter()
    verifier.verify(distinct[0])  # fetches discovery + JWKS, constructs the key
    cold = time.perf_counter() - cold_started
    for token in distinct[:50]:
        verifier.verify(token)
    batch = [distinct[i % len(distinct)] for i in range(iterations)]
    started, cpu_started = time.perf_counter(), time.process_time()
    for token in batch:
        verifier.verify(token)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "us_per_verify": elapsed / iterations * 1e6,
        "cpu_us_per_verify": cpu / iterations * 1e6,
        "iterations": iterations,
        "distinct_tokens": min(len(distinct), iterations),
        "first_verify_ms": cold * 1000,
        "algorithm": jwt.get_unverified_header(distinct[0]).get("alg"),
    }
