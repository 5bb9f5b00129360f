"""Read stores written before the one read-store interface open unchanged: their positions become tracking rows."""
from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from projections.audit import COLUMNS, AuditTrail

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def old_entry(position: int, digest: str) -> tuple[Any, ...]:
    row = dict.fromkeys(COLUMNS) | {"position": position, "recorded_at": T0.isoformat(), "thing": "t", "type": "IncidentReported",
                                    "version": position, "hash": digest}
    return tuple(row[c] for c in COLUMNS)


def test_an_audit_file_written_with_its_own_tracking_table_opens_at_its_position(tmp_path: Path) -> None:
    # An audit file as the code before this interface wrote it: entries, and (name, position, head) in `tracking`.
    path = tmp_path / "audit.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"CREATE TABLE entries ({', '.join(COLUMNS)}, PRIMARY KEY (position))")
    db.execute("CREATE TABLE tracking (name TEXT PRIMARY KEY, position INTEGER, head BLOB)")
    db.executemany(f"INSERT INTO entries VALUES ({', '.join('?' * len(COLUMNS))})", [old_entry(1, "ab" * 32), old_entry(2, "cd" * 32)])
    db.execute("INSERT INTO tracking VALUES ('audit', 2, ?)", (bytes.fromhex("cd" * 32),))
    db.commit()
    db.close()
    # Opened now: the same entries, at the same position and chain head, the position tracked by the recorder.
    trail = AuditTrail(path)
    try:
        assert (trail.position, trail._head) == (2, bytes.fromhex("cd" * 32))  # noqa: SLF001
        assert trail.max_tracking_id("audit") == 2
        assert [e["position"] for e in trail.query()] == [1, 2]
    finally:
        trail.close()
    # And again: the migration ran once, the file stays as it now is.
    assert AuditTrail(path).max_tracking_id("audit") == 2


def test_postgresql_read_stores_written_with_their_own_tracking_tables_open_at_their_positions(postgres_dsn: str) -> None:
    from projections.postgres import PgAuditTrail, PgCheckpointStore

    # The tables as the code before this interface created them, with a checkpoint at 5 and the trail at 2.
    with psycopg.connect(postgres_dsn, autocommit=True) as db:
        db.execute("CREATE TABLE lf_checkpoints_ledger (position BIGINT PRIMARY KEY, at TIMESTAMPTZ, head BOOLEAN, state BYTEA)")
        db.execute("CREATE TABLE lf_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL)")
        db.execute("INSERT INTO lf_checkpoints_ledger VALUES (5, %s, true, %s)", (T0, b"state at 5"))
        db.execute("INSERT INTO lf_tracking VALUES ('ledger', 5)")
        columns = ", ".join(f"{c} {'BIGINT' if c in ('position', 'version') else 'TEXT'}" for c in COLUMNS)
        db.execute(f"CREATE TABLE lf_audit ({columns}, PRIMARY KEY (position))")
        db.execute("CREATE TABLE lf_audit_head (name TEXT PRIMARY KEY, position BIGINT, head BYTEA)")
        with db.cursor() as cur:
            cur.executemany(f"INSERT INTO lf_audit VALUES ({', '.join(['%s'] * len(COLUMNS))})", [old_entry(1, "ab" * 32), old_entry(2, "cd" * 32)])
        db.execute("INSERT INTO lf_audit_head VALUES ('audit', 2, %s)", (bytes.fromhex("cd" * 32),))
    # Opened now: the same rows at the same positions, tracked in the recorder's table; the old tables are gone.
    store, trail = PgCheckpointStore(postgres_dsn, "ledger", every=10), PgAuditTrail(postgres_dsn)
    try:
        assert (store.position(), store.latest(), store.latest_at_or_before(T0)) == (5, b"state at 5", b"state at 5")
        assert (trail.position, trail._head, trail.max_tracking_id("audit")) == (2, bytes.fromhex("cd" * 32), 2)  # noqa: SLF001
        store.save(6, T0, b"state at 6")
        with pytest.raises(Exception, match="tracking"):
            store.save(6, T0, b"again")
    finally:
        store.close()
        trail.close()
    with psycopg.connect(postgres_dsn, autocommit=True) as db:
        left = db.execute("SELECT to_regclass('lf_tracking'), to_regclass('lf_audit_head')").fetchone()
    assert left == (None, None)
