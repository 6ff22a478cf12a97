"""The notifications service: agencies' webhook subscriptions and citizens' and authors' e-mail,
fed by the petitions events.

Entrypoints only: the HTTP ones here and in :mod:`.web` (agencies, citizens); each parses its
input with a schema and calls one handler of :mod:`.webhooks` or :mod:`.mail`; the loops and the
fan-out desk are in :mod:`.dependencies`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from services.notifications.dependencies import DeliveryLoop, FanOutDesk, MailLoop
from services.notifications.mail.commands import NotifyAuthor
from services.notifications.mail.domain.errors import InvalidEvent as InvalidMailEvent
from services.notifications.mail.handlers import authors, citizens
from services.notifications.mail.handlers.authors import AUTHOR_MAIL
from services.notifications.mail.handlers.citizens import CITIZEN_MAIL
from services.notifications.mail.schemas import bus
from services.notifications.web import openapi
from services.notifications.web.agencies import SubscriptionEndpoints
from services.notifications.web.citizens import CitizenMailEndpoints
from services.notifications.web.errors import translated
from services.notifications.webhooks import schemas
from services.notifications.webhooks.domain import (
    SOURCE_SERVICE,
    TRANSPARENCY_SERVICE,
    InvalidEvent,
    operator_of,
)
from services.notifications.webhooks.handlers import dead_letters
from services.notifications.webhooks.handlers.fan_out import FAN_OUT
from shared.bus import event_handler
from shared.consumers import consume
from shared.dependencies import AccessTokens, Config, Correlation, Database
from shared.envelope import Envelope
from shared.health import HealthEndpoints
from shared.metrics import EntrypointMetrics
from shared.revocation import TOKENS_REVOKED, record_revocations
from shared.web import bearer_token, http, json_response

log = logging.getLogger(__name__)

REVOCATION_CONSUMER = "notifications.revocations"
# Events these fail on are malformed (dead-lettered with a warning, not a stack trace).
INVALID_EVENTS = (InvalidEvent, InvalidMailEvent)


def _on(event_type: str) -> Any:
    # requeue_on_error: only transient failures reach nameko (see shared.consumers); the inbox
    # makes the redelivery harmless.
    return event_handler(SOURCE_SERVICE, event_type, requeue_on_error=True)


class NotificationsService(HealthEndpoints, SubscriptionEndpoints, CitizenMailEndpoints):
    name = "notifications"

    db = Database()
    config = Config()
    correlation = Correlation()
    tokens = AccessTokens()
    metrics = EntrypointMetrics()
    deliveries = DeliveryLoop()
    fan_out = FanOutDesk()
    mails = MailLoop()

    @http("GET", "/api/event-types")
    def event_types(self, request: Request) -> Response:
        return json_response(schemas.event_types_view())

    @http("GET", "/api/dead-letters")
    @translated
    def dead_letters(self, request: Request) -> Response:
        operator_of(self.tokens.claims(bearer_token(request)))
        limit = schemas.page_limit(request.args.get("limit"))
        before = schemas.id_cursor(request.args.get("cursor"))
        page = dead_letters.dead_letters(self.db, limit, before)
        return json_response(schemas.dead_letters_view(page))

    @http("GET", "/openapi.json")
    def openapi(self, request: Request) -> Response:
        return json_response(openapi.document(self.config.public_url(self.name)))

    # Petition events, forwarded to the agencies that subscribed

    @_on("petition.published")
    def on_petition_published(self, body: Any) -> None:
        self._fan_out("petition.published", body)

    @_on("petition.rejected")
    def on_petition_rejected(self, body: Any) -> None:
        self._fan_out("petition.rejected", body)

    @_on("petition.signature_count_changed")
    def on_signature_count_changed(self, body: Any) -> None:
        self._fan_out("petition.signature_count_changed", body)

    @_on("petition.threshold_reached")
    def on_threshold_reached(self, body: Any) -> None:
        self._fan_out("petition.threshold_reached", body)

    @_on("petition.closed")
    def on_petition_closed(self, body: Any) -> None:
        self._fan_out("petition.closed", body)

    # The transparency log's checkpoints, forwarded like the petition events

    @event_handler(TRANSPARENCY_SERVICE, "transparency.checkpoint_published", requeue_on_error=True)
    def on_checkpoint_published(self, body: Any) -> None:
        self._fan_out("transparency.checkpoint_published", body)

    def _fan_out(self, routing_key: str, body: Any) -> None:
        def apply() -> int:
            envelope = self._observed(schemas.received(routing_key, body))
            return self.fan_out.accept(schemas.public_event(envelope))

        if self._consume(FAN_OUT, routing_key, body, apply):
            self.deliveries.wake()

    # Identity's revocations: the deny-list of access tokens (shared/denylist.py)

    @event_handler("identity", TOKENS_REVOKED, requeue_on_error=True)
    def on_tokens_revoked(self, body: Any) -> None:
        def apply() -> int:
            return record_revocations(
                self.db, REVOCATION_CONSUMER, body, self.name, int(time.time())
            )

        if self._consume(REVOCATION_CONSUMER, TOKENS_REVOKED, body, apply):
            self.tokens.refresh_now()

    # Petition events that concern citizens' e-mail

    # NOTE: one receipt per event, as petitions published them before signatures were batched;
    # kept so that events queued across an upgrade are still read.
    @_on("petition.signature_recorded")
    def on_signature_recorded(self, body: Any) -> None:
        parse, handle = bus.receipt_recorded, citizens.record_receipts
        self._mail(CITIZEN_MAIL, "petition.signature_recorded", body, parse, handle)

    @_on("petition.signatures_recorded")
    def on_signatures_recorded(self, body: Any) -> None:
        parse, handle = bus.receipts_recorded, citizens.record_receipts
        self._mail(CITIZEN_MAIL, "petition.signatures_recorded", body, parse, handle)

    @_on("petition.signature_withdrawn")
    def on_signature_withdrawn(self, body: Any) -> None:
        parse, handle = bus.signature_withdrawn, citizens.forget_signature
        self._mail(CITIZEN_MAIL, "petition.signature_withdrawn", body, parse, handle)

    @_on("petition.closed")
    def on_petition_closed_mail(self, body: Any) -> None:
        parse, handle = bus.petition_closed, citizens.petition_closed
        if self._mail(CITIZEN_MAIL, "petition.closed", body, parse, handle, self.mails.letters):
            self.mails.wake()

    @_on("petition.withdrawn")
    def on_petition_withdrawn(self, body: Any) -> None:
        parse, handle = bus.petition_withdrawn, citizens.petition_withdrawn
        self._mail(CITIZEN_MAIL, "petition.withdrawn", body, parse, handle)

    # Petition events that concern authors' e-mail

    @_on("petition.submitted")
    def on_petition_submitted(self, body: Any) -> None:
        parse, handle = bus.petition_submitted, authors.record_author_key
        self._mail(AUTHOR_MAIL, "petition.submitted", body, parse, handle)

    @_on("petition.published")
    def on_petition_published_author(self, body: Any) -> None:
        self._author_notice("petition.published", body, bus.petition_published)

    @_on("petition.rejected")
    def on_petition_rejected_author(self, body: Any) -> None:
        self._author_notice("petition.rejected", body, bus.petition_rejected)

    @_on("petition.threshold_reached")
    def on_threshold_reached_author(self, body: Any) -> None:
        self._author_notice("petition.threshold_reached", body, bus.threshold_reached)

    @_on("petition.closed")
    def on_petition_closed_author(self, body: Any) -> None:
        parse, handle = bus.petition_ended, authors.petition_ended
        self._mail(AUTHOR_MAIL, "petition.closed", body, parse, handle)

    @_on("petition.withdrawn")
    def on_petition_withdrawn_author(self, body: Any) -> None:
        parse, handle = bus.petition_ended, authors.petition_ended
        self._mail(AUTHOR_MAIL, "petition.withdrawn", body, parse, handle)

    @_on("petition.hidden")
    def on_petition_hidden_author(self, body: Any) -> None:
        parse, handle = bus.petition_ended, authors.petition_ended
        self._mail(AUTHOR_MAIL, "petition.hidden", body, parse, handle)

    def _author_notice(
        self, routing_key: str, body: Any, parse: Callable[[Envelope], NotifyAuthor]
    ) -> None:
        if self._mail(AUTHOR_MAIL, routing_key, body, parse, authors.notify, self.mails.letters):
            self.mails.wake()

    def _mail(
        self,
        consumer: str,
        routing_key: str,
        body: Any,
        parse: Callable[[Envelope], Any],
        handle: Callable[..., Any],
        *ports: Any,
    ) -> Any:
        """The event parsed into its command, handled once (the inbox); what the handler says."""

        def apply() -> Any:
            command = parse(self._observed(bus.received(routing_key, body)))
            return handle(self.db, command, *ports)

        return self._consume(consumer, routing_key, body, apply)

    def _consume(self, consumer: str, routing_key: str, body: Any, apply: Callable[[], Any]) -> Any:
        """The hub's consumer failure policy (shared.consumers), with this service's invalid
        events."""
        return consume(self.db, consumer, routing_key, body, apply, invalid=INVALID_EVENTS)

    def _observed(self, envelope: Envelope) -> Envelope:
        self.metrics.observe_event_lag(envelope.type, envelope.time)
        return envelope
