"""Building blocks of the hub's Grafana dashboards: panels, rows, variables, PromQL helpers."""

from __future__ import annotations

from typing import Any

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
