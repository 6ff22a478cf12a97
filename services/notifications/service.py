"""The notifications service: agencies' webhook subscriptions, fed by the petitions events.

Entrypoints only; the rules are in :mod:`domain`, the use cases in :mod:`handlers`, the sending
in :mod:`delivery` and :mod:`webhooks`.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from nameko.events import event_handler
from werkzeug.wrappers import Request, Response

from services.notifications import handlers, openapi, schemas
from services.notifications.delivery import DeliveryLoop
from services.notifications.domain import agency_of
from services.notifications.errors import InvalidEvent, translated
from services.notifications.events import SOURCE_SERVICE, public_data
from services.notifications.webhooks import ensure_public_target
from shared.dependencies import AccessTokens, Config, Correlation, Database
from shared.envelope import Envelope, InvalidEnvelope
from shared.health import HealthEndpoints
from shared.metrics import EntrypointMetrics
from shared.web import bearer_token, http, json_response, read_json

log = logging.getLogger(__name__)


def _on(event_type: str) -> Any:
    # requeue_on_error: a database blip redelivers the event; the inbox makes that harmless.
    return event_handler(SOURCE_SERVICE, event_type, requeue_on_error=True)


class NotificationsService(HealthEndpoints):
    name = "notifications"

    db = Database()
    config = Config()
    correlation = Correlation()
    tokens = AccessTokens()
    metrics = EntrypointMetrics()
    deliveries = DeliveryLoop()

    # Agencies' subscriptions

    @http("POST", "/api/subscriptions")
    @translated
    def create_subscription(self, request: Request) -> Response:
        agency = self._agency(request)
        command = schemas.new_subscription(agency, read_json(request), self.config.production)
        check = functools.partial(
            ensure_public_target, allow_private=self.config.webhook_allow_private
        )
        row = handlers.create_subscription(self.db, command, check)
        return json_response(schemas.created_subscription_view(row), status=201)

    @http("GET", "/api/subscriptions")
    @translated
    def list_subscriptions(self, request: Request) -> Response:
        rows = handlers.list_subscriptions(self.db, self._agency(request))
        return json_response({"subscriptions": [schemas.subscription_view(r) for r in rows]})

    @http("GET", "/api/subscriptions/<string:subscription_id>")
    @translated
    def get_subscription(self, request: Request, subscription_id: str) -> Response:
        row = handlers.get_subscription(self.db, self._agency(request), subscription_id)
        return json_response(schemas.subscription_view(row))

    @http("DELETE", "/api/subscriptions/<string:subscription_id>")
    @translated
    def delete_subscription(self, request: Request, subscription_id: str) -> Response:
        handlers.delete_subscription(self.db, self._agency(request), subscription_id)
        return Response(status=204)

    @http("GET", "/api/subscriptions/<string:subscription_id>/deliveries")
    @translated
    def list_deliveries(self, request: Request, subscription_id: str) -> Response:
        agency = self._agency(request)
        limit = schemas.deliveries_limit(request.args.get("limit"))
        found = handlers.subscription_deliveries(self.db, agency, subscription_id, limit)
        return json_response({"deliveries": [schemas.delivery_view(d, a) for d, a in found]})

    @http("GET", "/api/event-types")
    def event_types(self, request: Request) -> Response:
        return json_response(schemas.event_types_view())

    @http("GET", "/openapi.json")
    def openapi(self, request: Request) -> Response:
        return json_response(openapi.document(self.config.public_url(self.name)))

    def _agency(self, request: Request) -> str:
        return agency_of(self.tokens.claims(bearer_token(request)))

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
        try:
            envelope = Envelope.from_dict(body)
            if envelope.type != routing_key:
                raise InvalidEvent(f"an event of type {envelope.type!r} arrived as {routing_key!r}")
            data = public_data(envelope.type, envelope.payload)
        except (InvalidEnvelope, InvalidEvent) as exc:
            log.warning("dropping an invalid %s event (kept in dead_letters): %s", routing_key, exc)
            handlers.record_dead_letter(self.db, routing_key, body, str(exc))
            return
        if handlers.accept_event(self.db, envelope, data):
            self.deliveries.wake()
