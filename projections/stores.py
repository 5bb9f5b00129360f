"""Where the read side keeps what it keeps, and the small helpers the runner shares with its callers.

`read_stores` opens the checkpoint stores and the audit trail (SQLite files under the projections
directory, or PostgreSQL tables); `FixedClock` holds a model at one moment (as-of, a finished drill);
`skip_actor` names who skipped a poisoned event.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain.clock import Clock
from projections.audit import AuditTrail
from projections.checkpoints import CheckpointStore
from projections.files import model_file

if TYPE_CHECKING:
    from domain.application.settings import Settings

MODELS = ("situation_map", "ledger")


class FixedClock(Clock):
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def skip_actor(skip: Any) -> str:
    meta = getattr(skip, "meta", None) or {}
    return str(meta.get("actor_name") or meta.get("actor") or "an operator")


def read_stores(settings: Settings, directory: Path) -> tuple[dict[str, Any], Any]:
    """Checkpoint stores and the audit trail: SQLite files under `directory`, or PostgreSQL tables."""
    if settings.database_url:
        from projections.postgres import PgAuditTrail, PgCheckpointStore

        stores = {name: PgCheckpointStore(settings.database_url, name, settings.checkpoint_every) for name in MODELS}
        return stores, PgAuditTrail(settings.database_url)
    stores = {name: CheckpointStore(model_file(directory, name), settings.checkpoint_every) for name in MODELS}
    return stores, AuditTrail(model_file(directory, "audit"))
