"""Read models in PostgreSQL (scale-out mode): checkpoints and the audit trail, same interfaces as SQLite.

Several API processes and projection workers share one database; table names carry the model name.
"""
from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from projections.audit import COLUMNS, GENESIS, AuditTrail, within
from projections.checkpoints import to_forget
from projections.events import Fact


def connect(dsn: str) -> psycopg.Connection[Any]:
    return psycopg.connect(dsn, autocommit=True, row_factory=dict_row, connect_timeout=3)


class PgCheckpointStore:
    def __init__(self, dsn: str, name: str, every: int) -> None:
        self.dsn, self.name, self.every = dsn, name, every
        self.table = f"lf_checkpoints_{name}"
        self._db = connect(dsn)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (position BIGINT PRIMARY KEY, at TIMESTAMPTZ, head BOOLEAN, state BYTEA)")
            self._db.execute("CREATE TABLE IF NOT EXISTS lf_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL)")

    def position(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT position FROM lf_tracking WHERE name=%s", (self.name,)).fetchone()
        return row["position"] if row else 0

    def save(self, position: int, at: datetime | None, state: bytes) -> None:
        """State and tracking position in one transaction; a non-increasing position is refused."""
        with self._lock, self._db.transaction():
            row = self._db.execute("SELECT position FROM lf_tracking WHERE name=%s FOR UPDATE", (self.name,)).fetchone()
            current = row["position"] if row else 0
            if position <= current:
                raise ValueError(f"{self.name} checkpoint at {position} is not after {current}")
            keep = position // self.every > current // self.every
            self._db.execute("INSERT INTO lf_tracking VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET position=EXCLUDED.position",
                             (self.name, position))
            self._db.execute(f"DELETE FROM {self.table} WHERE head")
            self._db.execute(f"INSERT INTO {self.table} VALUES (%s, %s, %s, %s) ON CONFLICT (position) DO NOTHING",
                             (position, at, not keep, state))
            if keep:  # history thins out with age, as in SQLite (projections/checkpoints.py)
                kept = [row["position"] for row in self._db.execute(f"SELECT position FROM {self.table} WHERE NOT head")]
                forget = to_forget(kept, position, self.every)
                if forget:
                    self._db.execute(f"DELETE FROM {self.table} WHERE position = ANY(%s)", (forget,))

    def kept(self) -> list[int]:
        """Positions of the checkpoints kept in history (as-of starts from these), oldest first."""
        with self._lock:
            return [row["position"] for row in self._db.execute(f"SELECT position FROM {self.table} WHERE NOT head ORDER BY position")]

    def latest(self) -> bytes | None:
        return self._one(f"SELECT state FROM {self.table} ORDER BY position DESC LIMIT 1", ())

    def latest_at_or_before(self, at: datetime) -> bytes | None:
        return self._one(f"SELECT state FROM {self.table} WHERE at <= %s ORDER BY position DESC LIMIT 1", (at,))

    def _one(self, sql: str, params: tuple) -> bytes | None:
        with self._lock:
            row = self._db.execute(sql, params).fetchone()
        return bytes(row["state"]) if row else None

    def close(self) -> None:
        self._db.close()


class PgAuditTrail(AuditTrail):
    """The audit trail in PostgreSQL: written by the active projection worker, read by every API process."""

    def __init__(self, dsn: str) -> None:  # noqa: D107  (does not call the SQLite constructor)
        self.dsn = dsn
        self.path = None
        self._db = connect(dsn)
        self._lock = threading.Lock()
        columns = ", ".join(f"{c} {'BIGINT' if c in ('position', 'version') else 'TEXT'}" for c in COLUMNS)
        with self._lock:
            self._db.execute(f"CREATE TABLE IF NOT EXISTS lf_audit ({columns}, PRIMARY KEY (position))")
            for column in ("thing", "actor", "unit"):
                self._db.execute(f"CREATE INDEX IF NOT EXISTS lf_audit_{column} ON lf_audit ({column})")
            self._db.execute("CREATE TABLE IF NOT EXISTS lf_audit_head (name TEXT PRIMARY KEY, position BIGINT, head BYTEA)")
        self.refresh()

    def refresh(self) -> None:
        with self._lock:
            row = self._db.execute("SELECT position, head FROM lf_audit_head WHERE name='audit'").fetchone()
        self.position, self._head = (row["position"], bytes(row["head"])) if row else (0, GENESIS)

    def append(self, facts: list[Fact]) -> list[dict[str, Any]]:
        entries, head = self.chained(facts)
        if not entries:
            return []
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        with self._lock, self._db.transaction():
            row = self._db.execute("SELECT position FROM lf_audit_head WHERE name='audit' FOR UPDATE").fetchone()
            if row and row["position"] >= entries[0]["position"]:
                raise ValueError(f"audit already at {row['position']}; another worker is writing")
            with self._db.cursor() as cur:
                cur.executemany(f"INSERT INTO lf_audit VALUES ({placeholders})", [tuple(e[c] for c in COLUMNS) for e in entries])
            self._db.execute("INSERT INTO lf_audit_head VALUES ('audit', %s, %s) ON CONFLICT (name) DO UPDATE "
                             "SET position=EXCLUDED.position, head=EXCLUDED.head", (entries[-1]["position"], head))
        self.position, self._head = entries[-1]["position"], head
        return entries

    def query(self, *, thing: str | None = None, actor: str | None = None, unit: str | None = None,
              since: datetime | None = None, until: datetime | None = None, after: int = 0, limit: int = 100,
              newest_first: bool = False, through: int | None = None) -> list[dict[str, Any]]:
        self.refresh()
        clauses, params = ["position > %s"], [after]
        if through is not None:  # as the trail stood at that position, whatever was appended since
            clauses.append("position <= %s")
            params.append(through)
        for column, value in (("thing", thing), ("actor", actor), ("unit", unit)):
            if value:
                clauses.append(f"{column} = %s")
                params.append(value)
        sql = f"SELECT * FROM lf_audit WHERE {' AND '.join(clauses)} ORDER BY position {'DESC' if newest_first else 'ASC'}"  # noqa: S608
        with self._lock, self._db.cursor() as cur:
            return within(cur.execute(sql, params), since, until, limit)

    def recorded_hashes(self) -> list[dict[str, Any]]:
        with self._lock:
            return self._db.execute("SELECT position, hash FROM lf_audit ORDER BY position").fetchall()

    def close(self) -> None:
        self._db.close()
