"""The figures against the issue's targets: a readable table and var/bench/report.json."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

# (label, how to read the figure from the report, unit, target text, check)
Check = tuple[str, Callable[[dict[str, Any]], Any], str, str, Callable[[Any], bool] | None]


def _get(*path: str) -> Callable[[dict[str, Any]], Any]:
    def read(report: dict[str, Any]) -> Any:
        value: Any = report
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return value

    return read


CHECKS: list[Check] = [
    (
        "accepted signatures/s (sustained)",
        _get("signatures_per_second"),
        "/s",
        ">= 1000",
        lambda v: v >= 1000,
    ),
    ("sign latency p50 @ fixed rate", _get("sign_latency_ms", "p50"), "ms", "", None),
    ("sign latency p95 @ fixed rate", _get("sign_latency_ms", "p95"), "ms", "", None),
    (
        "sign latency p99 @ fixed rate",
        _get("sign_latency_ms", "p99"),
        "ms",
        "< 250",
        lambda v: v < 250,
    ),
    ("count-visibility lag p50", _get("count_lag_ms", "p50"), "ms", "", None),
    ("count-visibility lag p99", _get("count_lag_ms", "p99"), "ms", "<= 1000", lambda v: v <= 1000),
    ("webhook lag p50", _get("webhook_lag_ms", "p50"), "ms", "", None),
    ("webhook lag p99", _get("webhook_lag_ms", "p99"), "ms", "<= 2000", lambda v: v <= 2000),
    ("INSERT ceiling (1 connection)", _get("insert_ceiling_rows_per_second"), "/s", "", None),
    (
        "INSERT ceiling (8 connections)",
        _get("insert_ceiling_concurrent_rows_per_second"),
        "/s",
        "",
        None,
    ),
    ("confirmed publish ceiling", _get("publish_ceiling_per_second"), "/s", "", None),
    (
        "signatures / INSERT ceiling",
        _get("ratio_to_insert_ceiling"),
        "x",
        ">= 0.4",
        lambda v: v >= 0.4,
    ),
    (
        "signatures / INSERT ceiling (8 conn.)",
        _get("ratio_to_insert_ceiling_concurrent"),
        "x",
        "",
        None,
    ),
    ("signatures / publish ceiling", _get("ratio_to_publish_ceiling"), "x", "", None),
    ("hot petition signatures", _get("hot_petition", "signatures"), "", "", None),
    ("hot petition signatures/s", _get("hot_petition", "signatures_per_second"), "/s", "", None),
    (
        "hot petition steady (later half >= 0.8 x first)",
        _get("hot_petition", "steady"),
        "",
        "steady",
        lambda v: v is True,
    ),
    (
        "hot count read p99, first window",
        _get("hot_petition", "count_read_ms_first_window", "p99"),
        "ms",
        "",
        None,
    ),
    (
        "hot count read p99, last window",
        _get("hot_petition", "count_read_ms_last_window", "p99"),
        "ms",
        "",
        None,
    ),
    (
        "hot count read p99, at the end (idle)",
        _get("hot_petition", "count_read_ms_p99"),
        "ms",
        "",
        None,
    ),
    (
        "hot count reads constant-time",
        _get("hot_petition", "count_reads_constant"),
        "",
        "last <= 2 x first + 1 ms",
        lambda v: v is True,
    ),
    (
        "log leaves integrated/s (hot petition backlog)",
        _get("log_leaves_per_second"),
        "/s",
        ">= 1000 (keeps up with signing)",
        lambda v: v >= 1000,
    ),
    ("receipt proof ready p50", _get("receipt_proof_lag_ms", "p50"), "ms", "", None),
    (
        "receipt proof ready p99",
        _get("receipt_proof_lag_ms", "p99"),
        "ms",
        "<= 5000",
        lambda v: v <= 5000,
    ),
    ("recount (hub-verify) per million leaves", _get("recount_seconds_per_million"), "s", "", None),
    ("federated logins/s", _get("logins_per_second"), "/s", ">= 200", lambda v: v >= 200),
    ("token verification (warm)", _get("token_verify_us"), "us", "< 200", lambda v: v < 200),
]


def evaluate(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for label, read, unit, target, check in CHECKS:
        value = read(report)
        passed = None if check is None or value is None else bool(check(value))
        rows.append(
            {"figure": label, "value": value, "unit": unit, "target": target, "pass": passed}
        )
    for process, ms in sorted((_get("sustained", "cpu_ms_per_signature")(report) or {}).items()):
        rows.append(
            {
                "figure": f"CPU per signature, {process}",
                "value": ms,
                "unit": "ms",
                "target": "",
                "pass": None,
            }
        )
    for process, ms in sorted((report.get("cpu_ms_per_login") or {}).items()):
        rows.append(
            {
                "figure": f"CPU per login, {process}",
                "value": ms,
                "unit": "ms",
                "target": "",
                "pass": None,
            }
        )
    for process, mb in sorted((report.get("rss_mb") or {}).items()):
        rows.append(
            {
                "figure": f"peak RSS {process}",
                "value": mb,
                "unit": "MB",
                "target": "< 200",
                "pass": mb < 200,
            }
        )
    return rows


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(rows: list[dict[str, Any]], report: dict[str, Any] | None = None) -> str:
    lines = []
    machine = (report or {}).get("machine", {})
    load = machine.get("loadavg_at_start")
    if load and machine.get("cpus") and load[0] > machine["cpus"]:
        lines.append(
            f"WARNING: the machine was busy (load average {load[0]:.1f} on {machine['cpus']} CPUs "
            "at the start): the figures understate the hub; CPU per signature/login suffers less."
        )
    lines += [f"{'figure':<42} {'value':>14} {'unit':<4} {'target':<24} result", "-" * 94]
    for row in rows:
        result = {True: "PASS", False: "MISS", None: ""}[row["pass"]]
        lines.append(
            f"{row['figure']:<42} {_fmt(row['value']):>14} {row['unit']:<4} "
            f"{row['target']:<24} {result}"
        )
    missed = [r["figure"] for r in rows if r["pass"] is False]
    lines.append("-" * 94)
    lines.append("all targets met" if not missed else f"{len(missed)} target(s) missed")
    return "\n".join(lines)


def write(report: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    rows = evaluate(report)
    report["targets"] = rows
    report["targets_met"] = all(r["pass"] is not False for r in rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    return rows
