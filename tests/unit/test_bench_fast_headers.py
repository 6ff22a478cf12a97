"""The fast header parser builds what the standard library's would, for any header block."""

from __future__ import annotations

import http.client
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.fast_headers import _ORIGINAL, parse_headers

# Field names, values and line ends mixing the plain case with what the feed parser treats
# specially: folding, blanks, odd line breaks, mbox "From " lines, non-ASCII bytes, no colon.
_NAMES = st.sampled_from(["Host", "Content-Length", "X-A", "From ", "Bad Name", "", "é", "a_b"])
_VALUE_CHARS = st.sampled_from(list('ab :\t\r\x0b\x0c\x1c\x85\xe9=;,"') + ["\u00a0"])
_ENDS = st.sampled_from(["\r\n", "\n", "\r", ""])


@st.composite
def header_blocks(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()) and lines:
            lines.append(" " + draw(st.text(_VALUE_CHARS, max_size=8)) + "\r\n")  # folded
            continue
        sep = draw(st.sampled_from([":", ": ", ":\t", " :", ""]))
        value = draw(st.text(_VALUE_CHARS, max_size=12))
        lines.append(draw(_NAMES) + sep + value + draw(_ENDS))
    lines.append(draw(st.sampled_from(["\r\n", "\n", ""])))
    return "".join(lines).encode("iso-8859-1", errors="replace")


def _view(message: http.client.HTTPMessage) -> tuple[object, ...]:
    return (
        message.items(),
        message.get_payload(),
        [type(defect) for defect in message.defects],
        message.get_content_type(),
        message.get_all("Host"),
    )


@settings(max_examples=2000, deadline=None)
@given(header_blocks())
def test_any_block_parses_as_the_standard_library_parses_it(block: bytes) -> None:
    assert _view(parse_headers(io.BytesIO(block))) == _view(_ORIGINAL(io.BytesIO(block)))


def test_a_plain_request_block_takes_the_fast_path_and_keeps_the_body_unread() -> None:
    stream = io.BytesIO(b"Host: hub\r\nAuthorization: Bearer abc \r\nContent-Length: 2\r\n\r\n{}")
    message = parse_headers(stream)
    assert message.items() == [
        ("Host", "hub"),
        ("Authorization", "Bearer abc "),
        ("Content-Length", "2"),
    ]
    assert stream.read() == b"{}"


def test_the_limits_are_the_standard_librarys() -> None:
    with pytest.raises(http.client.LineTooLong):
        parse_headers(io.BytesIO(b"X: " + b"a" * 70_000 + b"\r\n\r\n"))
    with pytest.raises(http.client.HTTPException):
        parse_headers(io.BytesIO(b"X: a\r\n" * 101 + b"\r\n"))


def test_it_is_installed_only_where_the_private_reader_is_as_expected(monkeypatch) -> None:
    import http.client

    from bench import fast_headers

    monkeypatch.setattr(http.client, "parse_headers", http.client.parse_headers)
    monkeypatch.delattr(http.client, "_read_headers")
    assert fast_headers.install() is False
    assert http.client.parse_headers is _ORIGINAL


def test_the_hub_itself_parses_headers_with_the_standard_library() -> None:
    """The services no longer replace http.client's parser process-wide (the tests' process
    installs what a service process installs: shared.runtime)."""
    import http.client

    assert http.client.parse_headers is _ORIGINAL
