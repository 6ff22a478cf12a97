"""Grafana dashboards as code: writes deploy/k8s/base/dashboards/*.json.

The JSON files are what Grafana loads (kustomize puts them in a ConfigMap labelled
grafana_dashboard: "1"); this script is where they are edited, so the three service dashboards
stay alike. tests/deploy fails when the files and this script disagree.

    python scripts/deploy_checks/dashboards.py          # rewrite the JSON files
    python scripts/deploy_checks/dashboards.py --check  # exit 1 if one is out of date
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "base" / "dashboards"

# The building blocks sit beside this script; it also runs loaded by path (tests/deploy).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from grafana import (  # noqa: E402 - after the path set-up above
    NS,
    SERVICES,
    SUCCESS,
    dashboard,
    namespace_variable,
    panel,
    quantile,
    rate,
    row,
    variable_query,
)
from service_dashboards import service_dashboard  # noqa: E402


def overview() -> dict[str, Any]:
    logins_ok = f'sum(increase(hub_identity_logins_total{{{NS}, outcome="success"}}[$__range]))'
    signed = f'sum(increase(hub_petitions_signatures_total{{{NS}, outcome="accepted"}}[$__range]))'
    refused = (
        f'sum(increase(hub_petitions_signatures_total{{{NS}, outcome!="accepted"}}[$__range]))'
    )
    published = [(rate(f"hub_{s}_outbox_published_events_total"), s) for s in SERVICES]
    no_probes = 'entrypoint!~"healthz|readyz"'
    errors = [
        (
            rate(f"hub_{s}_entrypoint_calls_total", f'outcome="error", {no_probes}')
            + " / "
            + rate(f"hub_{s}_entrypoint_calls_total", no_probes),
            s,
        )
        for s in SERVICES
    ]
    panels = [
        row("Citizens: from login to signature"),
        panel(
            "Funnel over the time range",
            [
                (logins_ok, "logins succeeded"),
                (signed, "signatures accepted"),
                (refused, "signatures refused"),
            ],
            kind="bargauge",
            width=12,
            description="Logins, then signatures accepted and refused (any reason).",
        ),
        panel(
            "Signatures per login",
            [(f"{signed} / {logins_ok}", "signatures accepted per successful login")],
            unit="percentunit",
            kind="stat",
            width=4,
        ),
        panel(
            "Logins per minute",
            [(f"60 * {rate('hub_identity_logins_total', by='outcome')}", "{{outcome}}")],
            width=8,
            stack=True,
        ),
        panel(
            "Signatures per minute by outcome",
            [(f"60 * {rate('hub_petitions_signatures_total', by='outcome')}", "{{outcome}}")],
            width=12,
            stack=True,
            description="accepted, or the refusal reason.",
        ),
        panel(
            "Logins per minute by provider",
            [
                (
                    f"60 * {rate('hub_identity_logins_total', by='provider, outcome')}",
                    "{{provider}} {{outcome}}",
                )
            ],
            width=12,
        ),
        row("Events flowing"),
        panel(
            "Events published per second (outbox relays)",
            published,
            unit="ops",
            width=12,
            stack=True,
        ),
        panel(
            "Outbox backlog",
            [(f"max(hub_{s}_outbox_backlog_events{{{NS}}})", s) for s in SERVICES],
            width=12,
        ),
        row("Agencies served"),
        panel(
            "Webhook deliveries per minute by outcome",
            [
                (
                    f"60 * {rate('hub_notifications_webhook_attempts_total', by='outcome')}",
                    "{{outcome}}",
                )
            ],
            width=12,
            stack=True,
        ),
        panel(
            "Failing subscriptions",
            [(f"max(hub_notifications_failing_subscriptions{{{NS}}})", "failing")],
            kind="stat",
            width=6,
        ),
        panel(
            "Webhook success ratio",
            [
                (
                    rate("hub_notifications_webhook_attempts_total", SUCCESS)
                    + " / "
                    + rate("hub_notifications_webhook_attempts_total"),
                    "success",
                )
            ],
            unit="percentunit",
            kind="stat",
            width=6,
        ),
        row("Health"),
        panel("Server error ratio by service", errors, unit="percentunit", width=24),
    ]
    return dashboard(
        "hub-overview",
        "Hub / Overview",
        "Citizens' funnel, events on the bus and agencies served.",
        panels,
        [namespace_variable()],
    )


def bus() -> dict[str, Any]:
    sel = f'{NS}, vhost="hub", queue=~"$queue"'
    panels = [
        row("Queues (RabbitMQ /metrics/detailed)"),
        panel(
            "Messages by queue",
            [(f"sum by (queue) (rabbitmq_detailed_queue_messages{{{sel}}})", "{{queue}}")],
            width=12,
        ),
        panel(
            "Consumers by queue",
            [(f"sum by (queue) (rabbitmq_detailed_queue_consumers{{{sel}}})", "{{queue}}")],
            width=12,
        ),
        panel(
            "Ready and unacknowledged",
            [
                (f"sum(rabbitmq_detailed_queue_messages_ready{{{sel}}})", "ready"),
                (f"sum(rabbitmq_detailed_queue_messages_unacked{{{sel}}})", "unacknowledged"),
            ],
            width=12,
        ),
        panel(
            "Queues with messages and no consumer",
            [
                (
                    f"count((sum by (queue) (rabbitmq_detailed_queue_consumers{{{sel}}}) == 0)"
                    " and on (queue)"
                    f" (sum by (queue) (rabbitmq_detailed_queue_messages{{{sel}}}) > 0))"
                    " or vector(0)",
                    "queues",
                )
            ],
            kind="stat",
            width=6,
        ),
        panel(
            "Deepest queue",
            [(f"max(rabbitmq_detailed_queue_messages{{{sel}}})", "messages")],
            kind="stat",
            width=6,
        ),
        row("Into the bus"),
        panel(
            "Events published per second by service",
            [(rate(f"hub_{s}_outbox_published_events_total"), s) for s in SERVICES],
            unit="ops",
            width=12,
            stack=True,
        ),
        panel(
            "Outbox oldest event age",
            [(f"max(hub_{s}_outbox_oldest_event_age_seconds{{{NS}}})", s) for s in SERVICES],
            unit="s",
            width=12,
        ),
    ]
    variables = [
        namespace_variable(),
        variable_query(
            "queue", 'label_values(rabbitmq_detailed_queue_messages{vhost="hub"}, queue)', "Queue"
        ),
    ]
    return dashboard(
        "hub-bus",
        "Hub / Bus",
        "RabbitMQ queue depth and consumers for the hub's vhost.",
        panels,
        variables,
    )


def webhooks() -> dict[str, Any]:
    attempts = "hub_notifications_webhook_attempts_total"
    sub = 'subscription=~"$subscription"'
    panels = [
        row("All agencies"),
        panel(
            "Failing subscriptions",
            [(f"max(hub_notifications_failing_subscriptions{{{NS}}})", "failing")],
            width=8,
            description="Subscriptions whose recent deliveries all failed.",
        ),
        panel(
            "Success ratio",
            [(rate(attempts, SUCCESS) + " / " + rate(attempts), "success")],
            unit="percentunit",
            width=8,
        ),
        panel(
            "Attempt duration",
            [
                (
                    quantile(q, "hub_notifications_webhook_attempt_duration_seconds_bucket"),
                    f"p{int(q * 100)}",
                )
                for q in (0.5, 0.95, 0.99)
            ],
            unit="s",
            width=8,
        ),
        row("Per subscription"),
        panel(
            "Attempts per minute by subscription and outcome",
            [
                (
                    f"60 * {rate(attempts, sub, 'subscription, outcome')}",
                    "{{subscription}} {{outcome}}",
                )
            ],
            width=12,
            description="Attempts per minute for each subscription, by outcome.",
        ),
        panel(
            "Failure ratio by subscription",
            [
                (
                    rate(attempts, f'{sub}, outcome!="success"', "subscription")
                    + " / "
                    + rate(attempts, sub, "subscription"),
                    "{{subscription}}",
                )
            ],
            unit="percentunit",
            width=12,
        ),
    ]
    variables = [
        namespace_variable(),
        variable_query(
            "subscription", f"label_values({attempts}{{{NS}}}, subscription)", "Subscription"
        ),
    ]
    return dashboard(
        "hub-webhooks",
        "Hub / Webhooks",
        "Webhook delivery health, overall and per subscription.",
        panels,
        variables,
    )


def dashboards() -> dict[str, dict[str, Any]]:
    found = {"hub-overview": overview(), "hub-bus": bus(), "hub-webhooks": webhooks()}
    found.update({f"hub-{s}": service_dashboard(s) for s in SERVICES})
    return found


def render(board: dict[str, Any]) -> str:
    return json.dumps(board, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    stale = []
    for name, board in dashboards().items():
        path = OUT / f"{name}.json"
        if "--check" in argv:
            if not path.exists() or path.read_text() != render(board):
                stale.append(path.name)
        else:
            path.write_text(render(board))
    if stale:
        print(f"out of date: {', '.join(stale)}: run {Path(__file__).name}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
