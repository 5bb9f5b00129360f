"""Drill stores: a data directory of a drill's own, marked by drill.json; never the live store.

Its events are in its SQLite file, or in an empty PostgreSQL database of its own that the store's database.url
(mode 0600) names: never drill.json, which the API serves to clients. `drill_settings` reads it for every consumer.
"""
from __future__ import annotations

import json
import os
import secrets
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from domain.application import Coordination
from domain.application.eventstore import EVENTS_FILE, store_env
from domain.application.settings import Settings
from projections.events import Fact, decode
from wiring.layout import DRILL_MARKER, drill_database_url, drill_info, is_drill_store
from wiring.store_hosts import DRILL_DATABASE, RemoteStoreRefused, check_database_host, redacted

EXPECTATIONS = "expectations.json"
GEOGRAPHY = "geography.geojson"
EVENTS_TABLE = "coordination_events"  # eventsourcing's table of the Coordination application in PostgreSQL
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class DrillStoreError(Exception):
    """The target directory cannot take a drill."""


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


def default_store(slug: str, run: str, live: Settings) -> Path:
    """./var/drills/<slug>-<run> by default: beside the live store's files, never in them."""
    return Path(live.data_dir) / "drills" / f"{slug}-{run}"


def event_count(data_dir: Path) -> int:
    """How many events a store holds: in its database.url's database, or in its SQLite file."""
    url = drill_database_url(data_dir)
    if url:
        return _database_event_count(url)
    path = Path(data_dir) / EVENTS_FILE
    if not path.is_file():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        try:
            return db.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
        except sqlite3.OperationalError:  # no table yet
            return 0


def _database_event_count(url: str) -> int:
    with _connect(url) as db:
        if db.execute("SELECT to_regclass(%s)", (EVENTS_TABLE,)).fetchone()[0] is None:
            return 0
        return db.execute(f"SELECT count(*) FROM {EVENTS_TABLE}").fetchone()[0]  # noqa: S608


def _connect(url: str):  # noqa: ANN202
    import psycopg

    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=3)
    except psycopg.Error as error:
        said = str(error).strip()
        password = _password(url)
        for secret in {password, unquote(password or "")} - {None, ""}:
            said = said.replace(secret, "***")
        raise DrillStoreError(f"cannot reach the drill database {redacted(url)}: {said}") from None


def _password(url: str) -> str | None:
    try:
        return urlparse(url).password
    except ValueError:
        return None


def database_identity(url: str) -> tuple[str, int, str]:
    """(host, port, database name) as the store opens it (domain.application.eventstore.store_env); loopback names are one host."""
    parts = urlparse(url)
    host = (parts.hostname or "127.0.0.1").lower()
    return ("localhost" if host in LOOPBACK else host, parts.port or 5432, parts.path.lstrip("/") or "lianfang")


def check_database(url: str, live: Settings) -> None:
    """A drill's own PostgreSQL database: a postgresql:// URL, not the live database, reachable, and empty."""
    if urlparse(url).scheme not in ("postgresql", "postgres"):
        raise DrillStoreError(f"--database-url must be a postgresql://user:password@host:port/dbname URL, not {redacted(url)!r}")
    if live.database_url and database_identity(url) == database_identity(live.database_url):
        host, port, name = database_identity(url)
        raise DrillStoreError(f"database {name} on {host}:{port} is the live database (LIANFANG_DATABASE_URL); "
                              "a drill writes only into an empty database of its own (createdb one for it)")
    with _connect(url) as db:
        tables = [row[0] for row in db.execute(
            "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname !~ '^pg_(toast|temp)' ORDER BY 1")]
    if tables:
        shown = ", ".join(tables[:3]) + (f" and {len(tables) - 3} more" if len(tables) > 3 else "")
        raise DrillStoreError(f"the database {redacted(url)} is not empty (it holds {shown}); "
                              "a drill starts in an empty database of its own: createdb a new one")


def check_target(store: Path, live: Settings, database_url: str | None = None) -> None:
    """Refuse the live store, a store with events but no drill.json, a store that already holds a drill, and
    (with `database_url`) the live database or a database that is not empty."""
    if not live.database_url and Path(store).resolve() == Path(live.data_dir).resolve():
        raise DrillStoreError(f"{store} is the live store (LIANFANG_DATA_DIR); a drill writes only into a store of its own")
    count = event_count(store)
    if count:
        marker = drill_info(store)
        if marker is None:
            raise DrillStoreError(f"{store} holds {count} events and no {DRILL_MARKER}: it is not a drill store, and a drill never writes into one")
        raise DrillStoreError(f"{store} already holds drill run {marker.get('run')}; a drill starts in an empty store: choose another --store")
    if database_url:
        check_database(database_url, live)


def keep_database_url(store: Path, url: str | None) -> None:
    """Name the drill's own database in the store (mode 0600, owner only), or say it has none."""
    path = Path(store) / DRILL_DATABASE
    if url is None:
        path.unlink(missing_ok=True)
        return
    scratch = path.with_suffix(".tmp")
    scratch.unlink(missing_ok=True)
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(url + "\n")
    os.replace(scratch, path)


def write_json(path: Path, value: Any) -> None:
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(scratch, path)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def drill_settings(store: Path, geography: Path | None = None) -> Settings:
    """The live settings' thresholds, on the drill's own store: the PostgreSQL database its database.url
    names, else its embedded SQLite file; never the live database, never Redis (an in-process broker)."""
    return Settings(data_dir=Path(store), database_url=drill_database_url(store), redis_url=None, geography=geography)


class StoreMissing(Exception):
    """The directory holds no event store that may be read."""


def check_store_database(url: str, live: Settings) -> None:
    try:
        check_database_host(url, live)
    except RemoteStoreRefused as error:
        raise StoreMissing(str(error)) from None


def record_settings(store: Path, allow_remote_store: bool = False) -> Settings:
    """Whose record a path names. A drill store: its own (drill_settings). The live data directory the settings
    name: the live store as they have it (PostgreSQL when LIANFANG_DATABASE_URL is set). Any other directory: its
    own SQLite file, never the live record, so a mistyped or half-made drill store cannot show the live situation."""
    store = Path(store)
    if is_drill_store(store):
        own = drill_database_url(store)
        if own and not allow_remote_store:
            check_store_database(own, Settings())
        return drill_settings(store)
    live = Settings()
    if store.resolve() == Path(live.data_dir).resolve():
        return live.model_copy(update={"redis_url": None})
    if not store.is_dir():
        raise StoreMissing(f"{store} is not a directory: name a drill store or the live data directory")
    return Settings(data_dir=store, database_url=None, redis_url=None)


def read_facts(store: Path, allow_remote_store: bool = False) -> list[Fact]:
    """Every event of a store's log, decoded, in log order."""
    store = Path(store)
    settings = record_settings(store, allow_remote_store)
    if settings.database_url:
        try:  # unreachable: say so, with the URL's password left out
            _connect(settings.database_url).close()
        except DrillStoreError as error:
            raise StoreMissing(str(error)) from None
    elif not (store / EVENTS_FILE).is_file():
        raise StoreMissing(f"{store} holds no event store ({EVENTS_FILE}); for the live store on PostgreSQL, name the live data "
                           "directory with LIANFANG_DATABASE_URL set")
    app = Coordination(store_env(settings, store))
    try:
        facts: list[Fact] = []
        position = 0
        while notifications := app.recorder.select_notifications(position + 1, 2000):
            facts += decode(app, list(notifications))
            position = notifications[-1].id
        return facts
    finally:
        app.close()
