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
LOCK_KEY = 0x1F_A9_6A_4F  # "lianfang projections": the advisory lock of the one worker that writes the read models
SCHEMA_KEY = 0x1F_A9_6A_50  # held while a process creates the read stores' tables (see `create_tables`)
REBUILT = "_rebuilt"  # `projections rebuild` writes beside the live read models under their names with this suffix


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


def create_tables(db: psycopg.Connection[Any], *statements: str) -> None:
    """CREATE … IF NOT EXISTS, one process at a time: two sessions can both pass the check, and the second then
    fails on pg_type's unique index (API processes and workers starting together on an empty database)."""
    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_KEY,))
        for statement in statements:
            db.execute(statement)


class PgCheckpointStore:
    def __init__(self, dsn: str, name: str, every: int) -> None:
        self.dsn, self.name, self.every = dsn, name, every
        self.table = f"lf_checkpoints_{name}"
        self._pool = Database(dsn)
        with self._pool.use() as db:
            create_tables(db, f"CREATE TABLE IF NOT EXISTS {self.table} (position BIGINT PRIMARY KEY, at TIMESTAMPTZ, head BOOLEAN, state BYTEA)",
                          "CREATE TABLE IF NOT EXISTS lf_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL)")

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

    def __init__(self, dsn: str, name: str = "audit") -> None:  # noqa: D107  (does not call the SQLite constructor)
        self.dsn, self.name, self.table = dsn, name, f"lf_{name}"
        self.path = None
        self._pool = Database(dsn)
        self._lock = threading.Lock()  # position and head change together
        columns = ", ".join(f"{c} {'BIGINT' if c in ('position', 'version') else 'TEXT'}" for c in COLUMNS)
        with self._pool.use() as db:
            create_tables(db, f"CREATE TABLE IF NOT EXISTS {self.table} ({columns}, PRIMARY KEY (position))",
                          *(f"CREATE INDEX IF NOT EXISTS {self.table}_{c} ON {self.table} ({c})" for c in ("thing", "actor", "unit")),
                          "CREATE TABLE IF NOT EXISTS lf_audit_head (name TEXT PRIMARY KEY, position BIGINT, head BYTEA)")
        self.refresh()

    def refresh(self) -> None:
        with self._pool.use() as db:
            row = db.execute("SELECT position, head FROM lf_audit_head WHERE name=%s", (self.name,)).fetchone()
        with self._lock:
            self.position, self._head = (row["position"], bytes(row["head"])) if row else (0, GENESIS)

    def append(self, facts: list[Fact]) -> list[dict[str, Any]]:
        entries, head = self.chained(facts)
        if not entries:
            return []
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        with self._pool.use() as db, db.transaction():
            row = db.execute("SELECT position FROM lf_audit_head WHERE name=%s FOR UPDATE", (self.name,)).fetchone()
            if row and row["position"] >= entries[0]["position"]:
                raise ValueError(f"audit already at {row['position']}; another worker is writing")
            with db.cursor() as cur:
                cur.executemany(f"INSERT INTO {self.table} VALUES ({placeholders})", [tuple(e[c] for c in COLUMNS) for e in entries])
            db.execute("INSERT INTO lf_audit_head VALUES (%s, %s, %s) ON CONFLICT (name) DO UPDATE "
                             "SET position=EXCLUDED.position, head=EXCLUDED.head", (self.name, entries[-1]["position"], head))
        with self._lock:
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
        sql = f"SELECT * FROM {self.table} WHERE {' AND '.join(clauses)} ORDER BY position {'DESC' if newest_first else 'ASC'}"  # noqa: S608
        with self._pool.use() as db, db.cursor() as cur:
            return within(cur.execute(sql, params), since, until, limit)

    def recorded_hashes(self) -> list[dict[str, Any]]:
        with self._pool.use() as db:
            return db.execute(f"SELECT position, hash FROM {self.table} ORDER BY position").fetchall()

    def close(self) -> None:
        self._pool.close()


def _tables(name: str) -> tuple[str, str]:
    """A read model's table and the table of its tracked position."""
    return ("lf_audit", "lf_audit_head") if name == "audit" else (f"lf_checkpoints_{name}", "lf_tracking")


def clear_rebuilt(dsn: str, names: list[str]) -> None:
    """Drop what an unfinished rebuild left beside the live read models, so that this one starts at position 0."""
    with connect(dsn) as db, db.transaction():
        for name in names:
            table, tracking = _tables(name)
            db.execute(f"DROP TABLE IF EXISTS {table}{REBUILT}")
            if db.execute("SELECT to_regclass(%s) AS t", (tracking,)).fetchone()["t"] is not None:
                db.execute(f"DELETE FROM {tracking} WHERE name=%s", (name + REBUILT,))  # noqa: S608


def adopt_rebuilt(dsn: str, names: list[str]) -> None:
    """The rebuilt read models become the live ones, with their tracked positions, in one transaction."""
    with connect(dsn) as db, db.transaction():
        for name in names:
            table, tracking = _tables(name)
            db.execute(f"DELETE FROM {table}")  # noqa: S608  (names from the code, never from input)
            db.execute(f"INSERT INTO {table} SELECT * FROM {table}{REBUILT}")  # noqa: S608
            db.execute(f"DELETE FROM {tracking} WHERE name=%s", (name,))  # noqa: S608
            db.execute(f"UPDATE {tracking} SET name=%s WHERE name=%s", (name, name + REBUILT))  # noqa: S608
            db.execute(f"DROP TABLE {table}{REBUILT}")


@contextmanager
def projection_lock(dsn: str) -> Iterator[None]:
    """Hold the projection workers' lock for the block: no worker writes the read models meanwhile."""
    with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as db:
        if not db.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
            raise ValueError("a projection worker is writing the read models (it holds the projection lock): stop "
                             "`lianfang projections run` first, rebuild, then start it again; it resumes from the rebuilt ones")
        try:
            yield
        finally:
            db.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
