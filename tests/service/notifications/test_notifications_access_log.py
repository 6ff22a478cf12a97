"""The one-click unsubscribe token is a path segment (RFC 8058 links): whoever reads the access
log must not find it there, or they could erase a citizen's address from the outcome list."""

from __future__ import annotations

import logging
import secrets
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest

from shared.testing import BaseUrlSession


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "nameko.web.server"]


def test_unsubscribe_tokens_never_reach_the_access_log(
    notifications: Any, anonymous: BaseUrlSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nameko.web.server")
    token = secrets.token_urlsafe(32)
    assert anonymous.get(f"/unsubscribe/{token}").status_code == 200  # a mail scanner
    assert anonymous.post(f"/unsubscribe/{token}?x=1").status_code == 200  # the citizen
    lines = _access_lines(caplog)
    assert '"GET /unsubscribe/… HTTP/1.1" 200 ' in "\n".join(lines), lines
    assert any(line.startswith('"POST /unsubscribe/…') for line in lines), lines
    assert not [line for line in lines if token in line]


def test_a_percent_encoded_unsubscribe_path_is_cut_too(
    notifications: Any, base_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nameko.web.server")
    token = secrets.token_urlsafe(32)
    target = urlsplit(base_url)
    # the route matches the decoded path: a client may encode any of its letters
    with socket.create_connection((target.hostname, target.port), timeout=10) as conn:
        conn.sendall(
            f"GET /%75nsubscribe/{token[:8]}%2D{token[8:]} HTTP/1.1\r\nHost: x\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 ")
    lines = _access_lines(caplog)
    assert any(line.startswith('"GET /unsubscribe/… HTTP/1.1" 200') for line in lines), lines
    assert not [line for line in lines if token[8:] in line or token[:8] in line]
