"""The notifications service: agencies' webhook subscriptions and citizens' e-mail, fed by the
petitions events.

Entrypoints only (the HTTP ones in :mod:`web_agencies` and :mod:`web_citizens`); the rules are
in :mod:`domain`, :mod:`receipts` and :mod:`authors`, the use cases in :mod:`handlers`,
:mod:`consumers`, :mod:`mail` and :mod:`author_mail`, the sending in :mod:`delivery` and
:mod:`mailer`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from services.notifications.dependencies import DeliveryLoop
from services.notifications.fan_out import FanOutDesk
from services.notifications.mail.adapters.smtp import MailLoop
from services.notifications.mail.handlers import authors as author_mail
from services.notifications.mail.handlers import citizens as mail
from services.notifications.mail.handlers.authors import AUTHOR_MAIL
from services.notifications.mail.handlers.citizens import CITIZEN_MAIL
from services.notifications.web import openapi
from services.notifications.web.agencies import SubscriptionEndpoints
from services.notifications.web.citizens import CitizenMailEndpoints
from services.notifications.web.errors import InvalidEvent, translated
from services.notifications.webhooks import schemas
from services.notifications.webhooks.domain.catalogue import SOURCE_SERVICE, public_data
from services.notifications.webhooks.domain.delivery import operator_of
from services.notifications.webhooks.handlers import subscriptions as handlers
from services.notifications.webhooks.handlers.fan_out import FAN_OUT, consume
from shared.bus import event_handler
from shared.dependencies import AccessTokens, Config, Correlation, Database
from shared.envelope import Envelope
from shared.health import HealthEndpoints
from shared.metrics import EntrypointMetrics
from shared.revocation import TOKENS_REVOKED, record_revocations
from shared.web import bearer_token, http, json_response

log = logging.getLogger(__name__)

REVOCATION_CONSUMER = "notifications.revocations"


def _on(event_type: str) -> Any:
    # requeue_on_error: only transient failures reach nameko (see consumers.consume); the inbox
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
        page = handlers.dead_letters(self.db, limit, schemas.id_cursor(request.args.get("cursor")))
        cursor = str(page.rows[-1].id) if page.more else None
        views = [schemas.dead_letter_view(r) for r in page.rows]
        return json_response({"dead_letters": views, "next_cursor": cursor})

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

    def _fan_out(self, routing_key: str, body: Any) -> None:
        def apply() -> int:
            envelope = _envelope(routing_key, body)
            self.metrics.observe_event_lag(envelope.type, envelope.time)
            return self.fan_out.accept((envelope, public_data(envelope.type, envelope.payload)))

        if consume(self.db, FAN_OUT, routing_key, body, apply):
            self.deliveries.wake()

    # Identity's revocations: the deny-list of access tokens (shared/denylist.py)

    @event_handler("identity", TOKENS_REVOKED, requeue_on_error=True)
    def on_tokens_revoked(self, body: Any) -> None:
        def apply() -> int:
            return record_revocations(
                self.db, REVOCATION_CONSUMER, body, self.name, int(time.time())
            )

        if consume(self.db, REVOCATION_CONSUMER, TOKENS_REVOKED, body, apply):
            self.tokens.refresh_now()

    # Petition events that concern citizens' e-mail

    # NOTE: one receipt per event, as petitions published them before signatures were batched;
    # kept so that events queued across an upgrade are still read.
    @_on("petition.signature_recorded")
    def on_signature_recorded(self, body: Any) -> None:
        self._citizen_mail("petition.signature_recorded", body, mail.record_receipt)

    @_on("petition.signatures_recorded")
    def on_signatures_recorded(self, body: Any) -> None:
        self._citizen_mail("petition.signatures_recorded", body, mail.record_receipts)

    @_on("petition.signature_withdrawn")
    def on_signature_withdrawn(self, body: Any) -> None:
        self._citizen_mail("petition.signature_withdrawn", body, mail.forget_signature)

    @_on("petition.closed")
    def on_petition_closed_mail(self, body: Any) -> None:
        def closed(uow: Any, envelope: Envelope) -> int:
            return mail.petition_closed(uow, envelope, self.mails.context)

        if self._citizen_mail("petition.closed", body, closed):
            self.mails.wake()

    @_on("petition.withdrawn")
    def on_petition_withdrawn(self, body: Any) -> None:
        self._citizen_mail("petition.withdrawn", body, mail.petition_withdrawn)

    # Petition events that concern authors' e-mail

    @_on("petition.submitted")
    def on_petition_submitted(self, body: Any) -> None:
        self._author_mail("petition.submitted", body, author_mail.record_author_key)

    @_on("petition.published")
    def on_petition_published_author(self, body: Any) -> None:
        self._author_notice("petition.published", body, author_mail.published)

    @_on("petition.rejected")
    def on_petition_rejected_author(self, body: Any) -> None:
        self._author_notice("petition.rejected", body, author_mail.rejected)

    @_on("petition.threshold_reached")
    def on_threshold_reached_author(self, body: Any) -> None:
        self._author_notice("petition.threshold_reached", body, author_mail.threshold_reached)

    @_on("petition.closed")
    def on_petition_closed_author(self, body: Any) -> None:
        self._author_mail("petition.closed", body, author_mail.petition_ended)

    @_on("petition.withdrawn")
    def on_petition_withdrawn_author(self, body: Any) -> None:
        self._author_mail("petition.withdrawn", body, author_mail.petition_ended)

    @_on("petition.hidden")
    def on_petition_hidden_author(self, body: Any) -> None:
        self._author_mail("petition.hidden", body, author_mail.petition_ended)

    def _author_notice(
        self, routing_key: str, body: Any, notify: Callable[[Any, Envelope, Any], int]
    ) -> None:
        def apply(uow: Any, envelope: Envelope) -> int:
            return notify(uow, envelope, self.mails.context)

        if self._author_mail(routing_key, body, apply):
            self.mails.wake()

    def _citizen_mail(
        self, routing_key: str, body: Any, apply: Callable[[Any, Envelope], Any]
    ) -> Any:
        return self._consume(CITIZEN_MAIL, routing_key, body, apply)

    def _author_mail(
        self, routing_key: str, body: Any, apply: Callable[[Any, Envelope], Any]
    ) -> Any:
        return self._consume(AUTHOR_MAIL, routing_key, body, apply)

    def _consume(
        self, consumer: str, routing_key: str, body: Any, apply: Callable[[Any, Envelope], Any]
    ) -> Any:
        return consume(
            self.db,
            consumer,
            routing_key,
            body,
            lambda: apply(self.db, self._received(routing_key, body)),
        )

    def _received(self, routing_key: str, body: Any) -> Envelope:
        envelope = _envelope(routing_key, body)
        self.metrics.observe_event_lag(envelope.type, envelope.time)
        return envelope


def _envelope(routing_key: str, body: Any) -> Envelope:
    envelope = Envelope.from_dict(body)
    if envelope.type != routing_key:
        raise InvalidEvent(f"an event of type {envelope.type!r} arrived as {routing_key!r}")
    return envelope
