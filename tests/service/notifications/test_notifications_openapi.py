"""GET /openapi.json describes every route of the service, and the answers match its schemas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.notifications.service import NotificationsService
from shared.testing import BaseUrlSession
from shared.web import HubHttpHandler

from .support import check_against_openapi, openapi_path


def _routes() -> set[tuple[str, str]]:
    found = set()
    for name in dir(NotificationsService):
        for ext in getattr(getattr(NotificationsService, name), ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(ext, HubHttpHandler):
                found.add((ext.method.lower(), openapi_path(ext.url)))
    return found


def test_every_route_of_the_service_is_in_the_document(
    notifications: Any, anonymous: BaseUrlSession
) -> None:
    document = anonymous.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    described = {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    routes = _routes()
    assert len(routes) >= 18 and ("post", "/api/subscriptions/{subscription_id}/recover") in routes
    assert routes == described


def test_the_main_answers_match_the_documented_schemas(
    notifications: Any,
    anonymous: BaseUrlSession,
    agency_session: Callable[..., BaseUrlSession],
    operator_session: BaseUrlSession,
) -> None:
    document = anonymous.get("/openapi.json").json()
    agency = agency_session()
    sub = "/api/subscriptions/{subscription_id}"

    def check(method: str, path: str, url: str, **kwargs: Any) -> Any:
        response = agency.request(method, url, **kwargs)
        check_against_openapi(document, path, method, response)
        return response

    created = check(
        "POST", "/api/subscriptions", "/api/subscriptions", json={"url": "https://a.example/h"}
    ).json()
    at = f"/api/subscriptions/{created['id']}"
    check("GET", "/api/subscriptions", "/api/subscriptions")
    check("GET", sub, at)
    check("POST", f"{sub}/pause", f"{at}/pause")
    check("POST", f"{sub}/resume", f"{at}/resume")
    check("POST", f"{sub}/secret/rotate", f"{at}/secret/rotate")
    check("GET", f"{sub}/deliveries", f"{at}/deliveries")
    check("POST", f"{sub}/recover", f"{at}/recover", json={"since": "2020-01-01T00:00:00Z"})
    check("POST", f"{sub}/recover", f"{at}/recover", json={"since": "tomorrow"})
    check("POST", "/api/subscriptions", "/api/subscriptions", json={"url": "ftp://x"})
    check("GET", sub, "/api/subscriptions/nope")
    check("DELETE", sub, at)
    check_against_openapi(document, "/api/event-types", "GET", anonymous.get("/api/event-types"))
    check_against_openapi(
        document, "/api/dead-letters", "GET", operator_session.get("/api/dead-letters")
    )
    check_against_openapi(
        document,
        "/api/signature-emails",
        "POST",
        anonymous.post("/api/signature-emails", json={"email": "x"}),
    )
    wrong_key = {"petition_id": "p", "author_key": "k", "email": "a@example.fr"}
    for body in ({"email": "x"}, wrong_key):
        answer = anonymous.post("/api/author-emails", json=body)
        check_against_openapi(document, "/api/author-emails", "POST", answer)
