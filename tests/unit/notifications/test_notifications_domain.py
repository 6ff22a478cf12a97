"""The pure rules of webhook delivery: signatures, retries, target checks, the CloudEvent."""

from __future__ import annotations

import base64
import json
import random
import time

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from services.notifications.webhooks import domain
from services.notifications.webhooks.domain import (
    CATALOGUE,
    AttemptResult,
    InsufficientScope,
    InvalidEvent,
    InvalidRequest,
    public_data,
)


def _headers(secret: str, message_id: str, body: str) -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": domain.sign(secret, message_id, timestamp, body),
    }


def test_signature_verifies_with_the_standard_webhooks_library() -> None:
    secret = domain.new_secret()
    body = '{"data":{"petition_id":"p-1"},"note":"é"}'
    assert Webhook(secret).verify(body, _headers(secret, "msg_1", body)) == json.loads(body)


def test_signature_does_not_verify_a_tampered_body_or_another_secret() -> None:
    secret = domain.new_secret()
    headers = _headers(secret, "msg_1", '{"count":1}')
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify('{"count":2}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(domain.new_secret()).verify('{"count":1}', headers)


def test_secrets_are_whsec_base64_of_enough_random_bytes() -> None:
    first, second = domain.new_secret(), domain.new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) >= 24


@pytest.mark.parametrize(
    ("attempts_made", "expected"),
    [(1, 5), (2, 300), (3, 1800), (4, 7200), (5, 18000), (6, 36000), (7, 36000)],
)
def test_retries_follow_the_svix_schedule_with_jitter(attempts_made: int, expected: int) -> None:
    delays = {domain.retry_delay(attempts_made, random.Random(seed)) for seed in range(20)}
    assert all(expected * 0.9 <= d <= expected * 1.1 for d in delays)  # type: ignore[operator]
    assert len(delays) > 1  # jittered


def test_no_retry_after_the_eighth_attempt() -> None:
    assert domain.MAX_ATTEMPTS == 8
    assert domain.retry_delay(8) is None
    failed = domain.decide(8, AttemptResult(domain.HTTP_ERROR, 5, status_code=500))
    assert failed.status == domain.FAILED and failed.retry_in is None


def test_success_ends_the_delivery_and_failures_are_retried() -> None:
    assert domain.decide(1, AttemptResult(domain.SUCCESS, 5, 204)).status == domain.SUCCEEDED
    for result in (
        AttemptResult(domain.HTTP_ERROR, 5, 500),
        AttemptResult(domain.HTTP_ERROR, 5, 302),  # redirects are failures
        AttemptResult(domain.TIMEOUT, 15000),
        AttemptResult(domain.CONNECTION_ERROR, 1),
    ):
        decision = domain.decide(1, result)
        assert decision.status == domain.PENDING and 4.5 <= decision.retry_in <= 5.5  # type: ignore[operator]


def test_gone_disables_the_subscription() -> None:
    decision = domain.decide(1, AttemptResult(domain.HTTP_ERROR, 5, 410))
    assert decision.status == domain.FAILED and decision.disable_subscription


def test_retry_after_is_honoured_when_throttled() -> None:
    decision = domain.decide(1, AttemptResult(domain.HTTP_ERROR, 5, 429, retry_after=600))
    assert decision.retry_in is not None and decision.retry_in >= 600
    plain = domain.decide(1, AttemptResult(domain.HTTP_ERROR, 5, 500, retry_after=600))
    assert plain.retry_in is not None and plain.retry_in < 10


def test_redirect_statuses_are_failures() -> None:
    assert domain.outcome_of(200) == domain.outcome_of(299) == domain.SUCCESS
    assert domain.outcome_of(301) == domain.outcome_of(410) == domain.HTTP_ERROR


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.10",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "fd00:ec2::254",
        # IPv6 forms that reach an IPv4 address through a translator (security finding F6)
        "64:ff9b::a9fe:a9fe",  # NAT64 -> 169.254.169.254
        "64:ff9b::a00:1",  # NAT64 -> 10.0.0.1
        "64:ff9b:1::a9fe:a9fe",  # local-use NAT64
        "2002:7f00:1::",  # 6to4 -> 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 -> 169.254.169.254
        "::127.0.0.1",  # IPv4-compatible
        "::ffff:0:7f00:1",  # IPv4-translated (SIIT)
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo, client 192.0.2.45
        "fec0::1",  # site-local
        "4000::1",  # outside global unicast 2000::/3
    ],
)
def test_non_public_addresses_are_forbidden(address: str) -> None:
    assert domain.is_forbidden_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "93.184.216.34",
        "2606:4700:4700::1111",
        "64:ff9b::808:808",  # NAT64 to a public IPv4 address: an IPv4-only agency, reached
        "2002:808:808::1",  # 6to4 of a public address
    ],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert not domain.is_forbidden_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/x",
        "https://",
        "http:///path",
        "https://user:pw@example.org/",
        "not a url",
        "https://example.org:99999/",
        42,
        "",
    ],
)
def test_unusable_urls_are_refused(url: object) -> None:
    with pytest.raises(InvalidRequest):
        domain.parse_target(url, require_https=False)


