"""The petitions service: nameko entrypoints only (parse, call a handler, shape the answer)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from nameko.timer import timer
from prometheus_client import Counter
from werkzeug.wrappers import Request, Response

from services.petitions import schemas
from services.petitions.dependencies import SignatureDesk
from services.petitions.domain import PetitionError
from services.petitions.handlers import drafts, upkeep
from services.petitions.handlers import petitions as handlers
from services.petitions.handlers.opendata import csv_rows, export_open_data
from services.petitions.web.errors import to_http
from services.petitions.web.openapi import openapi_document
from services.petitions.web.pages import WebPages
from shared.bus import event_handler
from shared.consumers import consume
from shared.dependencies import AccessTokens, Config, Correlation, Database
from shared.envelope import Envelope, InvalidEnvelope
from shared.health import HealthEndpoints
from shared.inbox import first_delivery
from shared.metrics import EntrypointMetrics, ServiceMetrics, get_or_create
from shared.ratelimit import RateLimits
from shared.revocation import TOKENS_REVOKED, record_revocations
from shared.scopes import CITIZEN_PETITIONS, PETITIONS_MODERATE, has_scope
from shared.web import (
    HttpError,
    bearer_token,
    cacheable_json,
    csv_response,
    http,
    json_response,
    read_json,
)

T = TypeVar("T")
CITIZEN_ERASED = "identity.citizen_erased"  # from identity (services/identity/admin.py)
ERASURE_CONSUMER = "petitions.erasure"
REVOCATION_CONSUMER = "petitions.revocations"
# NOTE: counts must show within 1 s; a CDN may keep a petition for that long, a list for 5 s.
DETAIL_MAX_AGE, LIST_MAX_AGE, EXPORT_MAX_AGE = 1, 5, 300
RETENTION_INTERVAL = 3600.0  # retention is counted in days; hourly is plenty


class PetitionsService(HealthEndpoints, WebPages):
    name = "petitions"

    config = Config()
    correlation = Correlation()
    metrics = EntrypointMetrics()
    db = Database()
    tokens = AccessTokens()
    limits = RateLimits()
    signatures = SignatureDesk()

    @http("GET", "/openapi.json")
    def openapi(self, request: Request) -> Response:
        return json_response(openapi_document(self.config.public_url("petitions")))

    @http("GET", "/api/petitions")
    def list_petitions(self, request: Request) -> Response:
        query = schemas.page_query(request.args)
        operator = self._optional_claims(request, PETITIONS_MODERATE) is not None
        page = (query.limit, query.offset)
        found = _domain(
            lambda: handlers.list_petitions(query.status, query.search, page, operator, self.db)
        )
        items = [
            schemas.petition_view(v.petition, v.signature_count, sponsor_count=v.sponsor_count)
            for v in found
        ]
        body = {"items": items, "limit": query.limit, "offset": query.offset}
        return cacheable_json(request, body, LIST_MAX_AGE, private=operator)

    @http("GET", "/api/petitions/export.json")
    def export_json(self, request: Request) -> Response:
        return cacheable_json(request, {"items": export_open_data(self.db)}, EXPORT_MAX_AGE)

    @http("GET", "/api/petitions/export.csv")
    def export_csv(self, request: Request) -> Response:
        response = csv_response(csv_rows(export_open_data(self.db)), "petitions.csv")
        response.headers["Cache-Control"] = f"public, max-age={EXPORT_MAX_AGE}"
        return response

    @http("POST", "/api/petitions")
    def create_petition(self, request: Request) -> Response:
        citizen = self._citizen(request)
        command = schemas.new_petition(read_json(request))
        min_sponsors = self._rules().min_sponsors
        created = _domain(
            lambda: drafts.create_petition(command, citizen.sub, self.db, min_sponsors)
        )
        body = schemas.petition_view(created.petition, 0, author=True)
        body["author_key"] = created.author_key  # NOTE: shown once, never stored (drafts.py)
        return json_response(body, status=201)

    @http("GET", "/api/petitions/<string:petition_id>")
    def get_petition(self, request: Request, petition_id: str) -> Response:
        claims = self._optional_claims(request)
        viewer = claims.get("sub") if claims and has_scope(claims, CITIZEN_PETITIONS) else None
        operator = bool(claims and has_scope(claims, PETITIONS_MODERATE))
        link = request.args.get("sponsor_token")  # a would-be co-sponsor reads it first
        view = _domain(lambda: handlers.get_petition(petition_id, viewer, operator, self.db, link))
        body = schemas.petition_view(
            view.petition,
            view.signature_count,
            view.by_departement,
            view.sponsor_count,
            author=view.by_author,
        )
        private = claims is not None or link is not None
        return cacheable_json(request, body, DETAIL_MAX_AGE, private=private)

    @http("PATCH", "/api/petitions/<string:petition_id>")
    def edit_draft(self, request: Request, petition_id: str) -> Response:
        author = self._citizen(request)
        changes = schemas.petition_changes(read_json(request))
        petition, sponsors = _domain(
            lambda: drafts.edit_draft(petition_id, author, changes, self.db)
        )
        return json_response(schemas.petition_view(petition, 0, None, sponsors, author=True))

    @http("POST", "/api/petitions/<string:petition_id>/submission")
    def submit_petition(self, request: Request, petition_id: str) -> Response:
        author = self._citizen(request)
        minimum = self._rules().min_sponsors
        petition, sponsors = _domain(
            lambda: drafts.submit_petition(petition_id, author, minimum, self.db)
        )
        return json_response(schemas.petition_view(petition, 0, None, sponsors, author=True))

    @http("POST", "/api/petitions/<string:petition_id>/sponsors")
    def sponsor(self, request: Request, petition_id: str) -> Response:
        citizen = self._citizen(request)
        token = schemas.sponsor_token(read_json(request))
        count = _domain(lambda: drafts.sponsor_petition(petition_id, citizen, token, self.db))
        return json_response({"petition_id": petition_id, "sponsor_count": count}, status=201)

    @http("POST", "/api/petitions/<string:petition_id>/moderation")
    def moderate(self, request: Request, petition_id: str) -> Response:
        self._claims_with(request, PETITIONS_MODERATE)
        decision = schemas.moderation_decision(read_json(request))
        petition = _domain(lambda: handlers.moderate(petition_id, decision, self._rules(), self.db))
        return json_response(schemas.petition_view(petition, 0))

    @http("POST", "/api/petitions/<string:petition_id>/withdrawal")
    def withdraw_petition(self, request: Request, petition_id: str) -> Response:
        author = self._citizen(request)
        petition = _domain(lambda: handlers.withdraw_petition(petition_id, author, self.db))
        return json_response(schemas.petition_view(petition, 0))

    @http("POST", "/api/petitions/<string:petition_id>/signatures")
    def sign(self, request: Request, petition_id: str) -> Response:
        self.limits.check("sign_per_address", self.limits.address(request))
        claims = self._citizen_claims(request)
        self.limits.check("sign_per_client", str(claims.get("client_id", "")))
        citizen = handlers.citizen_from_claims(claims)
        departement = schemas.signature_request(_optional_json(request))
        try:
            receipt = self.signatures.sign(handlers.SignRequest(petition_id, citizen, departement))
        except PetitionError as error:
            signature_outcomes(self.metrics).labels(error.code).inc()
            raise to_http(error) from None
        signature_outcomes(self.metrics).labels("accepted").inc()
        return json_response({"receipt": receipt.as_dict()}, status=201)

    @http("DELETE", "/api/petitions/<string:petition_id>/signatures/me")
    def withdraw_signature(self, request: Request, petition_id: str) -> Response:
        citizen = self._citizen(request)
        _domain(lambda: handlers.withdraw_signature(petition_id, citizen, self.db))
        return Response(status=204)

    @event_handler("identity", CITIZEN_ERASED, requeue_on_error=True)
    def on_citizen_erased(self, body: Any) -> None:
        def apply() -> None:
            envelope = Envelope.from_dict(body)
            sub = envelope.payload.get("subjects", {}).get("petitions")
            if not isinstance(sub, str) or not sub:
                raise InvalidEnvelope("an erasure event must name the petitions subject")
            if first_delivery(self.db, ERASURE_CONSUMER, envelope.id):
                handlers.forget_citizen(sub, self.db)

        consume(self.db, ERASURE_CONSUMER, CITIZEN_ERASED, body, apply)

    @event_handler("identity", TOKENS_REVOKED, requeue_on_error=True)
    def on_tokens_revoked(self, body: Any) -> None:
        def apply() -> int:
            return record_revocations(
                self.db, REVOCATION_CONSUMER, body, self.name, int(time.time())
            )

        if consume(self.db, REVOCATION_CONSUMER, TOKENS_REVOKED, body, apply):
            self.tokens.refresh_now()

    @timer(interval=1.0)
    def announce_counts(self) -> None:
        handlers.announce_counts(self._rules(), self.db)

    @timer(interval=5.0)
    def close_expired(self) -> None:
        handlers.close_expired(self.db)

    @timer(interval=RETENTION_INTERVAL)
    def retire_signers(self) -> None:
        upkeep.retire_signers(self.db, self._rules().retention)

    def _rules(self) -> handlers.PetitionRules:
        return handlers.rules_from_settings(self.config)

    def _claims_with(self, request: Request, scope: str) -> dict[str, Any]:
        claims = self.tokens.claims(bearer_token(request))
        if not has_scope(claims, scope):
            raise HttpError(
                403, "insufficient_scope", f"this needs a token with the {scope!r} scope"
            )
        return claims

    def _citizen(self, request: Request) -> handlers.Citizen:
        return handlers.citizen_from_claims(self._citizen_claims(request))

    def _citizen_claims(self, request: Request) -> dict[str, Any]:
        claims = self._claims_with(request, CITIZEN_PETITIONS)
        if "acr" not in claims:
            raise HttpError(403, "not_a_citizen", "this needs a citizen's token (signed-in person)")
        return claims

    def _optional_claims(self, request: Request, scope: str | None = None) -> dict[str, Any] | None:
        if "Authorization" not in request.headers:
            return None
        claims = self.tokens.claims(bearer_token(request))
        return claims if scope is None or has_scope(claims, scope) else None


def signature_outcomes(metrics: ServiceMetrics) -> Any:
    """Signatures accepted, and refused by reason code (no citizen in any label)."""
    return get_or_create(
        metrics.registry,
        Counter,
        "hub_petitions_signatures_total",
        "Signature attempts by outcome: accepted, or the refusal's reason code.",
        ["outcome"],
    )


def _domain(call: Callable[[], T]) -> T:
    try:
        return call()
    except PetitionError as error:
        raise to_http(error) from None


def _optional_json(request: Request) -> dict[str, Any]:
    if not request.content_length:  # signing needs no body; a département is optional
        return {}
    return read_json(request)
