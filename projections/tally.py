"""Per-jurisdiction totals of open incidents, kept as incidents change instead of recounted.

Recounting every incident for every jurisdiction on every incident event made catching up
quadratic in the number of incidents. Each incident's last contribution is remembered, so a
change takes it out and puts the new one in, along the jurisdiction's chain only.
"""
from __future__ import annotations

from typing import Any

from domain.terms import LEVEL_RANKS

COUNT_KEYS = ("confirmed", "suspected", "asymptomatic", "close_contacts")


class JurisdictionTally:
    def __init__(self) -> None:
        self._open: dict[str, int] = {}
        self._cases: dict[str, list[int]] = {}
        self._levels: dict[str, dict[str, int]] = {}
        self._counted: dict[str, tuple[list[str], tuple[int, ...], str | None]] = {}

    def count(self, incident: dict[str, Any], chain: list[str]) -> None:
        """(Re)count one incident: open ones add to every jurisdiction of their chain, closed ones to none."""
        before = self._counted.pop(incident["id"], None)
        if before:
            self._add(*before, sign=-1)
        if incident["status"] == "open":
            now = (chain, tuple(incident["counts"].get(k, 0) for k in COUNT_KEYS), incident["level"])
            self._add(*now, sign=1)
            self._counted[incident["id"]] = now

    def _add(self, chain: list[str], cases: tuple[int, ...], level: str | None, sign: int) -> None:
        for code in chain:
            self._open[code] = self._open.get(code, 0) + sign
            totals = self._cases.setdefault(code, [0] * len(COUNT_KEYS))
            for i, n in enumerate(cases):
                totals[i] += sign * n
            if level:
                levels = self._levels.setdefault(code, {})
                levels[level] = levels.get(level, 0) + sign

    def status(self, code: str) -> tuple[str | None, dict[str, int], int]:
        """(worst level, case totals, number of open incidents) inside the jurisdiction."""
        levels = [level for level, n in self._levels.get(code, {}).items() if n > 0]
        worst = max(levels, key=LEVEL_RANKS.__getitem__) if levels else None
        return worst, dict(zip(COUNT_KEYS, self._cases.get(code, [0] * len(COUNT_KEYS)))), self._open.get(code, 0)


def map_counts(s: dict[str, Any]) -> dict[str, Any]:
    """The numbers a drill's `expect` checks, from the situation map's state: open incidents, zones, dispatches, cases."""
    zones: dict[str, int] = {}
    for z in s["zones"].values():
        if not z["lifted"]:
            zones[z["kind"]] = zones.get(z["kind"], 0) + 1
    dispatches: dict[str, int] = {}
    for d in s["dispatches"].values():
        dispatches[d["state"]] = dispatches.get(d["state"], 0) + 1
    cases = dict.fromkeys(COUNT_KEYS, 0)  # plain sums: this runs over 50,000 incidents per snapshot
    open_incidents = 0
    for i in s["incidents"].values():
        if i["status"] == "open":
            open_incidents += 1
            counted = i["counts"]
            for key in COUNT_KEYS:
                cases[key] += counted.get(key, 0)
    return {"open_incidents": open_incidents, "zones": zones, "dispatches": dispatches, "cases": cases}


class StatusAt:
    """The jurisdictions' status as a detached map saw it."""

    def __init__(self, statuses: dict[str, tuple[str | None, dict[str, int], int]]) -> None:
        self._statuses = statuses

    def status(self, code: str) -> tuple[str | None, dict[str, int], int]:
        return self._statuses[code]
