"""Read models in PostgreSQL (scale-out mode): checkpoints and the audit trail, same interfaces as SQLite.

Several API processes and projection workers share one database; table names carry the model name.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from projections.audit import COLUMNS, GENESIS, AuditTrail, within
from projections.checkpoints import to_forget
from projections.events import Fact


WAIT_SECONDS = 2.0  # a read or write waits this long for a connection while the database is away, then fails


def connect(dsn: str) -> psycopg.Connection[Any]:
    return psycopg.connect(dsn, autocommit=True, row_factory=dict_row, connect_timeout=3)


class Database:
    """One pooled connection that survives a database restart: checked before each use, replaced when broken.

    While the database is down a use fails within WAIT_SECONDS (psycopg_pool.PoolTimeout, a psycopg.Error);
    the pool keeps reconnecting in the background, so the first use after the restart works.
    """

    def __init__(self, dsn: str) -> None:
        self.pool = ConnectionPool(dsn, min_size=1, max_size=1, timeout=WAIT_SECONDS, open=False,
                                   kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": 2},
                                   check=ConnectionPool.check_connection, reconnect_timeout=0)
        self.pool.open(wait=True, timeout=10)

    @contextmanager
    def use(self) -> Iterator[psycopg.Connection[Any]]:
        with self.pool.connection() as conn:
            yield conn

    def close(self) -> None:
        self.pool.close()


class PgCheckpointStore:
    def __init__(self, dsn: str, name: str, every: int) -> None:
        self.dsn, self.name, self.every = dsn, name, every
        self.table = f"lf_checkpoints_{name}"
        self._pool = Database(dsn)
        with self._pool.use() as db:
            db.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (position BIGINT PRIMARY KEY, at TIMESTAMPTZ, head BOOLEAN, state BYTEA)")
            db.execute("CREATE TABLE IF NOT EXISTS lf_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL)")

    def position(self) -> int:
        with self._pool.use() as db:
            row = db.execute("SELECT position FROM lf_tracking WHERE name=%s", (self.name,)).fetchone()
        return row["position"] if row else 0

    def save(self, position: int, at: datetime | None, state: bytes) -> None:
        """State and tracking position in one transaction; a non-increasing position is refused."""
        with self._pool.use() as db, db.transaction():
            row = db.execute("SELECT position FROM lf_tracking WHERE name=%s FOR UPDATE", (self.name,)).fetchone()
            current = row["position"] if row else 0
            if position <= current:
                raise ValueError(f"{self.name} checkpoint at {position} is not after {current}")
            keep = position // self.every > current // self.every
            db.execute("INSERT INTO lf_tracking VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET position=EXCLUDED.position",
                             (self.name, position))
            db.execute(f"DELETE FROM {self.table} WHERE head")
            db.execute(f"INSERT INTO {self.table} VALUES (%s, %s, %s, %s) ON CONFLICT (position) DO NOTHING",
                             (position, at, not keep, state))
            if keep:  # history thins out with age, as in SQLite (projections/checkpoints.py)
                kept = [row["position"] for row in db.execute(f"SELECT position FROM {self.table} WHERE NOT head")]
                forget = to_forget(kept, position, self.every)
                if forget:
                    db.execute(f"DELETE FROM {self.table} WHERE position = ANY(%s)", (forget,))

    def kept(self) -> list[int]:
        """Positions of the checkpoints kept in history (as-of starts from these), oldest first."""
        with self._pool.use() as db:
            return [row["position"] for row in db.execute(f"SELECT position FROM {self.table} WHERE NOT head ORDER BY position")]

    def latest(self) -> bytes | None:
        return self._one(f"SELECT state FROM {self.table} ORDER BY position DESC LIMIT 1", ())

    def latest_at_or_before(self, at: datetime) -> bytes | None:
        return self._one(f"SELECT state FROM {self.table} WHERE at <= %s ORDER BY position DESC LIMIT 1", (at,))

    def _one(self, sql: str, params: tuple) -> bytes | None:
        with self._pool.use() as db:
            row = db.execute(sql, params).fetchone()
        return bytes(row["state"]) if row else None

    def close(self) -> None:
        self._pool.close()


class PgAuditTrail(AuditTrail):
    """The audit trail in PostgreSQL: written by the active projection worker, read by every API process."""

    def __init__(self, dsn: str) -> None:  # noqa: D107  (does not call the SQLite constructor)
        self.dsn = dsn
        self.path = None
        self._pool = Database(dsn)
        self._lock = threading.Lock()  # position and head change together
        columns = ", ".join(f"{c} {'BIGINT' if c in ('position', 'version') else 'TEXT'}" for c in COLUMNS)
        with self._pool.use() as db:
            db.execute(f"CREATE TABLE IF NOT EXISTS lf_audit ({columns}, PRIMARY KEY (position))")
            for column in ("thing", "actor", "unit"):
                db.execute(f"CREATE INDEX IF NOT EXISTS lf_audit_{column} ON lf_audit ({column})")
            db.execute("CREATE TABLE IF NOT EXISTS lf_audit_head (name TEXT PRIMARY KEY, position BIGINT, head BYTEA)")
        self.refresh()

    def refresh(self) -> None:
        with self._pool.use() as db:
            row = db.execute("SELECT position, head FROM lf_audit_head WHERE name='audit'").fetchone()
        with self._lock:
            self.position, self._head = (row["position"], bytes(row["head"])) if row else (0, GENESIS)

    def append(self, facts: list[Fact]) -> list[dict[str, Any]]:
        entries, head = self.chained(facts)
        if not entries:
            return []
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        with self._pool.use() as db, db.transaction():
            row = db.execute("SELECT position FROM lf_audit_head WHERE name='audit' FOR UPDATE").fetchone()
            if row and row["position"] >= entries[0]["position"]:
                raise ValueError(f"audit already at {row['position']}; another worker is writing")
            with db.cursor() as cur:
                cur.executemany(f"INSERT INTO lf_audit VALUES ({placeholders})", [tuple(e[c] for c in COLUMNS) for e in entries])
            db.execute("INSERT INTO lf_audit_head VALUES ('audit', %s, %s) ON CONFLICT (name) DO UPDATE "
                             "SET position=EXCLUDED.position, head=EXCLUDED.head", (entries[-1]["position"], head))
        with self._lock:
            self.position, self._head = entries[-1]["position"], head
        return entries

    def query(self, *, thing: str | None = None, actor: str | None = None, unit: str | None = None,
              since: datetime | None = None, until: datetime | None = None, after: int = 0, limit: int = 100,
              newest_first: bool = False) -> list[dict[str, Any]]:
        self.refresh()
        clauses, params = ["position > %s"], [after]
        for column, value in (("thing", thing), ("actor", actor), ("unit", unit)):
            if value:
                clauses.append(f"{column} = %s")
                params.append(value)
        sql = f"SELECT * FROM lf_audit WHERE {' AND '.join(clauses)} ORDER BY position {'DESC' if newest_first else 'ASC'}"  # noqa: S608
        with self._pool.use() as db, db.cursor() as cur:
            return within(cur.execute(sql, params), since, until, limit)

    def recorded_hashes(self) -> list[dict[str, Any]]:
        with self._pool.use() as db:
            return db.execute("SELECT position, hash FROM lf_audit ORDER BY position").fetchall()

    def close(self) -> None:
        self._pool.close()
