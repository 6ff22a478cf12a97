"""The petitions service: nameko entrypoints only (parse, call a handler, shape the answer)."""

from __future__ import annotations

import time
from typing import Any

from nameko.timer import timer
from werkzeug.wrappers import Request, Response

from services.petitions import schemas
from services.petitions.dependencies import Rules, SignatureDesk
from services.petitions.handlers import counts, drafts, opendata, petitions, signatures, upkeep
from services.petitions.web import api, auth
from services.petitions.web.errors import translated
from services.petitions.web.openapi import openapi_document
from services.petitions.web.pages import WebPages
from shared.bus import event_handler
from shared.consumers import consume
from shared.dependencies import AccessTokens, Config, Correlation, Database
from shared.health import HealthEndpoints
from shared.metrics import EntrypointMetrics
from shared.ratelimit import RateLimits
from shared.revocation import TOKENS_REVOKED, record_revocations
from shared.scopes import PETITIONS_MODERATE
from shared.web import cacheable_json, csv_response, http, json_response, read_json

CITIZEN_ERASED = "identity.citizen_erased"  # identity's CitizenErased (services/identity/events.py)
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
    rules = Rules()
    signature_desk = SignatureDesk()

    @http("GET", "/openapi.json")
    def openapi(self, request: Request) -> Response:
        return json_response(openapi_document(self.config.public_url("petitions")))

    @http("GET", "/api/petitions")
    def list_petitions(self, request: Request) -> Response:
        query = schemas.page_query(request.args)
        operator = auth.optional_claims(self.tokens, request, PETITIONS_MODERATE) is not None
        page = (query.limit, query.offset)
        found = translated(
            lambda: petitions.list_petitions(query.status, query.search, page, operator, self.db)
        )
        body = schemas.page_view(found, query)
        return cacheable_json(request, body, LIST_MAX_AGE, private=operator)

    @http("GET", "/api/petitions/export.json")
    def export_json(self, request: Request) -> Response:
        items = schemas.open_data(opendata.export_open_data(self.db))
        return cacheable_json(request, {"items": items}, EXPORT_MAX_AGE)

    @http("GET", "/api/petitions/export.csv")
    def export_csv(self, request: Request) -> Response:
        rows = schemas.csv_rows(schemas.open_data(opendata.export_open_data(self.db)))
        response = csv_response(rows, "petitions.csv")
        response.headers["Cache-Control"] = f"public, max-age={EXPORT_MAX_AGE}"
        return response

    @http("POST", "/api/petitions")
    def create_petition(self, request: Request) -> Response:
        citizen = auth.citizen(self.tokens, request)
        command = schemas.new_petition(read_json(request))
        minimum = self.rules.min_sponsors
        created = translated(lambda: drafts.create_petition(command, citizen.sub, self.db, minimum))
        return json_response(schemas.created_view(created), status=201)

    @http("GET", "/api/petitions/<string:petition_id>")
    def get_petition(self, request: Request, petition_id: str) -> Response:
        claims = auth.optional_claims(self.tokens, request)
        viewer, operator = auth.viewer(claims)
        link = request.args.get("sponsor_token")  # a would-be co-sponsor reads it first
        view = translated(
            lambda: petitions.get_petition(petition_id, viewer, operator, self.db, link)
        )
        private = claims is not None or link is not None
        return cacheable_json(request, schemas.detail_view(view), DETAIL_MAX_AGE, private=private)

    @http("PATCH", "/api/petitions/<string:petition_id>")
    def edit_draft(self, request: Request, petition_id: str) -> Response:
        author = auth.citizen(self.tokens, request)
        changes = schemas.petition_changes(read_json(request))
        petition, sponsors = translated(
            lambda: drafts.edit_draft(petition_id, author, changes, self.db)
        )
        return json_response(schemas.petition_view(petition, 0, None, sponsors, author=True))

    @http("POST", "/api/petitions/<string:petition_id>/submission")
    def submit_petition(self, request: Request, petition_id: str) -> Response:
        author = auth.citizen(self.tokens, request)
        minimum = self.rules.min_sponsors
        petition, sponsors = translated(
            lambda: drafts.submit_petition(petition_id, author, minimum, self.db)
        )
        return json_response(schemas.petition_view(petition, 0, None, sponsors, author=True))

    @http("POST", "/api/petitions/<string:petition_id>/sponsors")
    def sponsor(self, request: Request, petition_id: str) -> Response:
        citizen = auth.citizen(self.tokens, request)
        token = schemas.sponsor_token(read_json(request))
        count = translated(lambda: drafts.sponsor_petition(petition_id, citizen, token, self.db))
        return json_response({"petition_id": petition_id, "sponsor_count": count}, status=201)

    @http("POST", "/api/petitions/<string:petition_id>/moderation")
    def moderate(self, request: Request, petition_id: str) -> Response:
        auth.claims_with(self.tokens, request, PETITIONS_MODERATE)
        decision = schemas.moderation_decision(read_json(request))
        petition = translated(
            lambda: petitions.moderate(petition_id, decision, self.rules, self.db)
        )
        return json_response(schemas.petition_view(petition, 0))

    @http("POST", "/api/petitions/<string:petition_id>/withdrawal")
    def withdraw_petition(self, request: Request, petition_id: str) -> Response:
        author = auth.citizen(self.tokens, request)
        petition = translated(lambda: petitions.withdraw_petition(petition_id, author, self.db))
        return json_response(schemas.petition_view(petition, 0))

    @http("POST", "/api/petitions/<string:petition_id>/signatures")
    def sign(self, request: Request, petition_id: str) -> Response:
        self.limits.check("sign_per_address", self.limits.address(request))
        claims = auth.citizen_claims(self.tokens, request)
        self.limits.check("sign_per_client", str(claims.get("client_id", "")))
        citizen = schemas.citizen(claims)
        command = schemas.signature_request(petition_id, citizen, api.optional_json(request))
        receipt = api.sign(self.signature_desk, self.metrics, command)
        view = schemas.receipt_view(receipt, self.config.public_url("transparency"))
        return json_response({"receipt": view}, status=201)

    @http("DELETE", "/api/petitions/<string:petition_id>/signatures/me")
    def withdraw_signature(self, request: Request, petition_id: str) -> Response:
        citizen = auth.citizen(self.tokens, request)
        secret = schemas.withdrawal_secret(api.optional_json(request))
        translated(lambda: signatures.withdraw_signature(petition_id, citizen, self.db, secret))
        return Response(status=204)

    @event_handler("identity", CITIZEN_ERASED, requeue_on_error=True)
    def on_citizen_erased(self, body: Any) -> None:
        def apply() -> None:
            signatures.forget_citizen(schemas.citizen_erased(body), self.db)

        consume(self.db, signatures.ERASURE_CONSUMER, CITIZEN_ERASED, body, apply)

    @event_handler("identity", TOKENS_REVOKED, requeue_on_error=True)
    def on_tokens_revoked(self, body: Any) -> None:
        def apply() -> int:
            now = int(time.time())
            return record_revocations(self.db, REVOCATION_CONSUMER, body, self.name, now)

        if consume(self.db, REVOCATION_CONSUMER, TOKENS_REVOKED, body, apply):
            self.tokens.refresh_now()

    @timer(interval=1.0)
    def announce_counts(self) -> None:
        counts.announce_counts(self.rules, self.db)

    @timer(interval=5.0)
    def close_expired(self) -> None:
        counts.close_expired(self.db)

    @timer(interval=RETENTION_INTERVAL)
    def retire_signers(self) -> None:
        upkeep.retire_signers(self.db, self.rules.retention)
