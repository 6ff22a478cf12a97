"""Monkey-patch first: eventlet must patch sockets before anything else imports them, or container
tests hang. This root conftest is loaded by pytest before any test module or plugin fixture runs."""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import os  # noqa: E402

from shared import runtime  # noqa: E402

# The runtime every service process installs (hub/runner.py), chosen the same way: HUB_RUNTIME=stock
# runs the tests on nameko's own container and web server.
runtime.install(os.environ.get("HUB_RUNTIME") or runtime.HUB)
