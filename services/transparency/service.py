"""The transparency service: nameko entrypoints only (parse, call a handler, shape the answer).

It keeps the hub's one global log of petition leaves (issue 21; reference/transparency.md §5):
it consumes the leaves petitions records, integrates them about every second, signs checkpoints
with the log's key, has witnesses cosign them, and serves the log in the C2SP formats under
``/tlog/``.
"""

from __future__ import annotations

from typing import Any

from nameko.timer import timer
from werkzeug.wrappers import Request, Response

from services.transparency import schemas
from services.transparency.dependencies import LogWriter
from services.transparency.domain import InvalidLeaves
from services.transparency.handlers import ingest, reads
from services.transparency.web import replies
from services.transparency.web.errors import translated
from shared.bus import event_handler
from shared.consumers import consume
from shared.dependencies import Config, Correlation, Database
from shared.health import HealthEndpoints
from shared.metrics import EntrypointMetrics
from shared.web import http, json_response

INTEGRATION_INTERVAL = 1.0


class TransparencyService(HealthEndpoints):
    name = "transparency"

    config = Config()
    correlation = Correlation()
    metrics = EntrypointMetrics()
    db = Database()
    writer = LogWriter()

    @event_handler("petitions", schemas.LEAVES_RECORDED, requeue_on_error=True)
    def on_leaves_recorded(self, body: Any) -> None:
        def apply() -> int:
            event = schemas.leaves_recorded(schemas.received(schemas.LEAVES_RECORDED, body))
            return ingest.record_leaves(self.db, event)

        consume(self.db, ingest.CONSUMER, schemas.LEAVES_RECORDED, body, apply, (InvalidLeaves,))

    @timer(interval=INTEGRATION_INTERVAL)
    def integrate(self) -> None:
        self.writer.round()

    @http("GET", "/tlog/checkpoint")
    def checkpoint(self, request: Request) -> Response:
        return replies.checkpoint(request, translated(lambda: reads.checkpoint(self.db)))

    @http("GET", "/tlog/vkey")
    def vkey(self, request: Request) -> Response:
        return replies.text(self.writer.vkey + "\n", "public, max-age=300")

    @http("GET", "/tlog/tile/<path:path>")
    def tile(self, request: Request, path: str) -> Response:
        data = translated(lambda: reads.tile(self.db, schemas.tile("tile/" + path)))
        return replies.tile(data)

    @http("GET", "/tlog/api/v1/petitions/<string:petition_id>")
    def petition(self, request: Request, petition_id: str) -> Response:
        found = translated(lambda: reads.petition(self.db, schemas.petition_id(petition_id)))
        return json_response(found, headers={"Cache-Control": "no-cache"})

    @http("GET", "/tlog/api/v1/receipts/<string:commitment>")
    def receipt(self, request: Request, commitment: str) -> Response:
        proof = translated(lambda: reads.receipt(self.db, schemas.commitment(commitment)))
        return replies.text(proof)

    @http("GET", "/tlog/api/v1/proof/consistency")
    def consistency(self, request: Request) -> Response:
        def prove() -> str:
            old, new = schemas.consistency_sizes(request.args)
            return reads.consistency(self.db, old, new)

        return replies.text(translated(prove), replies.IMMUTABLE)
