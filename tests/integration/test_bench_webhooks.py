"""The bench's agency endpoint (its own process) against signed and forged deliveries."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from bench.webhooks import WebhookReceiver

SECRET = "whsec_" + base64.b64encode(os.urandom(24)).decode()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    endpoint = WebhookReceiver().start(SECRET)
    yield endpoint
    endpoint.stop()


def _post(receiver: WebhookReceiver, event: dict[str, object], secret: str = SECRET) -> int:
    body = json.dumps(event)
    message_id = f"msg_{os.urandom(6).hex()}"
    now = datetime.now(tz=UTC)
    signature = Webhook(secret).sign(message_id, now, body)
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/cloudevents+json",
    }
    return requests.post(receiver.url, data=body, headers=headers, timeout=5).status_code


def _wait(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.02)


def test_the_endpoint_keeps_each_count_and_when_it_arrived(receiver: WebhookReceiver) -> None:
    before = time.perf_counter()
    count = {"type": "x.petition.signature_count_changed", "data": {"petition_id": "p-1"}}
    count["data"]["signature_count"] = 7  # type: ignore[index]
    assert _post(receiver, count) == 204
    assert _post(receiver, {"type": "x.petition.closed", "data": {"petition_id": "p-1"}}) == 204
    _wait(lambda: receiver.received == 2)
    assert receiver.received == 2 and receiver.highest("p-1") == 7
    [(arrived, petition_id, signatures)] = receiver.counts
    assert before <= arrived <= time.perf_counter() and (petition_id, signatures) == ("p-1", 7)


def test_the_endpoint_rejects_a_forged_signature(receiver: WebhookReceiver) -> None:
    forged = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    assert _post(receiver, {"type": "x.petition.closed", "data": {}}, secret=forged) == 400
    _wait(lambda: receiver.rejected)
    assert len(receiver.rejected) == 1 and receiver.received == 0
