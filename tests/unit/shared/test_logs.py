from __future__ import annotations

import json
import logging

from shared.logs import CorrelationFilter, JsonFormatter, clean_correlation_id, set_correlation_id


def record(message: str) -> logging.LogRecord:
    rec = logging.LogRecord("hub.test", logging.INFO, __file__, 1, message, (), None)
    CorrelationFilter().filter(rec)
    return rec


def test_json_lines_carry_the_current_correlation_id():
    set_correlation_id("req-42")
    try:
        line = json.loads(JsonFormatter().format(record("signed")))
    finally:
        set_correlation_id(None)
    assert (
        line["message"] == "signed"
        and line["correlation_id"] == "req-42"
        and line["level"] == "info"
    )


def test_lines_outside_any_work_have_a_placeholder():
    assert record("idle").correlation_id == "-"


def test_callers_correlation_ids_are_accepted_only_when_plain():
    assert clean_correlation_id("abc-123_x.y") == "abc-123_x.y"
    assert clean_correlation_id("x" * 64) == "x" * 64
    assert clean_correlation_id("x" * 65) is None
    assert clean_correlation_id("") is None
    assert clean_correlation_id("evil\nline") is None
    assert clean_correlation_id("trailing\n") is None
    assert clean_correlation_id("with space") is None
    assert clean_correlation_id(None) is None
    assert clean_correlation_id(12) is None


def test_correlation_ids_are_plain_ascii():
    # str.isalnum() says yes to these; a log line or a header should not carry them
    assert clean_correlation_id("caf\u00e9") is None
    assert clean_correlation_id("\uff11\uff12") is None  # full-width digits
    assert clean_correlation_id("\u0663") is None  # an Arabic-Indic digit


def test_access_lines_lose_their_query_strings():
    from shared.logs import AccessLogFilter

    line = (
        '127.0.0.1 - - [26/Nov/2026] "GET /oidc-callback/mock?code=SECRET&state=x HTTP/1.1" 302 0'
    )
    rec = logging.LogRecord("nameko.web.server", logging.INFO, __file__, 1, line, (), None)
    AccessLogFilter().filter(rec)
    assert (
        rec.getMessage() == '127.0.0.1 - - [26/Nov/2026] "GET /oidc-callback/mock HTTP/1.1" 302 0'
    )


def test_secret_path_segments_are_cut_from_any_servers_access_lines():
    from shared.logs import AccessLogFilter

    for target in (
        "/unsubscribe/s3cr3t-token",
        "/unsubscribe/s3cr3t-token?x=1",
        "/%75nsubscribe/s3cr3t%2Dtoken",  # a route matches the decoded path
    ):
        line = f'"POST {target} HTTP/1.1" 200 12 0.001'
        record = logging.LogRecord("nameko.web.server", logging.INFO, __file__, 1, line, (), None)
        AccessLogFilter().filter(record)
        assert record.getMessage() == '"POST /unsubscribe/… HTTP/1.1" 200 12 0.001', target
