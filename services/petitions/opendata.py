"""Open data: public petitions and their counts, never who created or signed them."""

from __future__ import annotations

import json
from typing import Any

CSV_COLUMNS = (
    "id",
    "title",
    "status",
    "published_at",
    "deadline",
    "closed_at",
    "signature_count",
    "signatures_by_departement",
)


def csv_rows(items: list[dict[str, Any]]) -> list[list[Any]]:
    rows: list[list[Any]] = [list(CSV_COLUMNS)]
    for item in items:
        row = [item[c] for c in CSV_COLUMNS]
        row[-1] = json.dumps(item["signatures_by_departement"], sort_keys=True)
        rows.append([_cell(v) for v in row])
    return rows


def _cell(value: Any) -> Any:
    """Keep spreadsheets from running a title as a formula (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
