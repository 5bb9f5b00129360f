"""Everything one server process runs on, built from Settings: store, writer, read side, broker."""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.auth import TokenCache
from api.store_hosts import DRILL_DATABASE, check_database_host
from domain.application import Coordination
from domain.clock import Clock
from domain.eventstore import CommitSignal, store_env
from domain.settings import Settings
from domain.writer import Writer
from projections.broker import Broker, make_broker
from projections.geography import Geography
from projections.runner import FixedClock, Projections

log = logging.getLogger("lianfang")
DRILL_MARKER = "drill.json"
# A drill store whose events are in a PostgreSQL database of its own names it here (mode 0600): never in
# drill.json, which the API serves to every client, for the URL may carry a password.


def drill_info(data_dir: Path) -> dict[str, Any] | None:
    """A drill store says so in a marker file; its map shows the exercise banner."""
    marker = Path(data_dir) / DRILL_MARKER
    return json.loads(marker.read_text()) if marker.is_file() else None


def drill_database_url(data_dir: Path) -> str | None:
    """The drill store's own PostgreSQL database, or None: its events are in its embedded SQLite file."""
    path = Path(data_dir) / DRILL_DATABASE
    return (path.read_text(encoding="utf-8").strip() or None) if path.is_file() else None


def is_drill_store(data_dir: Path) -> bool:
    return (Path(data_dir) / DRILL_MARKER).is_file() or (Path(data_dir) / DRILL_DATABASE).is_file()


def drill_store_settings(settings: Settings, allow_remote_store: bool = False) -> Settings:
    """Settings on a drill store's own event store when `settings.data_dir` is one (its database.url, else its
    SQLite file; never the live database, never the live Redis); otherwise `settings` as they are. A database.url
    naming neither this machine nor the live database's host is RemoteStoreRefused unless allowed."""
    if not is_drill_store(settings.data_dir):
        return settings
    own = drill_database_url(settings.data_dir)
    if own and not allow_remote_store:
        check_database_host(own, settings)
    return settings.model_copy(update={"database_url": own, "redis_url": None})


@dataclass
class Runtime:
    settings: Settings
    app: Coordination
    signal: CommitSignal
    writer: Writer
    projections: Projections
    broker: Broker
    geography: Geography
    drill: dict[str, Any] | None
    tokens: TokenCache = field(default_factory=TokenCache)
    exercise: Any = None  # `serve --demo`: the bundled drill played beside the live store (api/demo_drill.py)

    @classmethod
    def build(cls, settings: Settings, *, clock: Clock | None = None, broker: Broker | None = None) -> Runtime:
        data_dir = Path(settings.data_dir)
        drill = drill_info(data_dir)
        own_database = drill_database_url(data_dir)
        if own_database:  # a drill store on PostgreSQL: its own database, its own in-process broker
            settings = settings.model_copy(update={"database_url": own_database, "redis_url": None})
        clock = clock or Clock()
        app = Coordination(store_env(settings, data_dir), clock=clock)
        signal = CommitSignal()
        geography = Geography.load(settings.geography_file)
        broker = broker or make_broker(settings)
        finished = drill and drill.get("end") and drill.get("status", "completed") != "running"
        view_clock = FixedClock(_end_of(drill)) if finished else clock
        # Scale-out: the projection worker keeps the durable read models and publishes to Redis;
        # this process follows the log into memory for its own queries. A drill store has no worker.
        projections = Projections(
            app, settings, geography, data_dir / "projections", signal=signal, clock=view_clock,
            broker=None if settings.redis_url else broker, writes=not settings.database_url or bool(own_database),
        )
        writer = Writer(app, signal, settings.batch_max)
        return cls(settings, app, signal, writer, projections, broker, geography, drill)

    def start(self) -> Runtime:
        tokens = self.tokens  # a revocation seen in the log drops the token from the cache at once
        self.projections.listeners.append(lambda fact: tokens.forget(fact.thing) if fact.type == "TokenRevoked" else None)
        self.projections.listeners.append(self._follow_geography)
        if self.settings.database_url:
            from domain.eventstore import listen_for_commits

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


def _end_of(drill: dict[str, Any]) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(drill["end"])

