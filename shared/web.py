"""HTTP at the edge of every service: JSON errors, correlation ids, security headers, body limits.

``http`` is nameko's ``@http`` with three changes: unmatched routes and wrong methods answer JSON
(not Werkzeug's HTML); domain errors are translated to JSON errors in one place
(:class:`HttpError`, raised by the service's error table); any other exception is logged with
its stack trace and answered with a plain JSON 500 (never the trace).
"""

from __future__ import annotations

import inspect
import json
import logging
from typing import Any

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from shared import runtime
from shared.config import DEFAULT_MAX_CONNECTIONS
from shared.logs import CORRELATION_HEADER, clean_correlation_id, new_correlation_id

log = logging.getLogger(__name__)

# nameko config key: the listening socket's descriptor, when several processes share one port
LISTEN_FD_KEY = "HUB_LISTEN_FD"
MAX_BODY_BYTES = 64 * 1024
# The web server's access line, without the client's address (eventlet's default starts with it,
# and with X-Forwarded-For): next to "POST /api/petitions/<id>/signatures" an address says who
# signed what, a political opinion. Abuse is handled by the rate limits and at the ingress.
ACCESS_LOG_FORMAT = '"%(request_line)s" %(status_code)s %(body_length)s %(wall_seconds).6f'
HSTS = "max-age=63072000; includeSubDomains"  # two years, as the HSTS preload list asks
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
}


