"""Pure rules added for subscription health, fairness, rotation and citizen e-mail."""

from __future__ import annotations

import email
import email.policy
import smtplib
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook

from services.notifications.mail.adapters.smtp import SmtpServer, SmtpUrlError, permanent
from services.notifications.mail.domain.errors import InvalidEvent, InvalidRequest
from services.notifications.mail.domain.receipts import Receipt, receipt_hash
from services.notifications.mail.schemas import citizen_letters
from services.notifications.mail.schemas import message as mail_message
from services.notifications.mail.schemas.bus import recorded_receipt
from services.notifications.mail.schemas.requests import signature_email_request
from services.notifications.webhooks import domain
from services.notifications.webhooks.adapters.limits import SubscriptionLimits
from services.notifications.webhooks.adapters.sender import printable_excerpt, retry_after_seconds
from services.notifications.webhooks.domain import AttemptResult
from shared.consumers import is_transient
from shared.ratelimit import TokenBucket

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_overload_answers_throttle_the_whole_subscription(status: int) -> None:
    decision = domain.decide(1, AttemptResult(domain.HTTP_ERROR, 5, status, retry_after=60))
    assert decision.throttle_for == 60 and decision.retry_in == 60
    plain = domain.decide(1, AttemptResult(domain.HTTP_ERROR, 5, 500, retry_after=60))
    assert plain.throttle_for is None and plain.retry_in < 10  # type: ignore[operator]


def test_a_throttle_without_retry_after_follows_the_schedule_and_is_capped() -> None:
    assert domain.decide(2, AttemptResult(domain.HTTP_ERROR, 5, 502)).throttle_for >= 270  # type: ignore[operator]
    huge = domain.decide(1, AttemptResult(domain.HTTP_ERROR, 5, 429, retry_after=10**9))
    assert huge.throttle_for == domain.MAX_RETRY_AFTER_SECONDS


def test_the_last_failure_is_exhausted() -> None:
    assert domain.decide(8, AttemptResult(domain.TIMEOUT, 5)).exhausted
    assert not domain.decide(7, AttemptResult(domain.TIMEOUT, 5)).exhausted


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Sun, 01 Mar 2026 12:01:00 GMT", NOW) == 60.0
    assert retry_after_seconds("Sun, 01 Mar 2026 11:00:00 GMT", NOW) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_five_days_of_failure_is_too_long() -> None:
    assert domain.failing_too_long(NOW - timedelta(days=5), NOW)
    assert not domain.failing_too_long(NOW - timedelta(days=4, hours=23), NOW)
    assert not domain.failing_too_long(None, NOW)


def test_both_secrets_sign_during_the_rotation_window_only() -> None:
    old, new = domain.new_secret(), domain.new_secret()
    during = domain.signing_secrets(new, old, NOW + timedelta(hours=1), NOW)
    assert during == [new, old]
    assert domain.signing_secrets(new, old, NOW - timedelta(seconds=1), NOW) == [new]
    timestamp = int(time.time())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(timestamp),
        "webhook-signature": domain.signature_header(during, "msg_1", timestamp, "{}"),
    }
    for secret in (old, new):  # the standard verifier accepts any listed signature
        assert Webhook(secret).verify("{}", headers) == {}


def test_operators_need_the_moderation_scope() -> None:
    assert domain.operator_of({"sub": "op", "scope": "petitions:moderate"}) == "op"
    with pytest.raises(Exception, match="petitions:moderate"):
        domain.operator_of({"sub": "a", "scope": "events:subscribe"})


def test_a_token_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket.full(2, 2, clock())  # a subscription's: 2 a second, bursts of 2
    assert bucket.take(clock()) and bucket.take(clock()) and not bucket.take(clock())
    clock.now = 0.5
    assert bucket.take(clock()) and not bucket.take(clock())


def test_a_subscription_cannot_hold_more_than_its_share_of_the_pool() -> None:
    limits = SubscriptionLimits(pool_size=6, max_in_flight=3, clock=Clock())
    # beyond its 3, only while more than 3 slots stay free for the others
    assert [limits.admit("busy", 100) for _ in range(5)] == [True, True, True, False, False]
    assert limits.blocked() == ["busy"] and limits.admit("other", 100)
    limits.release("busy")
    assert "busy" not in limits.blocked() and limits.admit("busy", 100)


def test_a_subscription_alone_with_work_uses_the_pool_but_its_reserve() -> None:
    limits = SubscriptionLimits(pool_size=50, max_in_flight=10, clock=Clock())
    admitted = sum(limits.admit("backlogged", 1000) for _ in range(50))
    assert admitted == 40 and limits.blocked() == ["backlogged"]
    assert all(limits.admit(f"agency-{i}", 1000) for i in range(10))  # the reserve
    for _ in range(40):
        limits.release("backlogged")
    limits.release("backlogged")  # more releases than sends change nothing
    assert limits.total_in_flight == 10 and limits.admit("backlogged", 1000)


