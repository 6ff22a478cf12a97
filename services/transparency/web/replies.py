"""The log's answers, with their media types and caching (reference §5.3)."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

IMMUTABLE = "public, max-age=31536000, immutable"
TEXT = "text/plain; charset=utf-8"


def checkpoint(request: Request, note: str) -> Response:
    response = Response(note, content_type=TEXT, headers={"Cache-Control": "no-cache"})
    response.add_etag()
    return response.make_conditional(request)


def tile(data: bytes) -> Response:
    return Response(
        data, content_type="application/octet-stream", headers={"Cache-Control": IMMUTABLE}
    )


def text(body: str | bytes, cache: str = "no-cache") -> Response:
    return Response(body, content_type=TEXT, headers={"Cache-Control": cache})
