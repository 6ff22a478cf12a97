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
SCHEMA_VERSION = 39
DS = {"type": "prometheus", "uid": "${datasource}"}
NS = 'namespace=~"$namespace"'
SERVICES = ("identity", "petitions", "notifications")
SUCCESS = 'outcome="success"'


def panel(
    title: str,
    targets: list[tuple[str, str]],
    unit: str = "short",
    kind: str = "timeseries",
    width: int = 12,
    height: int = 8,
    description: str = "",
    stack: bool = False,
) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": unit}
    if kind == "timeseries":
        defaults["custom"] = {
            "stacking": {"mode": "normal" if stack else "none"},
            "fillOpacity": 10,
        }
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "gridPos": {"w": width, "h": height},
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "legend": {
                "displayMode": "table",
                "placement": "bottom",
                "calcs": ["lastNotNull", "max"],
            }
        }
        if kind == "timeseries"
        else {"reduceOptions": {"calcs": ["lastNotNull"]}},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DS, "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(targets)
        ],
    }


def row(title: str) -> dict[str, Any]:
    return {
        "type": "row",
        "title": title,
        "collapsed": False,
        "gridPos": {"w": 24, "h": 1},
        "panels": [],
    }


def layout(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every panel an id and a place: left to right, wrapping at Grafana's 24 columns."""
    x = y = line_height = 0
    for number, p in enumerate(panels, start=1):
        w, h = p["gridPos"]["w"], p["gridPos"]["h"]
        if p["type"] == "row" or x + w > 24:
            x, y, line_height = 0, y + line_height, 0
        p["id"] = number
        p["gridPos"].update({"x": x, "y": y})
        x, line_height = x + w, max(line_height, h)
        if p["type"] == "row":
            x, y, line_height = 0, y + h, 0
    return panels


def variable_datasource() -> dict[str, Any]:
    return {
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        "current": {},
        "hide": 0,
    }


def variable_query(name: str, query: str, label: str, multi: bool = True) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DS,
        "query": {"query": query, "refId": f"{name}-values"},
        "definition": query,
        "refresh": 2,
        "multi": multi,
        "includeAll": multi,
        "sort": 1,
        "current": {},
        "hide": 0,
    }


def namespace_variable() -> dict[str, Any]:
    return variable_query(
        "namespace",
        "label_values(hub_identity_entrypoint_calls_total, namespace)",
        "Namespace",
        multi=False,
    )


def dashboard(
    uid: str,
    title: str,
    description: str,
    panels: list[dict[str, Any]],
    variables: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["participation-hub"],
        "timezone": "browser",
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "links": [
            {
                "title": "Participation hub",
                "type": "dashboards",
                "tags": ["participation-hub"],
                "asDropdown": True,
            }
        ],
        "templating": {"list": [variable_datasource(), *variables]},
        "annotations": {"list": []},
        "panels": layout(panels),
    }


def rate(metric: str, selector: str = "", by: str = "", window: str = "$__rate_interval") -> str:
    labels = ", ".join(part for part in (NS, selector) if part)
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} (rate({metric}{{{labels}}}[{window}]))"


def quantile(q: float, bucket: str, selector: str = "", by: str = "") -> str:
    labels = ", ".join(part for part in (NS, selector) if part)
    grouping = ", ".join(part for part in (by, "le") if part)
    rates = f"rate({bucket}{{{labels}}}[$__rate_interval])"
    return f"histogram_quantile({q}, sum by ({grouping}) ({rates}))"


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