class HttpError(Exception):
    """An error the client caused or must know about; becomes ``{"error", "message"}`` JSON."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    response = Response(body, status=status, mimetype="application/json", headers=headers)
    return response


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    return json_response({"error": code, "message": message}, status=status, headers=headers)


def read_json(request: Request, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The request's JSON object body, or a clear 4xx :class:`HttpError`."""
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise HttpError(415, "unsupported_media_type", "send the body as application/json")
    if request.content_length is not None and request.content_length > max_bytes:
        raise HttpError(413, "body_too_large", f"the body must be at most {max_bytes} bytes")
    raw = request.stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise HttpError(413, "body_too_large", f"the body must be at most {max_bytes} bytes")
    try:
        data = json.loads(raw, object_pairs_hook=_without_repeated_keys)
    except _RepeatedKey as exc:
        raise HttpError(400, "malformed_json", f"the key {exc.key!r} is given twice") from None
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: absurd nesting
        raise HttpError(400, "malformed_json", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise HttpError(400, "malformed_json", "the body must be a JSON object")
    if not _storable(data):
        raise HttpError(400, "invalid_text", "text must be valid Unicode without NUL characters")
    return data


class _RepeatedKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key[:64]


def _without_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """RFC 8259 4 leaves repeated names to the reader: a filter or a log that reads the first
    would see another object than the one stored (the last wins in json.loads). Refused."""
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedKey(key)
            seen.add(key)
    return data


def _storable(value: Any) -> bool:
    """No NUL (PostgreSQL refuses it in text) and no lone surrogate (not UTF-8) anywhere."""
    if isinstance(value, str):
        return value.isprintable() or _encodable(value)  # printable: no NUL, no surrogate
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    return True


def _storable_params(request: Request) -> bool:
    """Query and form parameters the database can store (form bodies are parsed only here)."""
    environ = request.environ
    if not environ.get("QUERY_STRING") and not _maybe_form(environ.get("CONTENT_TYPE")):
        return True  # nothing to parse (most API calls): werkzeug's parsing is not free
    params = list(request.args.items(multi=True))
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        request.shallow = False
        params += list(request.form.items(multi=True))
    return all(_storable(k) and _storable(v) for k, v in params)


def _maybe_form(content_type: str | None) -> bool:
    """Whether ``Request.mimetype`` could be a form's (a prefix test, before parsing it)."""
    if not content_type:
        return False
    lowered = content_type.lstrip().lower()
    return lowered.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def _encodable(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HttpError(
            401,
            "unauthorized",
            "an access token is required (Authorization: Bearer ...)",
            {"WWW-Authenticate": 'Bearer error="invalid_request"'},
        )
    return token.strip()


class HubWsgiApp(WsgiApp):
    def __init__(self, server: WebServer) -> None:
        super().__init__(server)
        settings = server.container.config.get("HUB_SETTINGS")
        # HSTS only where the hub is served over HTTPS for real (production).
        self.hsts = bool(getattr(settings, "production", False))
        self.edge_headers = _edge_headers(self.hsts)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            request.path_values = values  # type: ignore[attr-defined]
            response = provider.handle_request(request)
        except HTTPException as exc:
            response = _http_exception_response(exc)
        edge = self.edge_headers
        cid = getattr(request, "correlation_id", None)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            _add_edge_headers(headers, edge, cid)
            return start_response(status, headers, exc_info)

        return response(environ, start)


def _http_exception_response(exc: HTTPException) -> Response:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.code or 500, "http_error")
    headers = dict(exc.get_headers()) if exc.code == 405 else {}
    headers.pop("Content-Type", None)
    return error_response(exc.code or 500, code, exc.description or "", headers)


def _edge_headers(hsts: bool) -> tuple[tuple[str, str, str], ...]:
    """The headers every answer carries unless it set its own: (lower-case name, name, value)."""
    headers = dict(SECURITY_HEADERS)
    if hsts:
        headers["Strict-Transport-Security"] = HSTS
    return tuple((name.lower(), name, value) for name, value in headers.items())


_CORRELATION_LOWER = CORRELATION_HEADER.lower()


def _add_edge_headers(
    headers: list[tuple[str, str]], edge: tuple[tuple[str, str, str], ...], cid: str | None
) -> None:
    """Add to an answer's WSGI header list the edge headers it lacks, and its correlation id
    (replacing any the handler set). Done on the list the answer is about to send rather than
    through werkzeug's ``Headers``, whose case-insensitive ``setdefault`` scans the headers once
    per call, a visible part of a small answer's CPU."""
    present = {name.lower() for name, _ in headers}
    if cid:
        if _CORRELATION_LOWER in present:
            headers[:] = [h for h in headers if h[0].lower() != _CORRELATION_LOWER]
        headers.append((CORRELATION_HEADER, cid))
    headers.extend((name, value) for lower, name, value in edge if lower not in present)


class HubWebServer(WebServer):
    def start(self) -> None:
        fd = self.container.config.get(LISTEN_FD_KEY)
        if fd is None or getattr(self, "_starting", False):
            super().start()
            return
        # One of several processes of a service (hub/process_group.py): accept on the
        # socket the group's first process bound, instead of binding the port again.
        import eventlet.greenio
        import eventlet.patcher

        self._starting = True
        raw = eventlet.patcher.original("socket").socket(fileno=int(fd))
        self._sock = eventlet.greenio.GreenSocket(raw)
        self._sock.settimeout(None)
        self._serv = self.get_wsgi_server(self._sock, self.get_wsgi_app())
        self._gt = self.container.spawn_managed_thread(self.run)

    def run(self) -> None:
        runtime.accept_connections(self)

    def get_wsgi_app(self) -> HubWsgiApp:
        return HubWsgiApp(self)

    def get_wsgi_server(self, sock: Any, wsgi_app: Any, *args: Any, **kwargs: Any) -> Any:
        settings = self.container.config.get("HUB_SETTINGS") if self.container is not None else None
        return runtime.wsgi_server(
            sock,
            wsgi_app,
            logging.getLogger("nameko.web.server"),  # the logger nameko's server logs with
            max_body=MAX_BODY_BYTES,
            log_format=ACCESS_LOG_FORMAT,
            max_connections=getattr(settings, "max_connections", DEFAULT_MAX_CONNECTIONS),
        )

    def context_data_from_headers(self, request: Request) -> dict[str, Any]:
        cid = clean_correlation_id(request.headers.get(CORRELATION_HEADER)) or new_correlation_id()
        request.correlation_id = cid  # type: ignore[attr-defined]
        return {"correlation_id": cid}


class HubHttpHandler(HttpRequestHandler):
    server = HubWebServer()

    def __init__(self, method: str, url: str, **kwargs: Any) -> None:
        kwargs.setdefault("expected_exceptions", (HttpError,))
        super().__init__(method, url, **kwargs)

    def check_signature(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """nameko binds the arguments with ``inspect.getcallargs`` on every request, a visible
        part of a signature's CPU; a request whose arguments are the ones this route always gives
        (the request, then its path values by name) is checked against those names instead."""
        expected = getattr(self, "_parameters", None)
        if expected is None:
            method = getattr(self.container.service_cls, self.method_name)
            names = list(inspect.signature(method).parameters)[2:]  # after self and request
            expected = self._parameters = frozenset(names)
        if len(args) != 1 or kwargs.keys() != expected:
            super().check_signature(args, kwargs)

    def handle_request(self, request: Request) -> Response:
        request.max_content_length = MAX_BODY_BYTES
        values = getattr(request, "path_values", None)
        if values and not all(_storable(v) for v in values.values()):
            # No resource is named with a NUL or a lone surrogate (the database could not even
            # look one up): the path names nothing here.
            return error_response(404, "not_found", "nothing here has that name")
        if not _storable_params(request):
            return error_response(
                400, "invalid_text", "parameters must be valid Unicode without NUL characters"
            )
        run_here = getattr(self.container, "run_worker_here", None)
        if run_here is None:  # nameko's own container: its worker thread
            return super().handle_request(request)
        # nameko's handle_request, the worker run in this connection's thread (HubContainer)
        request.shallow = False
        try:
            context_data = self.server.context_data_from_headers(request)
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            result = run_here(self, args, kwargs, context_data)
            return self.response_from_result(result)
        except Exception as exc:  # noqa: BLE001 - answered as nameko's handler does
            return self.response_from_exception(exc)

    def response_from_exception(self, exc: Exception) -> Response:
        if isinstance(exc, HttpError):
            return error_response(exc.status, exc.code, exc.message, exc.headers)
        if isinstance(exc, RequestEntityTooLarge):
            return error_response(
                413, "body_too_large", f"the body must be at most {MAX_BODY_BYTES} bytes"
            )
        if isinstance(exc, HTTPException):
            return _http_exception_response(exc)
        from shared.consumers import is_transient

        if is_transient(exc):  # the database or the broker is away: nothing was written
            return error_response(
                503,
                "unavailable",
                "the service is briefly unavailable; try again",
                {"Retry-After": "2"},
            )
        # nameko's container has already logged the worker's exception with its stack trace.
        return error_response(500, "internal_error", "something went wrong on our side")


http = HubHttpHandler.decorator


def cacheable_json(request: Request, payload: Any, max_age: int, private: bool = False) -> Response:
    """A JSON answer a CDN can keep for ``max_age`` seconds and revalidate with its ETag.

    Answers ``304 Not Modified`` when the client already holds this exact body. Answers that
    depend on who asks (``private``) are kept by the browser only.
    """
    response = json_response(payload)
    response.add_etag()
    scope = "private" if private else "public"
    response.headers["Cache-Control"] = f"{scope}, max-age={max_age}"
    if not private:
        response.headers["Vary"] = "Authorization"
    return response.make_conditional(request)


def csv_response(rows: list[list[Any]], filename: str) -> Response:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
