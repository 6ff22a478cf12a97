"""The HTTP edge's body reading: what clients may send."""

from __future__ import annotations

import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from shared.web import HttpError, read_json


def request_with(body: bytes, content_type: str = "application/json") -> Request:
    return Request(
        EnvironBuilder(method="POST", data=body, content_type=content_type).get_environ()
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"title": "a\\u0000b"}', "invalid_text"),
        (b'{"title": "\\ud800"}', "invalid_text"),
        (b'{"\\u0000": 1}', "invalid_text"),
        (b'{"list": ["ok", "\\udfff"]}', "invalid_text"),
        (b"[" * 5000 + b"]" * 5000, "malformed_json"),
        (b"[1, 2]", "malformed_json"),
        (b'{"title": ', "malformed_json"),
        (b'{"title": "A", "title": "B"}', "malformed_json"),
        (b'{"outer": {"k": 1, "k": 2}}', "malformed_json"),
    ],
)
def test_bodies_the_database_could_not_store_are_refused(body, code):
    with pytest.raises(HttpError) as refused:
        read_json(request_with(body))
    assert refused.value.status == 400 and refused.value.code == code


def test_ordinary_text_passes_untouched():
    data = {"title": "Pétition : « l'école » 🌳", "text": "ligne 1\nligne 2\ttab"}
    assert read_json(request_with(json.dumps(data).encode())) == data


def test_parameters_with_nul_are_refused_at_the_edge():
    from shared.web import _storable_params

    form = EnvironBuilder(method="POST", data={"client_id": "a\x00b"}).get_environ()
    assert not _storable_params(Request(form))
    query = EnvironBuilder(method="GET", query_string="state=%00").get_environ()
    assert not _storable_params(Request(query))
    fine = EnvironBuilder(method="POST", data={"client_id": "agency-1"}).get_environ()
    assert _storable_params(Request(fine))


def test_a_database_outage_is_a_503_not_a_500():
    import sqlalchemy as sa

    from shared.web import HubHttpHandler

    handler = HubHttpHandler("GET", "/x")
    down = sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    response = handler.response_from_exception(down)
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert json.loads(response.get_data())["error"] == "unavailable"
    assert handler.response_from_exception(KeyError("bug")).status_code == 500


def test_the_fast_signature_check_accepts_the_routes_arguments_and_refuses_others():
    from types import SimpleNamespace

    from nameko.exceptions import IncorrectSignature

    from shared.web import HubHttpHandler

    class Service:
        def show(self, request, petition_id):
            pass

    handler = HubHttpHandler("GET", "/petitions/<string:petition_id>")
    handler.container = SimpleNamespace(service_cls=Service)
    handler.method_name = "show"
    handler.check_signature(("request",), {"petition_id": "p"})
    for args, kwargs in [(("request",), {"other": "p"}), (("request",), {}), ((), {})]:
        with pytest.raises(IncorrectSignature):
            handler.check_signature(args, kwargs)


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", " Application/X-WWW-Form-Urlencoded; charset=utf-8"],
)
def test_a_form_body_is_checked_whatever_the_case_of_its_content_type(content_type):
    from shared.web import _storable_params

    environ = EnvironBuilder(method="POST", data=b"state=a%00b").get_environ()
    environ["CONTENT_TYPE"] = content_type
    assert not _storable_params(Request(environ))


def test_a_json_call_without_parameters_is_not_parsed_for_them():
    from shared.web import _storable_params

    request = request_with(b'{"a": "\\u0000"}')  # the body is read_json's to check, not this
    assert _storable_params(request)
    assert "form" not in request.__dict__ and "args" not in request.__dict__


def test_edge_headers_never_override_the_answers_own_and_the_correlation_id_is_set_once():
    from shared.web import CORRELATION_HEADER, _add_edge_headers, _edge_headers

    headers = [("content-type", "text/html"), ("x-frame-options", "SAMEORIGIN")]
    headers.append((CORRELATION_HEADER.upper(), "from-the-handler"))
    _add_edge_headers(headers, _edge_headers(hsts=True), "cid-1")
    names = [name.lower() for name, _ in headers]
    assert len(names) == len(set(names))
    assert dict(headers)["x-frame-options"] == "SAMEORIGIN"
    assert dict(headers)[CORRELATION_HEADER] == "cid-1"
    assert dict(headers)["Strict-Transport-Security"].startswith("max-age=")
    assert dict(headers)["X-Content-Type-Options"] == "nosniff"
    plain = []
    _add_edge_headers(plain, _edge_headers(hsts=False), None)
    assert "Strict-Transport-Security" not in dict(plain) and CORRELATION_HEADER not in dict(plain)
