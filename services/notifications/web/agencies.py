"""HTTP entrypoints of the agencies' subscriptions API (a mixin of the service class)."""

from __future__ import annotations

import functools
from typing import Any

from werkzeug.wrappers import Request, Response

from services.notifications.web.errors import translated
from services.notifications.webhooks import schemas
from services.notifications.webhooks.adapters.sender import ensure_public_target
from services.notifications.webhooks.domain import agency_of
from services.notifications.webhooks.handlers import subscriptions as handlers
from shared.clock import utcnow
from shared.web import bearer_token, http, json_response, read_json

SUBSCRIPTION = "/api/subscriptions/<string:subscription_id>"


class SubscriptionEndpoints:
    db: Any
    config: Any
    tokens: Any
    deliveries: Any

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
        agency = self._agency(request)
        limit = schemas.page_limit(request.args.get("limit"))
        after = schemas.subscription_cursor(request.args.get("cursor"))
        page = handlers.list_subscriptions(self.db, agency, limit, after)
        return json_response(schemas.subscriptions_view(page))

    @http("GET", SUBSCRIPTION)
    @translated
    def get_subscription(self, request: Request, subscription_id: str) -> Response:
        row = handlers.get_subscription(self.db, self._agency(request), subscription_id)
        return json_response(schemas.subscription_view(row))

    @http("DELETE", SUBSCRIPTION)
    @translated
    def delete_subscription(self, request: Request, subscription_id: str) -> Response:
        handlers.delete_subscription(self.db, self._agency(request), subscription_id)
        return Response(status=204)

    @http("POST", f"{SUBSCRIPTION}/pause")
    @translated
    def pause_subscription(self, request: Request, subscription_id: str) -> Response:
        row = handlers.pause_subscription(self.db, self._agency(request), subscription_id)
        return json_response(schemas.subscription_view(row))

    @http("POST", f"{SUBSCRIPTION}/resume")
    @translated
    def resume_subscription(self, request: Request, subscription_id: str) -> Response:
        row = handlers.resume_subscription(self.db, self._agency(request), subscription_id)
        self.deliveries.wake()
        return json_response(schemas.subscription_view(row))

    @http("POST", f"{SUBSCRIPTION}/secret/rotate")
    @translated
    def rotate_secret(self, request: Request, subscription_id: str) -> Response:
        rotated = handlers.rotate_secret(self.db, self._agency(request), subscription_id)
        return json_response(schemas.rotated_secret_view(rotated))

    @http("GET", f"{SUBSCRIPTION}/deliveries")
    @translated
    def list_deliveries(self, request: Request, subscription_id: str) -> Response:
        agency = self._agency(request)
        limit = schemas.page_limit(request.args.get("limit"))
        before = schemas.id_cursor(request.args.get("cursor"))
        found, more = handlers.subscription_deliveries(
            self.db, agency, subscription_id, limit, before
        )
        return json_response(schemas.deliveries_view(found, more))

    @http("POST", f"{SUBSCRIPTION}/messages/<string:message_id>/redeliver")
    @translated
    def redeliver(self, request: Request, subscription_id: str, message_id: str) -> Response:
        handlers.redeliver(self.db, self._agency(request), subscription_id, message_id)
        self.deliveries.wake()
        return json_response({"status": "queued", "message_id": message_id}, status=202)

    @http("POST", f"{SUBSCRIPTION}/recover")
    @translated
    def recover(self, request: Request, subscription_id: str) -> Response:
        agency = self._agency(request)
        since = schemas.recovery_since(read_json(request), utcnow())
        count = handlers.recover(self.db, agency, subscription_id, since)
        self.deliveries.wake()
        return json_response({"status": "queued", "recovered": count}, status=202)

    def _agency(self, request: Request) -> str:
        return agency_of(self.tokens.claims(bearer_token(request)))
