"""Read models in PostgreSQL (scale-out mode): checkpoints and the audit trail, the read-store interface of SQLite.

Several API processes and projection workers share one database; table names carry the model name, and every
read store's position is a row of one tracking table (eventsourcing's, named `lf_read_tracking`).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.conninfo import conninfo_to_dict
from psycopg.sql import SQL
from psycopg.rows import dict_row

from domain.application.eventstore import POOL_FILL_SECONDS, within_deadline
from projections.audit import COLUMNS, Trail
from projections.checkpoints import Checkpoints


WAIT_SECONDS = 2.0  # a read or write waits this long for a connection while the database is away, then fails
LOCK_KEY = 0x1F_A9_6A_4F  # "lianfang projections": the advisory lock of the one worker that writes the read models
SCHEMA_KEY = 0x1F_A9_6A_50  # held while a process creates the read stores' tables: two sessions can both pass CREATE … IF NOT EXISTS, and the second then fails on pg_type's unique index
TRACKING = "lf_read_tracking"  # every read store's tracked position, one row each (eventsourcing's tracking table)
LEGACY_TRACKING = ("lf_tracking", "lf_audit_head")  # where positions were kept before: (name, position, …); moved at open
REBUILT = "_rebuilt"  # `projections rebuild` writes beside the live read models under their names with this suffix


def connect(dsn: str) -> psycopg.Connection[Any]:
    return psycopg.connect(dsn, autocommit=True, row_factory=dict_row, connect_timeout=3)


def datastore_of(dsn: str) -> PostgresDatastore:
    """eventsourcing's datastore for a DSN: one pooled connection, checked before each use and replaced when broken;
    while the database is down a use fails within WAIT_SECONDS, and the first use after a restart works."""
    params = conninfo_to_dict(dsn)
    datastore = PostgresDatastore(str(params.get("dbname") or "lianfang"), str(params.get("host") or "127.0.0.1"),
                                  str(params.get("port") or 5432), str(params.get("user") or "lianfang"),
                                  str(params.get("password") or ""), connect_timeout=WAIT_SECONDS, pre_ping=True)
    datastore.pool.open(wait=True, timeout=POOL_FILL_SECONDS)  # opening waits for its database; later uses fail fast
    return datastore


class PgReadStore(PostgresTrackingRecorder):
    """A read store's tables in PostgreSQL, created one process at a time (under SCHEMA_KEY)."""

    P = "%s"
    max_tracking_id = within_deadline(PostgresTrackingRecorder.max_tracking_id)  # fail fast while the database is away

    def __init__(self, dsn: str, *statements: str) -> None:
        self.dsn = dsn
        super().__init__(datastore_of(dsn), tracking_table_name=TRACKING)
        self.sql_create_statements.extend(SQL(s) for s in statements)  # type: ignore[arg-type]  (names from the code)
        with connect(dsn) as schema:  # a session lock, held while the library creates the tables on its own connection
            schema.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_KEY,))
            self.create_table()
            self._adopt_legacy_positions()

    def _adopt_legacy_positions(self) -> None:
        """Positions kept, before this interface, in tables of our own become tracking rows, in one transaction."""
        with self.datastore.transaction(commit=True) as curs:
            for table in LEGACY_TRACKING:
                if curs.execute("SELECT to_regclass(%s) AS t", (table,)).fetchone()["t"] is None:
                    continue
                for row in curs.execute(f"SELECT name, position FROM {table}").fetchall():  # noqa: S608
                    if row["position"]:
                        self._insert_tracking(curs, Tracking(row["name"], row["position"]))
                curs.execute(f"DROP TABLE {table}")


class PgCheckpointStore(Checkpoints, PgReadStore):
    def __init__(self, dsn: str, name: str, every: int) -> None:
        self.name, self.every, self.table = name, every, f"lf_checkpoints_{name}"
        super().__init__(dsn, f"CREATE TABLE IF NOT EXISTS {self.table} (position BIGINT PRIMARY KEY, at TIMESTAMPTZ, head BOOLEAN, state BYTEA)")

    def stored_at(self, at: datetime | None) -> Any:
        return at


class PgAuditTrail(Trail, PgReadStore):
    """The audit trail in PostgreSQL: written by the active projection worker, read by every API process."""

    def __init__(self, dsn: str, name: str = "audit") -> None:
        self.name, self.table, self.path = name, f"lf_{name}", None
        columns = ", ".join(f"{c} {'BIGINT' if c in ('position', 'version') else 'TEXT'}" for c in COLUMNS)
        super().__init__(dsn, f"CREATE TABLE IF NOT EXISTS {self.table} ({columns}, PRIMARY KEY (position))",
                         *(f"CREATE INDEX IF NOT EXISTS {self.table}_{c} ON {self.table} ({c})" for c in ("thing", "actor", "unit")))
        self.opened()


def _table(name: str) -> str:
    return "lf_audit" if name == "audit" else f"lf_checkpoints_{name}"


def clear_rebuilt(dsn: str, names: list[str]) -> None:
    """Drop what an unfinished rebuild left beside the live read models, so that this one starts at position 0."""
    with connect(dsn) as db, db.transaction():
        for name in names:
            db.execute(f"DROP TABLE IF EXISTS {_table(name)}{REBUILT}")
            if db.execute("SELECT to_regclass(%s) AS t", (TRACKING,)).fetchone()["t"] is not None:
                db.execute(f"DELETE FROM {TRACKING} WHERE application_name=%s", (name + REBUILT,))  # noqa: S608


def adopt_rebuilt(dsn: str, names: list[str]) -> None:
    """The rebuilt read models become the live ones, with their tracked positions, in one transaction."""
    with connect(dsn) as db, db.transaction():
        for name in names:
            table = _table(name)
            db.execute(f"DELETE FROM {table}")  # noqa: S608  (names from the code, never from input)
            db.execute(f"INSERT INTO {table} SELECT * FROM {table}{REBUILT}")  # noqa: S608
            db.execute(f"DELETE FROM {TRACKING} WHERE application_name=%s", (name,))  # noqa: S608
            db.execute(f"UPDATE {TRACKING} SET application_name=%s WHERE application_name=%s", (name, name + REBUILT))  # noqa: S608
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
