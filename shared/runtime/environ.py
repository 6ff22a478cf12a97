"""The WSGI environ of the requests :mod:`shared.runtime.httpserver` serves (PEP 3333, with the
keys and values eventlet's server gave), and their request line for logs."""

from __future__ import annotations

import io
import sys
from typing import Any
from urllib.parse import unquote

from shared.logs import SECRET_PATH_PREFIXES
from shared.runtime.http_reading import Message


def connection_environ(sock: Any, address: Any, url_scheme: str) -> dict[str, Any]:
    """What every request of one connection shares."""
    try:
        server_name, server_port = sock.getsockname()[:2]
    except (OSError, ValueError):
        server_name, server_port = "", 0
    remote = address if isinstance(address, tuple) else ("", 0)
    return {
        "SCRIPT_NAME": "",
        "SERVER_NAME": str(server_name),
        "SERVER_PORT": str(server_port),
        "REMOTE_ADDR": str(remote[0]),
        "REMOTE_PORT": str(remote[1]) if len(remote) > 1 else "",
        "GATEWAY_INTERFACE": "CGI/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url_scheme,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
    }


def request_environ(base: dict[str, Any], message: Message) -> dict[str, Any]:
    """One request's environ, as eventlet's server made it (see httpserver)."""
    env = base.copy()
    method = message.method.decode("latin-1")
    env["REQUEST_METHOD"] = method
    target = message.url.decode("latin-1")
    path, sep, query = target.partition("?")
    env["RAW_PATH_INFO"] = path
    env["PATH_INFO"] = unquote(path, encoding="latin-1") if "%" in path else path
    if sep:
        env["QUERY_STRING"] = query
    env["SERVER_PROTOCOL"] = "HTTP/" + message.version
    chunked = False
    for raw_name, raw_value in message.headers:
        name = raw_name.decode("latin-1").upper()
        value = raw_value.decode("latin-1").strip(" \t")
        if "_" in name:
            continue  # as eventlet: X_Forwarded_For must not pass for X-Forwarded-For
        key = name.replace("-", "_")
        if key == "TRANSFER_ENCODING":
            chunked = True  # the only one served (http_reading refuses others)
            continue
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        if key in env:
            env[key] += "," + value
        else:
            env[key] = value
    body = b"".join(message.body) if message.body else b""
    if chunked:  # the body is given to the application decoded, with its length
        env["CONTENT_LENGTH"] = str(len(body))
    env["wsgi.input"] = io.BytesIO(body)
    return env


def request_line(env: dict[str, Any]) -> str:
    """The request line as the client sent it, for the access line and error logs; a secret
    path segment is cut (looked for in the decoded path, which the routes match)."""
    query = env.get("QUERY_STRING")
    path, decoded = env["RAW_PATH_INFO"], env["PATH_INFO"]
    for prefix in SECRET_PATH_PREFIXES:
        if prefix in decoded:
            path = decoded[: decoded.index(prefix) + len(prefix)] + "…"
    target = path + ("?" + query if query is not None else "")
    return f"{env['REQUEST_METHOD']} {target} {env['SERVER_PROTOCOL']}"
