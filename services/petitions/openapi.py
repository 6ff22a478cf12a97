"""The OpenAPI 3.1 description of the petitions API (served at ``GET /openapi.json``)."""

from __future__ import annotations

from typing import Any

from services.petitions.domain import ACR_LEVELS, REJECTION_REASONS, Status
from services.petitions.schemas import DECISIONS

_ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): _json(_ERROR, "error") for c in codes}


def _op(
    summary: str,
    responses: dict[str, Any],
    secured: bool = False,
    body: Any = None,
    params: Any = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if secured:
        op["security"] = [{"bearer": []}]
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    return op


_ID = {"name": "petition_id", "in": "path", "required": True, "schema": {"type": "string"}}
_PETITION = {"$ref": "#/components/schemas/Petition"}


def openapi_document(server_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Participation hub: petitions", "version": "1"},
        "servers": [{"url": server_url}],
        "paths": {
            "/api/petitions": {
                "get": _op(
                    "Petitions, newest first",
                    {
                        "200": _json({"$ref": "#/components/schemas/PetitionPage"}, "a page"),
                        **_errors(400, 401, 403),
                    },
                    params=[
                        {"name": "status", "in": "query", "schema": {"enum": list(Status.ALL)}},
                        {
                            "name": "q",
                            "in": "query",
                            "schema": {"type": "string", "maxLength": 100},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                        {
                            "name": "offset",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
                        },
                    ],
                ),
                "post": _op(
                    "Submit a petition (citizen)",
                    {
                        "201": _json(_PETITION, "awaiting moderation"),
                        **_errors(400, 401, 403, 413, 415),
                    },
                    secured=True,
                    body={"$ref": "#/components/schemas/NewPetition"},
                ),
            },
            "/api/petitions/{petition_id}": {
                "get": _op(
                    "A petition with its live count",
                    {"200": _json(_PETITION, "the petition"), **_errors(401, 404)},
                    params=[_ID],
                ),
            },
            "/api/petitions/{petition_id}/moderation": {
                "post": _op(
                    "Publish or reject (operator)",
                    {"200": _json(_PETITION, "decided"), **_errors(400, 401, 403, 404, 409)},
                    secured=True,
                    body={"$ref": "#/components/schemas/Decision"},
                    params=[_ID],
                ),
            },
            "/api/petitions/export.json": {
                "get": _op(
                    "Open data: public petitions with counts (no personal data)",
                    {
                        "200": _json(
                            {"$ref": "#/components/schemas/OpenData"}, "all public petitions"
                        )
                    },
                ),
            },
            "/api/petitions/export.csv": {
                "get": _op(
                    "Open data as CSV",
                    {
                        "200": {
                            "description": "CSV",
                            "content": {"text/csv": {"schema": {"type": "string"}}},
                        }
                    },
                ),
            },
            "/api/petitions/{petition_id}/withdrawal": {
                "post": _op(
                    "Withdraw one's own petition (its author)",
                    {"200": _json(_PETITION, "withdrawn"), **_errors(401, 403, 404, 409)},
                    secured=True,
                    params=[_ID],
                ),
            },
            "/api/petitions/{petition_id}/signatures": {
                "post": _op(
                    "Sign (citizen): one signature per citizen",
                    {
                        "201": _json({"$ref": "#/components/schemas/SignatureReceipt"}, "signed"),
                        **_errors(400, 401, 403, 404, 409, 410),
                    },
                    secured=True,
                    params=[_ID],
                ),
            },
            "/api/petitions/{petition_id}/signatures/me": {
                "delete": _op(
                    "Withdraw one's signature",
                    {"204": {"description": "withdrawn"}, **_errors(401, 403, 404, 410)},
                    secured=True,
                    params=[_ID],
                ),
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
            "schemas": _schemas(),
        },
    }


def _schemas() -> dict[str, Any]:
    timestamp = {"type": ["string", "null"], "format": "date-time"}
    return {
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
        },
        "NewPetition": {
            "type": "object",
            "additionalProperties": False,
            "required": ["title", "text"],
            "properties": {
                "title": {"type": "string", "minLength": 10, "maxLength": 200},
                "text": {"type": "string", "minLength": 20, "maxLength": 5000},
                "min_acr": {"enum": list(ACR_LEVELS)},
            },
        },
        "Decision": {
            "type": "object",
            "additionalProperties": False,
            "required": ["decision"],
            "properties": {
                "decision": {"enum": list(DECISIONS)},
                "reason": {"enum": list(REJECTION_REASONS)},
            },
        },
        "Petition": {
            "type": "object",
            "required": ["id", "title", "text", "status", "signature_count"],
            "properties": {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "text": {"type": "string"},
                "status": {"enum": list(Status.ALL)},
                "min_acr": {"enum": list(ACR_LEVELS)},
                "created_at": {"type": "string", "format": "date-time"},
                "published_at": timestamp,
                "deadline": timestamp,
                "closed_at": timestamp,
                "rejection_reason": {"type": ["string", "null"]},
                "signature_count": {"type": "integer", "minimum": 0},
                "signatures_by_departement": {
                    "type": "object",
                    "additionalProperties": {"type": "integer", "minimum": 0},
                },
            },
            "additionalProperties": False,
        },
        "OpenData": {
            "type": "object",
            "properties": {
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "title", "status", "signature_count"],
                        "properties": {
                            "id": {"type": "string"},
                            "title": {"type": "string"},
                            "status": {"enum": list(Status.PUBLIC)},
                            "published_at": timestamp,
                            "deadline": timestamp,
                            "closed_at": timestamp,
                            "signature_count": {"type": "integer", "minimum": 0},
                            "signatures_by_departement": {"type": "object"},
                        },
                        "additionalProperties": False,
                    },
                }
            },
        },
        "PetitionPage": {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Petition"}},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
            },
        },
        "SignatureReceipt": {
            "type": "object",
            "properties": {
                "receipt": {
                    "type": "object",
                    "required": ["signature_id", "petition_id", "signed_at", "hash"],
                    "properties": {
                        "signature_id": {"type": "string"},
                        "petition_id": {"type": "string"},
                        "signed_at": {"type": "string", "format": "date-time"},
                        "hash": {"type": "string"},
                    },
                }
            },
        },
    }
