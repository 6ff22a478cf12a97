"""The OpenAPI 3.1 description of the petitions API (served at ``GET /openapi.json``).

Kept true by tests/service/petitions/test_openapi.py: every API route of the service is here,
and the answers validate against the schemas (openapi_components.py).
"""

from __future__ import annotations

from typing import Any

from services.petitions.domain import Status
from services.petitions.web.openapi_components import schemas


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): _json(_ref("Error"), "error") for c in codes}


def _op(
    summary: str,
    responses: dict[str, Any],
    secured: bool = False,
    body: Any = None,
    params: Any = None,
    body_required: bool = True,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if secured:
        op["security"] = [{"bearer": []}]
    if body is not None:
        content = {"application/json": {"schema": body}}
        op["requestBody"] = {"required": body_required, "content": content}
    if params:
        op["parameters"] = params
        if any(p["in"] == "query" for p in params):
            # The edge refuses parameters the database could not store (shared/web.py).
            responses.setdefault("400", _json(_ref("Error"), "error"))
    return op


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema}


_ID = {"name": "petition_id", "in": "path", "required": True, "schema": {"type": "string"}}
_PETITION = _ref("Petition")
_PAGE_PARAMS = [
    _query("status", {"enum": list(Status.ALL)}),
    _query("q", {"type": "string", "maxLength": 100}),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}),
    _query("offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000}),
]
_SPONSOR_LINK = _query("sponsor_token", {"type": "string", "maxLength": 100})


def openapi_document(server_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Participation hub: petitions", "version": "1"},
        "servers": [{"url": server_url}],
        "paths": {**_petition_paths(), **_before_moderation_paths(), **_service_paths()},
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
            "schemas": schemas(),
        },
    }


def _petition_paths() -> dict[str, Any]:
    return {
        "/api/petitions": {
            "get": _op(
                "Petitions, newest first",
                {"200": _json(_ref("PetitionPage"), "a page"), **_errors(400, 401, 403)},
                params=_PAGE_PARAMS,
            ),
            "post": _op(
                "Create a petition (citizen): submitted for moderation, or a draft",
                {
                    "201": _json(_ref("CreatedPetition"), "awaiting moderation (or a draft)"),
                    **_errors(400, 401, 403, 409, 413, 415),
                },
                secured=True,
                body=_ref("NewPetition"),
            ),
        },
        "/api/petitions/{petition_id}": {
            "get": _op(
                "A petition with its live count (before moderation: its author, or its link)",
                {"200": _json(_PETITION, "the petition"), **_errors(401, 404)},
                params=[_ID, _SPONSOR_LINK],
            ),
            "patch": _op(
                "Edit one's draft (its author; not once co-sponsored)",
                {"200": _json(_PETITION, "edited"), **_errors(400, 401, 403, 404, 409, 415)},
                secured=True,
                body=_ref("PetitionChanges"),
                params=[_ID],
            ),
        },
        "/api/petitions/{petition_id}/moderation": {
            "post": _op(
                "Publish, reject, hide or close (operator)",
                {"200": _json(_PETITION, "decided"), **_errors(400, 401, 403, 404, 409, 415)},
                secured=True,
                body=_ref("Decision"),
                params=[_ID],
            ),
        },
        "/api/petitions/export.json": {
            "get": _op(
                "Open data: public petitions with counts (no personal data)",
                {"200": _json(_ref("OpenData"), "all public petitions")},
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
                    "201": _json(_ref("SignatureReceipt"), "signed"),
                    **_errors(400, 401, 403, 404, 409, 410, 415, 429),
                },
                secured=True,
                body=_ref("SignatureRequest"),
                body_required=False,
                params=[_ID],
            ),
        },
        "/api/petitions/{petition_id}/signatures/me": {
            "delete": _op(
                "Withdraw one's signature (with its receipt secret: verifiably, in the log)",
                {"204": {"description": "withdrawn"}, **_errors(400, 401, 403, 404, 410, 415)},
                secured=True,
                body=_ref("SignatureWithdrawal"),
                body_required=False,
                params=[_ID],
            ),
        },
    }


def _before_moderation_paths() -> dict[str, Any]:
    return {
        "/api/petitions/{petition_id}/submission": {
            "post": _op(
                "Submit one's draft for moderation (its author; once: again is a 409)",
                {"200": _json(_PETITION, "submitted"), **_errors(401, 403, 404, 409)},
                secured=True,
                params=[_ID],
            ),
        },
        "/api/petitions/{petition_id}/sponsors": {
            "post": _op(
                "Co-sponsor a petition before moderation, with its link's token (citizen)",
                {
                    "201": _json(_ref("Sponsorship"), "co-sponsored"),
                    **_errors(400, 401, 403, 404, 409, 415),
                },
                secured=True,
                body=_ref("SponsorRequest"),
                params=[_ID],
            ),
        },
    }


def _service_paths() -> dict[str, Any]:
    return {
        "/openapi.json": {
            "get": _op(
                "This document",
                {"200": _json({"type": "object"}, "OpenAPI 3.1")},
            )
        },
        "/healthz": {"get": _op("The process is alive", {"200": _json(_ref("Health"), "alive")})},
        "/readyz": {
            "get": _op(
                "Database and broker reachable",
                {
                    "200": _json(_ref("Readiness"), "ready"),
                    "503": _json(_ref("Readiness"), "not ready"),
                },
            )
        },
    }
