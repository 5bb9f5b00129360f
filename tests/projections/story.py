"""A story on one store: commands on a simulated clock, and the constants read-model tests share."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson

from domain.application import Coordination
from domain.base import Meta
from domain.clock import SimulatedClock
from domain.commands import Command, Receipt
from domain.application.settings import Settings
from domain.application.writer import execute
from projections.events import Fact, decode

BEIJING = timezone(timedelta(hours=8))
START = datetime(2026, 3, 1, 8, 0, tzinfo=BEIJING)
COMMANDER = Meta(actor="commander-1", role="commander", actor_name="王指挥")
SCHOOL = [104.06, 30.67]  # 南街社区第二网格 (51019900100102)
SQUARE = {"type": "Polygon", "coordinates": [[[104.05, 30.66], [104.07, 30.66], [104.07, 30.68], [104.05, 30.68], [104.05, 30.66]]]}
FAR_SQUARE = {"type": "Polygon", "coordinates": [[[104.20, 30.60], [104.22, 30.60], [104.22, 30.62], [104.20, 30.62], [104.20, 30.60]]]}


def unit_meta(unit: Any, role: str = "unit") -> Meta:
    return Meta(actor=f"{role}-of-{unit}", role=role, unit=str(unit))


@dataclass
class Story:
    """Commands on one store, on a simulated clock: `story.do("file_report", incident, new={...})`."""

    app: Coordination
    clock: SimulatedClock
    settings: Settings

    def do(self, name: str, target: Any = None, /, *, meta: Meta = COMMANDER, **args: Any) -> Receipt:
        return execute(self.app, Command(name, meta, args, target=str(target) if target is not None else None))

    def later(self, **delta: float) -> datetime:
        self.clock.advance(timedelta(**delta))
        return self.clock.now()

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def facts(self) -> list[Fact]:
        return decode(self.app, list(self.app.recorder.select_notifications(1, 1_000_000)))

    def incident(self, counts: dict[str, int] | None = None, location: list[float] = SCHOOL, **more: Any) -> str:
        return str(self.do("report_incident", kind="cluster", title="幼儿园聚集性疫情", location=location,
                           counts=counts or {}, **more).id)

    def unit(self, name: str = "县卫健局") -> str:
        return str(self.do("register_unit", name=name, kind="department", jurisdiction="510199").id)

    def task(self, lead: str, due: datetime, **more: Any) -> str:
        return str(self.do("assign_task", title="密接人员转运", lead=lead, due=due.isoformat(), **more).id)


def features_of(collection: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {f["properties"].get("id") or f["properties"]["code"]: f for f in collection["features"] if f["properties"]["kind"] == kind}


class Deltas:
    """What a broker subscriber receives, decoded: one message per event (or per tick)."""

    def __init__(self, broker: Any) -> None:
        self.messages: list[dict[str, Any]] = []
        broker.subscribe(lambda position, payload: self.messages.append(orjson.loads(payload)))

    def take(self) -> list[dict[str, Any]]:
        taken, self.messages = self.messages, []
        return taken

    def changes(self, layer: str, cause: str | None = None) -> list[dict[str, Any]]:
        """The changes to one layer since the last call, in order."""
        return [c for m in self.take() if cause in (None, m["cause"]) for c in m["changes"] if c["layer"] == layer]
