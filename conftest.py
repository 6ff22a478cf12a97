"""Monkey-patch first: eventlet must patch sockets before anything else imports them, or container
tests hang. This root conftest is loaded by pytest before any test module or plugin fixture runs."""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

from shared import http_headers  # noqa: E402

http_headers.install()  # as every service process does (hub/runner.py)
