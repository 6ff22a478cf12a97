"""The OpenAPI 3.1 description of the notifications API (served at ``GET /openapi.json``).

Every HTTP route of the service is here; a service test checks that, and checks answers against
these schemas.
"""

from __future__ import annotations

from typing import Any

from services.notifications.web.openapi_components import components, ref

SUBSCRIPTION = "/api/subscriptions/{subscription_id}"
_AGENCY: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def _param(name: str, where: str = "path", **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema or {"type": "string"},
    }


_PAGE = [
    _param("limit", "query", type="integer", minimum=1, maximum=200),
    _param("cursor", "query"),
]


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): _json(ref("Error"), "error") for status in statuses}


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(name)}}}


def _agency_call(summary: str, responses: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"summary": summary, "security": _AGENCY, "responses": responses, **more}


def document(server_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Participation hub: notifications",
            "version": "1",
            "description": "Agencies subscribe webhook endpoints to petition events; deliveries "
            "are signed (Standard Webhooks v1) CloudEvents 1.0 in structured JSON mode. Citizens "
            "ask for their signature's confirmation by e-mail with their receipt; petition "
            "authors register an address for their petition's notices with their author key.",
        },
        "servers": [{"url": server_url}],
        "paths": {**_subscription_paths(), **_delivery_paths(), **_other_paths()},
        "components": components(),
    }


def _subscription_paths() -> dict[str, Any]:
    sub = _json(ref("Subscription"), "the subscription")
    return {
        "/api/subscriptions": {
            "post": _agency_call(
                "Subscribe a webhook endpoint (the answer shows its secret once)",
                {
                    "201": _json(ref("CreatedSubscription"), "created"),
                    **_errors(400, 401, 403, 413, 415),
                },
                requestBody=_body("NewSubscription"),
            ),
            "get": _agency_call(
                "The agency's subscriptions, oldest first, a page at a time",
                {"200": _json(ref("SubscriptionPage"), "a page"), **_errors(400, 401, 403)},
                parameters=_PAGE,
            ),
        },
        SUBSCRIPTION: {
            "parameters": [_param("subscription_id")],
            "get": _agency_call(
                "One of the agency's subscriptions", {"200": sub, **_errors(401, 403, 404)}
            ),
            "delete": _agency_call(
                "Unsubscribe (pending deliveries are cancelled)",
                {"204": {"description": "deleted"}, **_errors(401, 403, 404)},
            ),
        },
        f"{SUBSCRIPTION}/pause": {
            "parameters": [_param("subscription_id")],
            "post": _agency_call(
                "Hold deliveries; new messages still queue and go out on resume",
                {"200": sub, **_errors(401, 403, 404, 409)},
            ),
        },
        f"{SUBSCRIPTION}/resume": {
            "parameters": [_param("subscription_id")],
            "post": _agency_call(
                "Deliver again (also after an automatic disable)",
                {"200": sub, **_errors(401, 403, 404)},
            ),
        },
        f"{SUBSCRIPTION}/secret/rotate": {
            "parameters": [_param("subscription_id")],
            "post": _agency_call(
                "A new secret; for 24 h webhook-signature carries both signatures",
                {"200": _json(ref("RotatedSecret"), "the new secret"), **_errors(401, 403, 404)},
            ),
        },
    }


def _delivery_paths() -> dict[str, Any]:
    return {
        f"{SUBSCRIPTION}/deliveries": {
            "parameters": [_param("subscription_id")],
            "get": _agency_call(
                "The delivery log, newest first: each attempt's time, status, duration, excerpt",
                {"200": _json(ref("DeliveryPage"), "a page"), **_errors(400, 401, 403, 404)},
                parameters=_PAGE,
            ),
        },
        f"{SUBSCRIPTION}/messages/{{message_id}}/redeliver": {
            "parameters": [_param("subscription_id"), _param("message_id")],
            "post": _agency_call(
                "Send one message again (same webhook-id), with a fresh round of retries",
                {"202": _json(ref("Redelivery"), "queued"), **_errors(401, 403, 404)},
            ),
        },
        f"{SUBSCRIPTION}/recover": {
            "parameters": [_param("subscription_id")],
            "post": _agency_call(
                "Send again every message since a time that failed or was never sent",
                {"202": _json(ref("Recovered"), "queued"), **_errors(400, 401, 403, 404, 409)},
                requestBody=_body("Recovery"),
            ),
        },
    }


def _other_paths() -> dict[str, Any]:
    token = [_param("token")]
    return {
        "/api/event-types": {
            "get": {
                "summary": "The event catalogue, with the JSON Schema of each event's data",
                "responses": {"200": _json(ref("EventTypes"), "the catalogue")},
            }
        },
        "/api/dead-letters": {
            "get": {
                "summary": "Operators: bus messages the service could not handle, newest first",
                "security": _AGENCY,
                "parameters": _PAGE,
                "responses": {
                    "200": _json(ref("DeadLetterPage"), "a page"),
                    **_errors(400, 401, 403),
                },
            }
        },
        "/api/signature-emails": {
            "post": {
                "summary": "A citizen asks for their signature's confirmation (and, if they "
                "wish, the outcome) by e-mail; the receipt is the proof, no token needed",
                "requestBody": _body("SignatureEmailRequest"),
                "responses": {
                    "202": _json(ref("SignatureEmailQueued"), "queued"),
                    **_errors(400, 409, 413, 415),
                    "404": {
                        **_json(ref("Error"), "unknown receipt (perhaps not yet: see Retry-After)"),
                        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                    },
                },
            }
        },
        "/api/author-emails": {
            "post": {
                "summary": "A petition's author gives an address for its notices (published, "
                "rejected, thresholds); the author key is the proof, no token needed. Registering "
                "again replaces the address",
                "requestBody": _body("AuthorEmailRequest"),
                "responses": {
                    "202": _json(ref("AuthorEmailRegistered"), "registered"),
                    **_errors(400, 409, 413, 415),
                    "404": {
                        **_json(
                            ref("Error"),
                            "unknown petition or wrong key (perhaps not yet: see Retry-After)",
                        ),
                        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                    },
                },
            }
        },
        "/unsubscribe/{token}": {
            "parameters": token,
            "get": {
                "summary": "A page confirming the unsubscription",
                # 400: parameters with NUL or broken Unicode are refused at the edge (shared.web)
                "responses": {"200": _html("page"), **_errors(400)},
            },
            "post": {
                "summary": "RFC 8058 one-click unsubscribe (no cookie, no login)",
                "requestBody": {
                    "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}
                },
                "responses": {"200": _html("unsubscribed"), **_errors(400)},
            },
        },
        "/healthz": {"get": {"summary": "Alive", "responses": {"200": _json(ref("Health"), "ok")}}},
        "/readyz": {
            "get": {
                "summary": "Database and broker reachable",
                "responses": {
                    "200": _json(ref("Health"), "ready"),
                    "503": _json(ref("Health"), "unavailable"),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1")},
            }
        },
    }
