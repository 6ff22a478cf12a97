"""The HTTP floor: server CPU per request of a trivial route, by layer.

    .venv/bin/python -m bench.http_floor [--requests 20000] [--connections 8]

Each layer runs alone in a child process on a free port: ``eventlet`` (a bare WSGI app on
eventlet's server), ``werkzeug`` (its Request and Response on the same server), ``nameko``
(nameko's own ``@http`` and container), ``hub`` (the hub's ``@http`` on its runtime, as the
services run) and ``hub-stock`` (the hub's ``@http`` with ``HUB_RUNTIME=stock``: nameko's container
and eventlet's server; the difference with ``hub`` is what shared/runtime gains). Keep-alive
clients POST a small JSON body; the child's CPU seconds (``/proc``) over the requests give
microseconds per request. What a signature costs above the ``hub`` figure is the signing itself;
see docs/capacity.md. Figures move with the machine: compare layers of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time

from shared.testing import free_port

LAYERS = ("eventlet", "werkzeug", "nameko", "hub", "hub-stock")
BODY = json.dumps({"receipt": {"signature_id": "x"}})


def serve(layer: str, port: int) -> None:  # in the child
    import eventlet

    eventlet.monkey_patch()
    import eventlet.wsgi

    if layer in ("eventlet", "werkzeug"):
        from werkzeug.wrappers import Request, Response

        def app(environ, start_response):  # type: ignore[no-untyped-def]
            if layer == "eventlet":
                environ["wsgi.input"].read()
                data = BODY.encode()
                start_response(
                    "201 Created",
                    [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
                )
                return [data]
            Request(environ).get_data()
            return Response(BODY, status=201, mimetype="application/json")(environ, start_response)

        eventlet.wsgi.server(eventlet.listen(("127.0.0.1", port)), app, log_output=False)
        return
    from nameko.containers import get_container_cls
    from nameko.web.handlers import http as nameko_http
    from werkzeug.wrappers import Response

    from shared import runtime
    from shared.web import http as hub_http
    from shared.web import json_response

    hub = layer.startswith("hub")
    runtime.install(runtime.STOCK if layer == "hub-stock" else runtime.HUB)
    route = hub_http if hub else nameko_http

    class Floor:
        name = "floor"

        @route("POST", "/api/petitions/<string:petition_id>/signatures")
        def sign(self, request, petition_id):  # type: ignore[no-untyped-def]
            if hub:
                return json_response({"receipt": {"signature_id": petition_id}}, status=201)
            return Response(BODY, status=201, mimetype="application/json")

    config = {"AMQP_URI": "memory://", "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
    if hub:
        config["SERVICE_CONTAINER_CLS"] = runtime.container_class()
    container = get_container_cls(config)(Floor, config)
    container.start()
    container.wait()


REQUEST = (
    b"POST /api/petitions/7b0c2a4e-0000-4000-8000-000000000001/signatures HTTP/1.1\r\n"
    b"Host: 127.0.0.1\r\nAuthorization: Bearer a.b.c\r\nContent-Type: application/json\r\n"
    b"Content-Length: 2\r\n\r\n{}"
)


def _client(port: int, count: int) -> None:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for _ in range(count):
        sock.sendall(REQUEST)
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            buffer += sock.recv(65536)
        head, _, rest = buffer.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(rest) < length:
            rest += sock.recv(65536)
    sock.close()


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(layer: str, requests: int, connections: int) -> dict[str, float]:
    port = free_port()
    command = [sys.executable, "-m", "bench.http_floor", "--serve", layer, str(port)]
    child = subprocess.Popen(command)  # noqa: S603  # this module itself, no outside input
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        _client(port, 500)  # warm-up
        before, started = _cpu_seconds(child.pid), time.perf_counter()
        clients = [
            threading.Thread(target=_client, args=(port, requests // connections))
            for _ in range(connections)
        ]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        elapsed, cpu = time.perf_counter() - started, _cpu_seconds(child.pid) - before
        done = requests // connections * connections
        return {"requests_per_second": done / elapsed, "server_cpu_us": cpu / done * 1e6}
    finally:
        child.terminate()
        child.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.http_floor", description=__doc__)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--serve", nargs=2, metavar=("LAYER", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    if args.requests < args.connections or args.connections < 1:
        parser.error("--requests must be at least --connections, and --connections at least 1")
    for layer in LAYERS:
        figures = measure(layer, args.requests, args.connections)
        print(
            f"{layer:10} {figures['server_cpu_us']:7.0f} us of server CPU per request"
            f"  ({figures['requests_per_second']:,.0f} requests/s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
