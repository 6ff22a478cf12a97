"""Fixtures of the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.http_wire import Seen, recording_app, serve


@pytest.fixture
def http_hub() -> Iterator[tuple[int, Seen]]:
    """shared.runtime.httpserver serving the recording application: its port, and what it saw."""
    seen = Seen()
    port, (thread, sock) = serve(recording_app(seen))
    try:
        yield port, seen
    finally:
        thread.kill()
        sock.close()