def test_production_requires_https() -> None:
    with pytest.raises(InvalidRequest):
        domain.parse_target("http://example.org/hook", require_https=True)
    target = domain.parse_target("https://Example.org/hook", require_https=True)
    assert (target.scheme, target.host, target.port) == ("https", "example.org", 443)


def test_cloud_event_has_the_required_attributes_and_our_type_prefix() -> None:
    event = domain.cloud_event(
        "evt-1",
        "petition.closed",
        "2026-01-01T00:00:00Z",
        "p-1",
        {"petition_id": "p-1", "signature_count": 3},
    )
    assert event == {
        "specversion": "1.0",
        "id": "evt-1",
        "source": "urn:participation-hub:petitions",
        "type": "fr.participation-hub.petition.closed",
        "time": "2026-01-01T00:00:00Z",
        "subject": "p-1",
        "datacontenttype": "application/json",
        "data": {"petition_id": "p-1", "signature_count": 3},
    }
    assert json.loads(domain.serialize(event)) == event


def test_public_data_drops_fields_outside_the_schema() -> None:
    payload = {"petition_id": "p-1", "signature_count": 4, "citizen_sub": "secret-person"}
    assert public_data("petition.signature_count_changed", payload) == {
        "petition_id": "p-1",
        "signature_count": 4,
    }


@pytest.mark.parametrize(
    ("event_type", "payload"),
    [
        ("petition.closed", {"signature_count": 3}),
        ("petition.closed", {"petition_id": "p", "signature_count": "3"}),
        ("petition.closed", {"petition_id": "p", "signature_count": True}),
        ("petition.threshold_reached", {"petition_id": "p", "threshold": 0, "signature_count": 1}),
        ("petition.signed", {"petition_id": "p"}),
    ],
)
def test_events_outside_the_catalogue_or_its_schemas_are_invalid(
    event_type: str, payload: dict
) -> None:
    with pytest.raises(InvalidEvent):
        public_data(event_type, payload)


def test_every_catalogue_entry_has_a_closed_json_schema() -> None:
    assert set(CATALOGUE) == {
        "petition.published",
        "petition.rejected",
        "petition.signature_count_changed",
        "petition.threshold_reached",
        "petition.closed",
        "transparency.checkpoint_published",
    }
    for spec in CATALOGUE.values():
        schema = spec.schema()
        assert spec.subject in schema["required"] and schema["additionalProperties"] is False


def test_a_checkpoint_event_is_about_the_log_not_a_petition() -> None:
    from services.notifications.webhooks.domain import event_subject

    data = {"origin": "hub.example.org/tlog", "size": 3, "root_hash": "A" * 44, "checkpoint": "x"}
    assert public_data("transparency.checkpoint_published", {**data, "extra": 1}) == data
    assert event_subject("transparency.checkpoint_published", data) == "hub.example.org/tlog"
    with pytest.raises(InvalidEvent):
        public_data("transparency.checkpoint_published", {**data, "size": -1})


def test_agency_needs_the_subscribe_scope_and_is_its_client() -> None:
    with pytest.raises(InsufficientScope):
        domain.agency_of({"sub": "s", "client_id": "c", "scope": "petitions:read"})
    assert domain.agency_of({"sub": "s", "client_id": "c", "scope": "events:subscribe"}) == "c"
    assert domain.agency_of({"sub": "s", "scope": "petitions:read events:subscribe"}) == "s"


def test_subscription_filter() -> None:
    assert domain.wants(None, "petition.closed")
    assert domain.wants(["petition.closed"], "petition.closed")
    assert not domain.wants(["petition.published"], "petition.closed")
