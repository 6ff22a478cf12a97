"""The OpenAPI 3.1 description of the notifications API (served at ``GET /openapi.json``)."""

from __future__ import annotations

from typing import Any

from services.notifications.events import CATALOGUE

_ERROR = {"$ref": "#/components/schemas/Error"}
_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
_AGENCY: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): _json(_ERROR, "error") for status in statuses}


def document(server_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Participation hub: notifications",
            "version": "1",
            "description": "Agencies subscribe webhook endpoints to petition events. "
            "Deliveries are "
            "signed (Standard Webhooks v1) CloudEvents 1.0 in structured JSON mode.",
        },
        "servers": [{"url": server_url}],
        "paths": _paths(),
        "components": _components(),
    }


def _paths() -> dict[str, Any]:
    sub = {"$ref": "#/components/schemas/Subscription"}
    return {
        "/api/subscriptions": {
            "post": {
                "summary": "Subscribe a webhook endpoint (the answer shows its secret once)",
                "security": _AGENCY,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/NewSubscription"}
                        }
                    },
                },
                "responses": {
                    "201": _json({"$ref": "#/components/schemas/CreatedSubscription"}, "created"),
                    **_errors(400, 401, 403, 413, 415),
                },
            },
            "get": {
                "summary": "The agency's subscriptions",
                "security": _AGENCY,
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"subscriptions": {"type": "array", "items": sub}},
                        },
                        "the agency's subscriptions",
                    ),
                    **_errors(401, 403),
                },
            },
        },
        "/api/subscriptions/{id}": {
            "parameters": _ID,
            "get": {
                "summary": "One of the agency's subscriptions",
                "security": _AGENCY,
                "responses": {"200": _json(sub, "the subscription"), **_errors(401, 403, 404)},
            },
            "delete": {
                "summary": "Unsubscribe (pending deliveries are cancelled)",
                "security": _AGENCY,
                "responses": {"204": {"description": "deleted"}, **_errors(401, 403, 404)},
            },
        },
        "/api/subscriptions/{id}/deliveries": {
            "parameters": _ID,
            "get": {
                "summary": "The subscription's latest deliveries and their attempts, newest first",
                "security": _AGENCY,
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                    }
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "deliveries": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Delivery"},
                                }
                            },
                        },
                        "deliveries",
                    ),
                    **_errors(400, 401, 403, 404),
                },
            },
        },
        "/api/event-types": {
            "get": {
                "summary": "The event catalogue, with the JSON Schema of each event's data",
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/EventTypes"}, "the catalogue")
                },
            }
        },
    }


def _components() -> dict[str, Any]:
    event_type = {"type": "string", "enum": list(CATALOGUE)}
    time = {"type": "string", "format": "date-time"}
    subscription = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
            "event_types": {"type": "array", "items": event_type},
            "all_event_types": {"type": "boolean"},
            "status": {"type": "string", "enum": ["active", "disabled"]},
            "created_at": time,
            "disabled_reason": {"type": ["string", "null"]},
        },
        "required": ["id", "url", "event_types", "status", "created_at"],
    }
    attempt = {
        "type": "object",
        "properties": {
            "attempted_at": time,
            "status_code": {"type": ["integer", "null"]},
            "duration_ms": {"type": "integer"},
            "outcome": {
                "type": "string",
                "enum": ["success", "http_error", "timeout", "connection_error", "blocked_target"],
            },
            "response_excerpt": {"type": "string", "maxLength": 1024},
        },
    }
    return {
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        },
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                "required": ["error", "message"],
            },
            "NewSubscription": {
                "type": "object",
                "properties": {
                    "url": {"type": "string", "format": "uri"},
                    "event_types": {"type": "array", "items": event_type, "minItems": 1},
                },
                "required": ["url"],
                "additionalProperties": False,
            },
            "Subscription": subscription,
            "CreatedSubscription": {
                "allOf": [
                    {"$ref": "#/components/schemas/Subscription"},
                    {
                        "properties": {"secret": {"type": "string", "pattern": "^whsec_"}},
                        "required": ["secret"],
                    },
                ]
            },
            "Delivery": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "message_id": {"type": "string", "description": "the webhook-id header"},
                    "event_type": event_type,
                    "status": {
                        "type": "string",
                        "enum": ["pending", "succeeded", "failed", "cancelled"],
                    },
                    "attempt_count": {"type": "integer"},
                    "next_attempt_at": {"type": ["string", "null"], "format": "date-time"},
                    "created_at": time,
                    "attempts": {"type": "array", "items": attempt},
                },
            },
            "EventTypes": {
                "type": "object",
                "properties": {"event_types": {"type": "array", "items": {"type": "object"}}},
            },
        },
    }
