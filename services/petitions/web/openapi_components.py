"""The components (schemas) of the petitions API's OpenAPI 3.1 document (openapi.py)."""

from __future__ import annotations

from typing import Any

from services.petitions.domain import ACR_LEVELS, REJECTION_REASONS, Status
from services.petitions.schemas import DECISIONS, DEPARTEMENT, MAX_TOKEN_LENGTH


def schemas() -> dict[str, Any]:
    timestamp = {"type": ["string", "null"], "format": "date-time"}
    hex64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
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
                "draft": {
                    "type": "boolean",
                    "description": "true: a draft its author edits, then submits",
                },
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
        "Petition": _petition(timestamp),
        "CreatedPetition": _petition(
            timestamp,
            author_key={"type": "string", "description": "shown once: keep it"},
        ),
        "PetitionChanges": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "title": {"type": "string", "minLength": 10, "maxLength": 200},
                "text": {"type": "string", "minLength": 20, "maxLength": 5000},
                "min_acr": {"enum": list(ACR_LEVELS)},
            },
        },
        "SponsorRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["token"],
            "properties": {
                "token": {"type": "string", "minLength": 1, "maxLength": MAX_TOKEN_LENGTH}
            },
        },
        "Sponsorship": {
            "type": "object",
            "additionalProperties": False,
            "required": ["petition_id", "sponsor_count"],
            "properties": {
                "petition_id": {"type": "string"},
                "sponsor_count": {"type": "integer", "minimum": 1},
            },
        },
        "SignatureRequest": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "departement": {"type": "string", "pattern": DEPARTEMENT.pattern},
                "commitment": {
                    **hex64,
                    "description": "C = SHA-256('hub/v1/sig\\n' + petition id + '\\n' + s),"
                    " s being 32 random bytes the caller keeps; without it the hub makes s and"
                    " returns it once as receipt_secret",
                },
            },
        },
        "SignatureWithdrawal": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "receipt_secret": {
                    **hex64,
                    "description": "s: revealed in the log's withdraw leaf, so that anyone can"
                    " check the withdrawal; a wrong one is refused (400 wrong_receipt_secret)",
                }
            },
        },
        "Health": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"const": "ok"}},
        },
        "Readiness": {
            "type": "object",
            "required": ["status", "checks"],
            "properties": {
                "status": {"enum": ["ready", "unavailable"]},
                "checks": {"type": "object", "additionalProperties": {"type": "boolean"}},
            },
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
            "required": ["items", "limit", "offset"],
            "additionalProperties": False,
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Petition"}},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
            },
        },
        "SignatureReceipt": {
            "type": "object",
            "required": ["receipt"],
            "additionalProperties": False,
            "properties": {
                "receipt": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [
                        "signature_id",
                        "petition_id",
                        "signed_at",
                        "hash",
                        "commitment",
                        "proof_url",
                    ],
                    "properties": {
                        "signature_id": {"type": "string"},
                        "petition_id": {"type": "string"},
                        "signed_at": {"type": "string", "format": "date-time"},
                        "hash": {"type": "string"},
                        "commitment": {
                            **hex64,
                            "description": "the signature's commitment in the transparency log",
                        },
                        "proof_url": {
                            "type": "string",
                            "format": "uri",
                            "description": "the C2SP tlog-proof of the signature's sign leaf"
                            " (a .tlog-proof file), a few seconds after signing (404 and"
                            " Retry-After until then)",
                        },
                        "receipt_secret": {
                            **hex64,
                            "description": "s, when the hub made it: shown this once, kept"
                            " nowhere; it proves the signature and lets the citizen withdraw it"
                            " verifiably",
                        },
                    },
                }
            },
        },
    }


def _petition(timestamp: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A petition as shown; ``extra`` properties are required (the creation's answer)."""
    return {
        "type": "object",
        "required": [
            "id",
            "title",
            "text",
            "status",
            "min_acr",
            "created_at",
            "signature_count",
            "sponsor_count",
            *extra,
        ],
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
            "sponsor_count": {"type": "integer", "minimum": 0},
            "sponsor_token": {
                "type": "string",
                "description": "the co-sponsor link's secret: its author only, before moderation",
            },
            "signatures_by_departement": {
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 0},
            },
            **extra,
        },
        "additionalProperties": False,
    }
