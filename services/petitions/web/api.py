"""What the JSON API's entrypoints share besides who is asking (auth.py): signing with its
counter, and an optional JSON body."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter
from werkzeug.wrappers import Request

from services.petitions.commands import SignRequest
from services.petitions.dependencies import SignatureDesk
from services.petitions.domain import PetitionError, Receipt
from services.petitions.web.errors import to_http
from shared.metrics import ServiceMetrics, get_or_create
from shared.web import read_json


def signature_outcomes(metrics: ServiceMetrics) -> Any:
    """Signatures accepted, and refused by reason code (no citizen in any label)."""
    return get_or_create(
        metrics.registry,
        Counter,
        "hub_petitions_signatures_total",
        "Signature attempts by outcome: accepted, or the refusal's reason code.",
        ["outcome"],
    )


def sign(desk: SignatureDesk, metrics: ServiceMetrics, request: SignRequest) -> Receipt:
    """The signature's receipt once committed, counted; its refusal as an HTTP answer."""
    try:
        receipt = desk.sign(request)
    except PetitionError as error:
        signature_outcomes(metrics).labels(error.code).inc()
        raise to_http(error) from None
    signature_outcomes(metrics).labels("accepted").inc()
    return receipt


def optional_json(request: Request) -> dict[str, Any]:
    if not request.content_length:  # signing needs no body; a département is optional
        return {}
    return read_json(request)