def service_dashboard(service: str) -> dict[str, Any]:
    calls = f"hub_{service}_entrypoint_calls_total"
    bucket = f"hub_{service}_entrypoint_duration_seconds_bucket"
    ep = 'entrypoint=~"$entrypoint"'
    panels = [
        row("Rate, errors, duration"),
        panel(
            "Calls per second by entrypoint",
            [(rate(calls, ep, "entrypoint"), "{{entrypoint}}")],
            unit="reqps",
            width=12,
            stack=True,
        ),
        panel(
            "Calls per second by outcome",
            [(rate(calls, ep, "outcome"), "{{outcome}}")],
            unit="reqps",
            width=12,
            stack=True,
        ),
        panel(
            "Server error ratio by entrypoint",
            [
                (
                    rate(calls, f'{ep}, outcome="error"', "entrypoint")
                    + " / "
                    + rate(calls, ep, "entrypoint"),
                    "{{entrypoint}}",
                )
            ],
            unit="percentunit",
            width=12,
        ),
        panel(
            "Client error ratio by entrypoint",
            [
                (
                    rate(calls, f'{ep}, outcome="client_error"', "entrypoint")
                    + " / "
                    + rate(calls, ep, "entrypoint"),
                    "{{entrypoint}}",
                )
            ],
            unit="percentunit",
            width=12,
        ),
        panel(
            "Duration (all selected entrypoints)",
            [(quantile(q, bucket, ep), f"p{int(q * 100)}") for q in (0.5, 0.95, 0.99)],
            unit="s",
            width=12,
        ),
        panel(
            "p99 duration by entrypoint",
            [(quantile(0.99, bucket, ep, "entrypoint"), "{{entrypoint}}")],
            unit="s",
            width=12,
        ),
        row("Outbox and tokens"),
        panel(
            "Outbox backlog",
            [(f"max(hub_{service}_outbox_backlog_events{{{NS}}})", "events waiting")],
            width=8,
        ),
        panel(
            "Oldest unsent event",
            [(f"max(hub_{service}_outbox_oldest_event_age_seconds{{{NS}}})", "age")],
            unit="s",
            width=8,
        ),
        panel(
            "Events published per second",
            [(rate(f"hub_{service}_outbox_published_events_total"), "published")],
            unit="ops",
            width=8,
        ),
        panel(
            "Refused access tokens by reason",
            [(rate(f"hub_{service}_token_verification_failures_total", by="reason"), "{{reason}}")],
            unit="ops",
            width=12,
        ),
        panel(
            "JWKS refreshes",
            [
                (
                    f"sum(increase(hub_{service}_jwks_refreshes_total{{{NS}}}[$__rate_interval]))",
                    "refreshes",
                )
            ],
            width=12,
        ),
    ]
    panels += SERVICE_EXTRAS[service]()
    variables = [
        namespace_variable(),
        variable_query("entrypoint", f"label_values({calls}{{{NS}}}, entrypoint)", "Entrypoint"),
    ]
    return dashboard(
        f"hub-{service}",
        f"Hub / {service.capitalize()}",
        f"RED metrics of the {service} service, its outbox and its token checks.",
        panels,
        variables,
    )


def identity_extras() -> list[dict[str, Any]]:
    return [
        row("Logins and keys"),
        panel(
            "Logins per minute by provider and outcome",
            [
                (
                    f"60 * {rate('hub_identity_logins_total', by='provider, outcome')}",
                    "{{provider}} {{outcome}}",
                )
            ],
            width=16,
        ),
        panel(
            "Signing key age",
            [(f"max(hub_identity_signing_key_age_seconds{{{NS}}})", "current key")],
            unit="s",
            kind="stat",
            width=8,
            description="Rotate before 90 days (alert at 80).",
        ),
    ]


def petitions_extras() -> list[dict[str, Any]]:
    return [
        row("Signatures"),
        panel(
            "Signatures per minute by outcome",
            [(f"60 * {rate('hub_petitions_signatures_total', by='outcome')}", "{{outcome}}")],
            width=24,
            stack=True,
        ),
    ]


def notifications_extras() -> list[dict[str, Any]]:
    return [
        row("Webhooks"),
        panel(
            "Webhook attempts per second by outcome",
            [(rate("hub_notifications_webhook_attempts_total", by="outcome"), "{{outcome}}")],
            unit="ops",
            width=12,
            stack=True,
        ),
        panel(
            "Webhook attempt duration",
            [
                (
                    quantile(q, "hub_notifications_webhook_attempt_duration_seconds_bucket"),
                    f"p{int(q * 100)}",
                )
                for q in (0.5, 0.95, 0.99)
            ],
            unit="s",
            width=12,
        ),
    ]


SERVICE_EXTRAS = {
    "identity": identity_extras,
    "petitions": petitions_extras,
    "notifications": notifications_extras,
}


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
