"""``python -m bench.webhook_endpoint PORT``: the agency's endpoint, in a process of its own.

It verifies each delivery's Standard Webhooks signature (the secret comes in the environment,
``HUB_BENCH_WEBHOOK_SECRET``) and writes a line to standard output for each one:
``count <arrival> <petition id> <signature_count>``, ``other <arrival>`` or ``rejected <reason>``.
Arrival times are ``time.perf_counter()``, the system-wide monotonic clock on Linux, so the
bench compares them with its own.

NOTE: its own process, as an agency's endpoint is another machine: inside the load generator's
busy process it answered slowly, and its slowness was counted as the hub's webhook lag.
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import eventlet.wsgi  # noqa: E402
from standardwebhooks.webhooks import Webhook  # noqa: E402

SECRET_VARIABLE = "HUB_BENCH_WEBHOOK_SECRET"  # noqa: S105 - a variable's name
COUNT_SUFFIX = "petition.signature_count_changed"


class _Quiet:
    def write(self, *_: Any) -> None:
        pass


def application(webhook: Webhook, out: Any) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        arrived = time.perf_counter()
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {
            key[5:].lower().replace("_", "-"): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        try:
            webhook.verify(body, headers)
        except Exception as exc:  # noqa: BLE001 - record any verification failure
            out.write(f"rejected {str(exc).replace(chr(10), ' ')}\n")
            start_response("400 Bad Request", [("Content-Length", "0")])
            return [b""]
        event = json.loads(body)
        data = event.get("data") or {}
        if str(event.get("type", "")).endswith(COUNT_SUFFIX):
            out.write(f"count {arrived} {data['petition_id']} {int(data['signature_count'])}\n")
        else:
            out.write(f"other {arrived}\n")
        out.flush()
        start_response("204 No Content", [])
        return [b""]

    return app


def main() -> int:
    if len(sys.argv) != 2 or not sys.argv[1].isdigit() or SECRET_VARIABLE not in os.environ:
        print(f"usage: {SECRET_VARIABLE}=whsec_... python -m bench.webhook_endpoint PORT")
        return 2
    webhook = Webhook(os.environ[SECRET_VARIABLE])
    sock = eventlet.listen(("127.0.0.1", int(sys.argv[1])), backlog=512)
    print("ready", flush=True)
    eventlet.wsgi.server(
        sock, application(webhook, sys.stdout), log=_Quiet(), log_output=False, max_size=2000
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
