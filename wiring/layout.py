"""The store layout: which data directory is a drill store, and where a drill store keeps what is its own."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from domain.application.settings import Settings
from wiring.store_hosts import DRILL_DATABASE, check_database_host

DRILL_MARKER = "drill.json"
# A drill store whose events are in a PostgreSQL database of its own names it in DRILL_DATABASE (mode 0600): never
# in drill.json, which the API serves to every client, for the URL may carry a password.


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
