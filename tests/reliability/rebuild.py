"""Read models rebuilt from position 0 in the test process, to compare with what a server shows."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.application import Coordination
from domain.application.eventstore import store_env
from domain.application.settings import Settings
from projections.audit import AuditTrail
from projections.events import decode
from projections.geography import Geography
from projections.ledger import Ledger
from projections.situation_map import SituationMap

TIMELY = ("colour", "reason", "reason_en")  # a ledger row's fields that depend on the clock, not the log


@dataclass
class Rebuilt:
    map: SituationMap
    ledger: Ledger
    audit: list[dict[str, Any]]
    head: int


def rebuild_from_zero(settings: Settings, scratch: Path, batch: int = 2000) -> Rebuilt:
    """Every read model, from an empty state, over the whole log as it is stored now."""
    app = Coordination(store_env(settings))
    situation = SituationMap(Geography.load(settings.geography_file),
                             {"sealed": settings.sealed_quiet_days, "controlled": settings.controlled_quiet_days})
    ledger = Ledger(settings.due_soon_hours, settings.silence_hours)
    trail = AuditTrail(scratch)
    position = 0
    try:
        while notifications := app.recorder.select_notifications(position + 1, batch):
            facts = decode(app, list(notifications))
            trail.append(facts)
            for fact in facts:
                situation.apply(fact)
                ledger.apply(fact)
            position = facts[-1].position
        return Rebuilt(situation, ledger, trail.query(limit=10**9), position)
    finally:
        trail.close()
        app.close()


def ledger_rows_without_time(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["id"]: {k: v for k, v in r.items() if k not in TIMELY} for r in rows}