def test_a_rate_limited_subscription_is_left_out_of_claims() -> None:
    clock = Clock()
    limits = SubscriptionLimits(clock=clock)
    assert limits.admit("slow", 1) and not limits.admit("slow", 1)
    limits.release("slow")
    assert limits.blocked() == ["slow"]
    clock.now = 1.0
    assert limits.blocked() == []


def test_excerpts_are_short_and_printable() -> None:
    text = printable_excerpt(b"\x00ok\x1b[31m" + b"x" * 5000)
    assert len(text) == 1024 and "\x00" not in text and "\x1b" not in text
    assert printable_excerpt("é\n".encode()) == "é\n"


def test_only_infrastructure_failures_are_transient() -> None:
    assert is_transient(sa.exc.OperationalError("x", {}, Exception("connection lost")))
    assert is_transient(ConnectionResetError())
    assert not is_transient(sa.exc.DataError("x", {}, Exception("value too long")))
    assert not is_transient(KeyError("bug"))


def _receipt() -> dict[str, str]:
    values = {"signature_id": "s-1", "petition_id": "p-1", "signed_at": "2026-03-01T10:00:00Z"}
    return {**values, "hash": receipt_hash("p-1", "s-1", "2026-03-01T10:00:00Z")}


def test_receipts_from_the_bus_must_carry_their_own_hash() -> None:
    assert recorded_receipt(_receipt()).signature_id == "s-1"
    with pytest.raises(InvalidEvent):
        recorded_receipt({**_receipt(), "signed_at": "2026-03-01T10:00:01Z"})


@pytest.mark.parametrize(
    "address", ["a@b", "a b@c.fr", "a@c.fr\n", "<a@c.fr>", "a@c.fr, b@d.fr", "x" * 250 + "@c.fr"]
)
def test_only_plain_addresses_are_accepted(address: str) -> None:
    with pytest.raises(InvalidRequest):
        signature_email_request({"receipt": _receipt(), "email": address})


def test_a_signature_email_request_defaults_to_french_without_outcome() -> None:
    request = signature_email_request({"receipt": _receipt(), "email": "Jo@Example.FR"})
    assert (request.locale, request.notify_outcome, request.email) == ("fr", False, "Jo@example.fr")


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_mails_have_text_and_html_and_one_click_unsubscribe(locale: str) -> None:
    context = mail_message.MailContext("https://hub.example.fr")
    receipt = Receipt("s-1", "p-1", "2026-03-01T10:00:00Z", "a" * 64)
    title = mail_message.petition_title(locale, "Vélos\r\nBcc: x@evil.example", "p-1")
    rendered = citizen_letters.confirmation(locale, title, receipt, context.unsubscribe_url("tok"))
    raw = mail_message.message(context, "jo@example.fr", locale, rendered)
    parsed = email.message_from_string(raw, policy=email.policy.default)
    assert parsed["List-Unsubscribe"] == "<https://hub.example.fr/unsubscribe/tok>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Content-Language"] == locale and parsed["Bcc"] is None
    assert parsed["From"].addresses[0].addr_spec == "ne-pas-repondre@hub.example.fr"
    assert "a" * 64 in parsed.get_body(("plain",)).get_content()
    assert "<table>" in parsed.get_body(("html",)).get_content()
    assert raw.isascii()
    french = "Votre signature" in parsed["Subject"]
    assert french == (locale == "fr")


def test_smtp_urls() -> None:
    assert SmtpServer.from_url("smtp://127.0.0.1:1025") == SmtpServer("smtp", "127.0.0.1", 1025)
    tls = SmtpServer.from_url("smtps://user%40x:p%3Ass@mail.example")
    assert (tls.port, tls.username, tls.password) == (465, "user@x", "p:ss")
    with pytest.raises(SmtpUrlError):
        SmtpServer.from_url("http://mail.example")


def test_5xx_smtp_answers_are_permanent() -> None:
    assert permanent(smtplib.SMTPRecipientsRefused({"a@b.fr": (550, b"no such user")}))
    assert not permanent(smtplib.SMTPRecipientsRefused({"a@b.fr": (451, b"try later")}))
    assert not permanent(ConnectionRefusedError())


def test_the_retry_schedule_can_be_scaled_for_fault_runs():
    """HUB_WEBHOOK_RETRY_SCALE multiplies the delay of the next attempt."""
    from services.notifications.webhooks.handlers.attempts import retry_time

    assert retry_time(NOW, 300.0, 1.0) == NOW + timedelta(seconds=300)
    assert retry_time(NOW, 300.0, 0.01) == NOW + timedelta(seconds=3)
    assert retry_time(NOW, None, 0.01) is None
