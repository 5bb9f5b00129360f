"""The situation map's clock: a zone's quiet days (无新增天数) change with the passing of time, not with an event.

Each zone not lifted is scheduled at the moment its quiet-day count next changes; `tick(now)` says which zones
changed by then. Mixed into the SituationMap, whose state, `now()` and `_zone_upsert` it uses.
"""
from __future__ import annotations

import heapq
from datetime import datetime, timedelta
from typing import Any

from projections import features as f


class QuietDays:
    state: dict[str, Any]
    _zone_heap: list[tuple[str, str]]
    _zone_days: dict[str, int]
    _unscheduled: dict[str, datetime]
    _uncounted: dict[str, datetime]

    # and, from the SituationMap it is mixed into: now() (ReadModel's) and _zone_upsert(z, now)

    def _schedule_zone(self, z: dict[str, Any]) -> None:
        self._unscheduled[z["id"]] = self.now()

    def _settled(self) -> None:
        """Schedule and count the zones asked for since the schedule was last read, each as of the moment it was
        asked (a zone's times change only with a call to schedule it, so its fields are those it had then)."""
        zones = self.state["zones"]
        for zid, now in self._uncounted.items():
            self._zone_days[zid] = f.quiet_days_of(zones[zid], now)
        for zid, now in self._unscheduled.items():
            self._push(zones[zid], now)
        self._uncounted.clear()
        self._unscheduled.clear()

    def _push(self, z: dict[str, Any], now: datetime) -> None:
        since = max(datetime.fromisoformat(z["last_case_at"]), datetime.fromisoformat(z["kind_since"]))
        days = max(0, int((now - since).total_seconds() // 86400))  # f.quiet_days_of(z, now)
        heapq.heappush(self._zone_heap, ((since + timedelta(days=days + 1)).isoformat(), z["id"]))

    def next_change(self) -> datetime | None:
        self._settled()
        return datetime.fromisoformat(self._zone_heap[0][0]) if self._zone_heap else None

    def tick(self, now: datetime) -> list[dict[str, Any]]:
        """Zones whose quiet-day count changed by the passing of time."""
        changes, seen = [], set()
        self._settled()
        while self._zone_heap and datetime.fromisoformat(self._zone_heap[0][0]) <= now:
            _, zid = heapq.heappop(self._zone_heap)
            z = self.state["zones"].get(zid)
            if z is None or z["lifted"] or zid in seen:
                continue
            seen.add(zid)
            if f.quiet_days_of(z, now) != self._zone_days.get(zid):
                changes += self._zone_upsert(z, now)
            self._unscheduled.pop(zid, None)
            self._push(z, self.now())  # at once, as this loop reads the schedule
        return changes

