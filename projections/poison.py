"""Poisoned events: a stored event that a read model cannot take stops that model, never the worker.

The model stays at the position before the event; the others keep running. Each halt is logged with its
position, shown in /healthz (and, in scale-out mode, kept in PostgreSQL for every API process to show),
and lasts until an operator skips the event (`lianfang projections skip POSITION --reason …`), which
records an `EventSkipped` event; the model then resumes past it.
"""
from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from eventsourcing.application import AggregateNotFoundError

from domain.skip import skip_id

if TYPE_CHECKING:
    from domain.application import Coordination

log = logging.getLogger("lianfang.projections")
TABLE = "lf_projection_halts"


@dataclass
class Halt:
    """A read model stopped before the event at `position`, which it could not take."""

    model: str
    position: int
    error: str
    since: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "skip": f"lianfang projections skip {self.position} --reason '…'"}


def describe(error: BaseException) -> str:
    """The error in one line that any store can hold (an error may quote the poisoned text)."""
    text = f"{type(error).__name__}: {error}"
    return re.sub(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]", lambda m: f"\\x{ord(m.group()):02x}", text)[:500]


def skip_of(app: Coordination, position: int) -> Any:
    """The operator's decision to skip the event at `position`, if there is one."""
    try:
        return app.repository.get(skip_id(position))
    except AggregateNotFoundError:
        return None


def halt(model: str, position: int, error: BaseException) -> Halt:
    found = Halt(model, position, describe(error))
    log.error("read model %s cannot take the event at position %d (%s); it stops there, the others go on. "
              "Fix the code and restart, or skip it: lianfang projections skip %d --reason …",
              model, position, found.error, position, exc_info=error)
    return found


def publish(dsn: str, halts: dict[str, Halt]) -> None:
    """Scale-out: the worker's halts, for /healthz of every API process."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as db, db.transaction():
        db.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (model TEXT PRIMARY KEY, position BIGINT, error TEXT, since TEXT)")
        db.execute(f"DELETE FROM {TABLE}")  # noqa: S608
        for h in halts.values():
            db.execute(f"INSERT INTO {TABLE} VALUES (%s, %s, %s, %s)", (h.model, h.position, h.error, h.since))  # noqa: S608


def published(dsn: str) -> list[dict[str, Any]]:
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(dsn, autocommit=True, connect_timeout=2, row_factory=dict_row) as db:
        if not db.execute("SELECT to_regclass(%s) AS t", (TABLE,)).fetchone()["t"]:
            return []
        rows = db.execute(f"SELECT model, position, error, since FROM {TABLE} ORDER BY model").fetchall()  # noqa: S608
    return [Halt(**row).as_dict() for row in rows]
