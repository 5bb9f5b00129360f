"""Per-unit indicators (考评指标) for the annual evaluation, derived from the ledger and the map."""
from __future__ import annotations

from datetime import datetime
from statistics import median
from typing import Any


def _minutes(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 60


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(median(present), 1) if present else None


def indicators(tasks: list[dict[str, Any]], dispatches: list[dict[str, Any]], units: dict[str, str]) -> list[dict[str, Any]]:
    """One row per unit: tasks led and how they went, median minutes to claim / progress / close, dispatch times."""
    rows: dict[str, dict[str, Any]] = {}

    def row(unit: str) -> dict[str, Any]:
        return rows.setdefault(unit, {
            "unit": unit, "name": units.get(unit, unit), "tasks_assigned": 0, "tasks_claimed": 0,
            "completed_on_time": 0, "completed_late": 0, "refused": 0, "overdue_open": 0,
            "_claim": [], "_progress": [], "_close": [], "_commit": [], "_arrive": [], "dispatches": 0,
        })

    for t in tasks:
        r = row(t["lead"])
        r["tasks_assigned"] += 1
        r["tasks_claimed"] += t["claimed_at"] is not None
        r["refused"] += t["state"] == "refused"
        if t["state"] == "completed":
            on_time = datetime.fromisoformat(t["completed_at"]) <= datetime.fromisoformat(t["due"])
            r["completed_on_time" if on_time else "completed_late"] += 1
        elif t["overdue"]:  # past due and still open; red for an unanswered notice alone is not overdue
            r["overdue_open"] += 1
        r["_claim"].append(_minutes(t["assigned_at"], t["claimed_at"]))
        r["_progress"].append(_minutes(t["assigned_at"], t["first_progress_at"]))
        r["_close"].append(_minutes(t["assigned_at"], t["completed_at"]))
    for d in dispatches:
        if not d.get("resource_unit"):
            continue
        r = row(d["resource_unit"])
        r["dispatches"] += 1
        r["_commit"].append(_minutes(d["times"].get("requested"), d["times"].get("committed")))
        r["_arrive"].append(_minutes(d["times"].get("requested"), d["times"].get("on_scene")))
    result = []
    for r in rows.values():
        r["median_minutes_to_claim"] = _median(r.pop("_claim"))
        r["median_minutes_to_first_progress"] = _median(r.pop("_progress"))
        r["median_minutes_to_complete"] = _median(r.pop("_close"))
        r["median_minutes_request_to_commit"] = _median(r.pop("_commit"))
        r["median_minutes_request_to_arrival"] = _median(r.pop("_arrive"))
        result.append(r)
    return sorted(result, key=lambda r: r["name"])
