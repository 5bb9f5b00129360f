"""Online backup and restore of a Lianfang store: the copying itself, and the manifest that checks it.

Embedded mode: every SQLite file under the data directory is copied with SQLite's online backup API
(a consistent snapshot while the server writes). Read models and the audit trail are copied FIRST and
each event store LAST, so no read model in the backup is newer than its log: on start the restored
server resumes each read model from its own checkpoint and catches up to the log's head.

Scale-out mode: `pg_dump --format=custom` of the database (one consistent snapshot: the log, the
checkpoints, the read models and the audit trail together). Redis holds only the live fan-out of
deltas, nothing durable: it is not backed up.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from domain.application.eventstore import EVENTS_FILE

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
SKIPPED_SUFFIXES = ("-wal", "-shm", "-journal", ".tmp")
REDIS_NOTE = "Redis holds only the live fan-out of deltas (nothing durable); it is not part of the backup."


class BackupError(Exception):
    """A backup or restore that cannot proceed; the message says why and what to do."""


@dataclass
class Outcome:
    manifest: dict[str, Any]
    directory: Path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_empty(directory: Path) -> bool:
    return not directory.exists() or (directory.is_dir() and not any(directory.iterdir()))


def _prepare_destination(dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise BackupError(f"{dest} is a file: give a new or empty directory for the backup")
    if not is_empty(dest):
        raise BackupError(f"{dest} is not empty: give a new or empty directory for the backup")
    dest.mkdir(parents=True, exist_ok=True)


def _sqlite_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # one step: a consistent snapshot even while the server commits
            dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
        finally:
            dst.close()
    finally:
        src.close()


def _events_in(path: Path) -> dict[str, int]:
    """The log position (highest notification id) and the event count of a copied event store."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        table = next((t for t in tables if t.endswith("_events") or t == "stored_events"), None)
        if table is None:
            return {"position": 0, "events": 0}
        position, count = db.execute(f"SELECT COALESCE(MAX(rowid), 0), COUNT(*) FROM {table}").fetchone()  # noqa: S608
    return {"position": int(position), "events": int(count)}


def backup_embedded(data_dir: Path, dest: Path) -> Outcome:
    data_dir = Path(data_dir)
    if not (data_dir / EVENTS_FILE).is_file():
        raise BackupError(f"no event store at {data_dir / EVENTS_FILE}: is --data-dir the server's data directory?")
    _prepare_destination(dest)
    files = sorted(p for p in data_dir.rglob("*") if p.is_file() and not p.name.endswith(SKIPPED_SUFFIXES))
    sqlite_files = [p for p in files if p.suffix == ".sqlite"]
    # Read models and audit trails first, event stores last: the log in the backup is never behind them.
    ordered = [p for p in sqlite_files if p.name != EVENTS_FILE] + [p for p in sqlite_files if p.name == EVENTS_FILE]
    for path in ordered:
        _sqlite_copy(path, dest / path.relative_to(data_dir))
    for path in files:
        if path.suffix != ".sqlite":
            (dest / path.relative_to(data_dir)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / path.relative_to(data_dir))
    log = _events_in(dest / EVENTS_FILE)
    manifest = _manifest("embedded", dest, log, source=str(data_dir.resolve()),
                         note="Event stores copied last; read models are never newer than their log and catch up "
                              "on start. " + REDIS_NOTE)
    return Outcome(manifest, dest)


def _manifest(mode: str, dest: Path, log: dict[str, int], **extra: Any) -> dict[str, Any]:
    manifest = {
        "format": FORMAT,
        "kind": "lianfang-backup",
        "mode": mode,
        "created_at": datetime.now(timezone.utc).isoformat(),
        **log,
        "files": {str(p.relative_to(dest)): {"sha256": sha256(p), "bytes": p.stat().st_size}
                  for p in sorted(dest.rglob("*")) if p.is_file() and p.name != MANIFEST},
        **extra,
    }
    scratch = dest / (MANIFEST + ".tmp")
    scratch.write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    scratch.replace(dest / MANIFEST)
    return manifest


