"""The per-service RED dashboards (identity, petitions, notifications), alike by construction."""

from __future__ import annotations

from typing import Any

from grafana import (
    NS,
    dashboard,
    namespace_variable,
    panel,
    quantile,
    rate,
    row,
    variable_query,
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
            width=12,
            stack=True,
        ),
        panel(
            "Signatures per transaction (group commit)",
            [(per_batch("hub_petitions_signature_batch_size"), "mean batch")],
            width=12,
            description="Grows with load: under load most signatures share a transaction.",
        ),
    ]


def per_batch(histogram: str) -> str:
    """The mean size of a group commit's batches."""
    return f"{rate(histogram + '_sum')} / {rate(histogram + '_count')}"


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
        panel(
            "Rows per transaction (group commits)",
            [
                (per_batch("hub_notifications_fan_out_batch_size"), "events fanned out"),
                (per_batch("hub_notifications_webhook_write_back_batch_size"), "attempts written"),
            ],
            width=24,
            description="Grows with load: events and attempts that arrive together share one.",
        ),
    ]


SERVICE_EXTRAS = {
    "identity": identity_extras,
    "petitions": petitions_extras,
    "notifications": notifications_extras,
}
