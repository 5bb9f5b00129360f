"""Drill stores: a data directory of a drill's own, marked by drill.json; never the live store."""
from __future__ import annotations

import json
import os
import secrets
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from api.runtime import DRILL_MARKER, drill_info
from domain.application import Coordination
from domain.eventstore import EVENTS_FILE, store_env
from domain.settings import Settings
from projections.events import Fact, decode

EXPECTATIONS = "expectations.json"
GEOGRAPHY = "geography.geojson"


class DrillStoreError(Exception):
    """The target directory cannot take a drill."""


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


def default_store(slug: str, run: str, live: Settings) -> Path:
    """./var/drills/<slug>-<run> by default: beside the live store's files, never in them."""
    return Path(live.data_dir) / "drills" / f"{slug}-{run}"


def event_count(data_dir: Path) -> int:
    path = Path(data_dir) / EVENTS_FILE
    if not path.is_file():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        try:
            return db.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
        except sqlite3.OperationalError:  # no table yet
            return 0


def check_target(store: Path, live: Settings) -> None:
    """Refuse the live store, a store with events but no drill.json, and a store that already holds a drill."""
    if not live.database_url and Path(store).resolve() == Path(live.data_dir).resolve():
        raise DrillStoreError(f"{store} is the live store (LIANFANG_DATA_DIR); a drill writes only into a store of its own")
    count = event_count(store)
    if not count:
        return
    marker = drill_info(store)
    if marker is None:
        raise DrillStoreError(f"{store} holds {count} events and no {DRILL_MARKER}: it is not a drill store, and a drill never writes into one")
    raise DrillStoreError(f"{store} already holds drill run {marker.get('run')}; a drill starts in an empty store: choose another --store")


def write_json(path: Path, value: Any) -> None:
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(scratch, path)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def drill_settings(store: Path, geography: Path) -> Settings:
    """The live settings' thresholds, on the drill's own embedded store (never PostgreSQL or Redis)."""
    return Settings(data_dir=Path(store), database_url=None, redis_url=None, geography=geography)


class StoreMissing(Exception):
    """The directory holds no event store."""


def read_facts(store: Path) -> list[Fact]:
    """Every event of a store's log, decoded, in log order."""
    store = Path(store)
    if not (store / EVENTS_FILE).is_file():
        raise StoreMissing(f"{store} holds no event store ({EVENTS_FILE})")
    app = Coordination(store_env(Settings(data_dir=store, database_url=None), store))
    try:
        facts: list[Fact] = []
        position = 0
        while notifications := app.recorder.select_notifications(position + 1, 2000):
            facts += decode(app, list(notifications))
            position = notifications[-1].id
        return facts
    finally:
        app.close()
