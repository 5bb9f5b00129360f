"""The composition root: everything one process runs on, built from Settings: store, writer, read side, broker."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from domain.application import Coordination
from domain.clock import Clock
from domain.application.eventstore import CommitSignal, listen_for_commits, store_env
from domain.application.settings import Settings
from domain.application.writer import Writer
from projections.broker import Broker
from projections.geography import Geography
from projections.runner import FixedClock, Projections
from wiring.broker import make_broker
from wiring.layout import drill_database_url, drill_info

log = logging.getLogger("lianfang")


@dataclass
class Wiring:
    settings: Settings
    app: Coordination
    signal: CommitSignal
    writer: Writer
    projections: Projections
    broker: Broker
    geography: Geography
    drill: dict[str, Any] | None

    @classmethod
    def build(cls, settings: Settings, *, clock: Clock | None = None, broker: Broker | None = None,
              app: Coordination | None = None, geography: Geography | None = None,
              drill: dict[str, Any] | None = None) -> Self:
        """`app`, `geography` and `drill` (its marker, shared with whoever updates it) for a drill being served."""
        data_dir = Path(settings.data_dir)
        drill = drill if drill is not None else drill_info(data_dir)
        own_database = drill_database_url(data_dir)
        if own_database:  # a drill store on PostgreSQL: its own database, its own in-process broker
            settings = settings.model_copy(update={"database_url": own_database, "redis_url": None})
        clock = clock or Clock()
        app = app or Coordination(store_env(settings, data_dir), clock=clock)
        signal = CommitSignal()
        geography = geography or Geography.load(settings.geography_file)
        broker = broker or make_broker(settings)
        finished = drill and drill.get("end") and drill.get("status", "completed") != "running"
        view_clock = FixedClock(datetime.fromisoformat(drill["end"])) if finished else clock
        # Scale-out: the projection worker keeps the durable read models and publishes to Redis;
        # this process follows the log into memory for its own queries. A drill store has no worker.
        projections = Projections(
            app, settings, geography, data_dir / "projections", signal=signal, clock=view_clock,
            broker=None if settings.redis_url else broker, writes=not settings.database_url or bool(own_database),
        )
        wiring = cls(settings, app, signal, Writer(app, signal, settings.batch_max), projections, broker, geography, drill)
        wiring.writer.places = lambda: wiring.geography  # the policy checks places against the jurisdictions in force
        return wiring

    def start(self) -> Self:
        self.projections.listeners.append(self._follow_geography)
        if self.settings.database_url:
            self._listening = threading.Event()
            listen_for_commits(self.app, self.settings.database_url, self.signal, self._listening)
        self.writer.start()
        self.projections.catch_up()
        self.geography = self.projections.map.geography
        self.projections.start()
        log.info("store at %s; read side at position %d", self.settings.data_dir, self.projections.position)
        return self

    def _follow_geography(self, fact: Any) -> None:
        """Jurisdictions a county's setup drew are in force for the checks (a field team's home) from then on."""
        if fact.type in ("JurisdictionDrawn", "JurisdictionErased"):
            self.geography = self.projections.map.geography

    def stop(self) -> None:
        if getattr(self, "_listening", None) is not None:
            self._listening.set()
        self.writer.stop()
        self.projections.stop()
        self.broker.close()
        self.app.close()