def read_manifest(src: Path) -> dict[str, Any]:
    """The manifest of a backup, with every file's checksum checked."""
    path = Path(src) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{src} is not a Lianfang backup: it has no {MANIFEST}")
    try:
        manifest = json.loads(path.read_text())
    except ValueError as error:
        raise BackupError(f"{path} is not valid JSON ({error}): the backup is damaged") from error
    if manifest.get("kind") != "lianfang-backup" or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: format {manifest.get('format')!r} is not one this version restores (format {FORMAT})")
    for name, meta in manifest.get("files", {}).items():
        file = Path(src) / name
        if not file.is_file():
            raise BackupError(f"the backup is incomplete: {name} is missing")
        if sha256(file) != meta["sha256"]:
            raise BackupError(f"the backup is damaged: {name} does not match its sha256 in the manifest")
    return manifest


def restore_embedded(src: Path, data_dir: Path, manifest: dict[str, Any]) -> None:
    data_dir = Path(data_dir)
    if manifest["mode"] != "embedded":
        raise BackupError(f"this backup was taken in {manifest['mode']} mode: restore it with LIANFANG_DATABASE_URL set")
    if data_dir.exists() and not data_dir.is_dir():
        raise BackupError(f"{data_dir} is a file, not a data directory")
    if not is_empty(data_dir):
        raise BackupError(f"{data_dir} is not empty: restore only into a new or empty data directory "
                          "(move the current one aside first)")
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in manifest["files"]:
        target = data_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(src) / name, target)


# --- scale-out: PostgreSQL -------------------------------------------------------------------------

def _pg_tool(database_url: str, tool: str) -> str:
    """Debian's pg_dump/pg_restore matching the server's major version (older tools refuse newer servers)."""
    import psycopg

    try:
        with psycopg.connect(database_url, connect_timeout=5) as conn:
            major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    except psycopg.Error as error:
        raise BackupError(f"cannot reach PostgreSQL at LIANFANG_DATABASE_URL: {error}".strip()) from error
    candidate = Path(f"/usr/lib/postgresql/{major}/bin/{tool}")
    if candidate.is_file():
        return str(candidate)
    found = shutil.which(tool)
    if found:
        return found
    raise BackupError(f"{tool} for PostgreSQL {major} is not installed (apt-get install postgresql-client-{major})")


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _tables(database_url: str) -> list[str]:
    import psycopg

    with psycopg.connect(database_url, connect_timeout=5) as conn:
        rows = conn.execute("SELECT schemaname || '.' || tablename FROM pg_tables "
                            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')").fetchall()
    return sorted(r[0] for r in rows)


def _pg_events(database_url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(database_url, connect_timeout=5) as conn:
        tables = [t for t in _tables(database_url) if t.endswith("_events")]
        if not tables:
            return {"position": 0, "events": 0}
        row = conn.execute(f"SELECT COALESCE(MAX(notification_id), 0), COUNT(*) FROM {tables[0]}").fetchone()  # noqa: S608
    return {"position": int(row[0]), "events": int(row[1])}


def backup_postgres(database_url: str, dest: Path) -> Outcome:
    """pg_dump in custom format, from a snapshot exported here: the manifest's log position is the dump's."""
    import psycopg

    pg_dump = _pg_tool(database_url, "pg_dump")
    _prepare_destination(dest)
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        tables = [t for t in _tables(database_url) if t.endswith("_events")]
        log = {"position": 0, "events": 0}
        if tables:
            row = conn.execute(f"SELECT COALESCE(MAX(notification_id), 0), COUNT(*) FROM {tables[0]}").fetchone()  # noqa: S608
            log = {"position": int(row[0]), "events": int(row[1])}
        _run([pg_dump, "--format=custom", "--no-owner", f"--snapshot={snapshot}", "--file", str(dest / DUMP),
              "--dbname", database_url])
        conn.rollback()
    manifest = _manifest("scaleout", dest, log, database=_safe_url(database_url), note=REDIS_NOTE)
    return Outcome(manifest, dest)


def restore_postgres(src: Path, database_url: str, manifest: dict[str, Any]) -> dict[str, int]:
    if manifest["mode"] != "scaleout":
        raise BackupError("this backup was taken in embedded mode: restore it without LIANFANG_DATABASE_URL")
    pg_restore = _pg_tool(database_url, "pg_restore")
    existing = _tables(database_url)
    if existing:
        raise BackupError(f"the database is not empty ({len(existing)} tables, e.g. {existing[0]}): "
                          "restore only into a new, empty database")
    _run([pg_restore, "--no-owner", "--exit-on-error", "--dbname", database_url, str(Path(src) / DUMP)])
    return _pg_events(database_url)


def _safe_url(url: str) -> str:
    from urllib.parse import urlparse

    parts = urlparse(url)
    host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    return f"{parts.scheme}://{parts.username or ''}@{host}{parts.path}"
