"""Our thin adapters over eventsourcing's persistence: the one place that knows its classes.

- `store_env` builds the eventsourcing `env` from our Settings (SQLite file, or PostgreSQL).
- `DurableSQLiteFactory` makes every SQLite connection fsync on commit (WAL, synchronous=FULL).
- Idempotency-Keys live in a table of their own beside the events (`idempotency_keys`), written in the same
  transaction as the command's events (`app.save(..., idempotency=[KeyRow, ...])`); `known_keys` reads
  them, and the `IdempotencyRecord` aggregates that stores written before the table hold.
- `CommitSignal` and `follow` let readers follow the log live: woken at once by commits in this
  process, and polling every few tens of ms for commits made by other processes.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urlparse
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteConnectionPool, SQLiteDatastore, SQLiteFactory
from psycopg.sql import SQL, Identifier

if TYPE_CHECKING:
    from eventsourcing.application import Application

    from domain.application.settings import Settings

EVENTS_FILE = "events.sqlite"


KEYS_TABLE = "idempotency_keys"


class KeyRow(NamedTuple):
    """The first answer to one Idempotency-Key: saved with the command's events, in the same transaction."""

    id: UUID  # domain.idempotency.record_id(key scope, key)
    request_hash: str
    command: str
    thing: str
    thing_version: int


class KeyedSQLiteRecorder(SQLiteApplicationRecorder):
    """eventsourcing's SQLite application recorder, plus the table of Idempotency-Keys."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(),
                f"CREATE TABLE IF NOT EXISTS {KEYS_TABLE} (id TEXT PRIMARY KEY, request_hash TEXT NOT NULL, "
                "command TEXT NOT NULL, thing TEXT NOT NULL, thing_version INTEGER NOT NULL) WITHOUT ROWID"]

    def _insert_events(self, c: Any, stored_events: Any, *, idempotency: Any = (), **kwargs: Any) -> Any:
        positions = super()._insert_events(c, stored_events, **kwargs)
        if idempotency:  # a key used twice fails the whole transaction (IntegrityError): the writer retries one by one
            c.executemany(f"INSERT INTO {KEYS_TABLE} VALUES (?,?,?,?,?)",  # noqa: S608
                          [(k.id.hex, k.request_hash, k.command, k.thing, k.thing_version) for k in idempotency])
        return positions


class DurablePool(SQLiteConnectionPool):
    def _create_connection(self) -> Any:
        connection = super()._create_connection()
        connection._sqlite_conn.execute("PRAGMA synchronous=FULL;")  # noqa: SLF001
        return connection


class DurableSQLiteFactory(SQLiteFactory):
    """SQLite, with every commit on disk before it returns."""

    application_recorder_class = KeyedSQLiteRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        datastore = self.datastore
        datastore.pool = DurablePool(db_name=datastore.pool.db_name, lock_timeout=datastore.pool.lock_timeout)


SCHEMA_LOCK = 0x1F_A9_5C_4E  # an advisory lock key: "lianfang schema"


STORE_DEADLINE_SECONDS = 1.0  # retry a lost connection for this long, then fail (the library would take ~30 s)
_bound = threading.local()  # the deadline of the work this thread does for its callers (`store_deadline`)


@contextmanager
def store_deadline(at: float) -> Iterator[None]:
    """Within this block, a lost connection is retried only until `at` (time.monotonic()), however many store calls
    the block makes: a writer's batch ends by the time its longest-waiting caller should have its answer."""
    previous = getattr(_bound, "at", None)
    _bound.at = at if previous is None else min(at, previous)
    try:
        yield
    finally:
        _bound.at = previous


def within_deadline(method: Any) -> Any:
    """The library's recorder method without its 10-attempt retry: retried only until STORE_DEADLINE_SECONDS
    (or the `store_deadline` of the block it runs in, if sooner).

    A blip (one broken pooled connection after a restart) is retried at once; an outage fails fast,
    so a request gets its 503 within about two seconds (pool timeout included) instead of half a minute."""
    import time

    from psycopg import InterfaceError, OperationalError

    bare = method.__wrapped__

    def bounded(self: Any, *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + STORE_DEADLINE_SECONDS
        bound = getattr(_bound, "at", None)
        if bound is not None:
            deadline = min(deadline, bound)
        while True:
            try:
                return bare(self, *args, **kwargs)
            except (InterfaceError, OperationalError):
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    return bounded


class SerialSchemaRecorder(PostgresApplicationRecorder):
    """Creates the tables under an advisory lock: many processes starting at once would otherwise
    race on CREATE OR REPLACE FUNCTION, and one would fail with "tuple concurrently updated".

    Its calls fail within about two seconds while the database is away (see `within_deadline`). It keeps the
    table of Idempotency-Keys, written after the events (so after the table lock every insert takes first)."""

    insert_events = within_deadline(PostgresApplicationRecorder.insert_events)
    select_notifications = within_deadline(PostgresApplicationRecorder.select_notifications)
    max_notification_id = within_deadline(PostgresApplicationRecorder.max_notification_id)
    select_events = within_deadline(PostgresApplicationRecorder.select_events)

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.keys_table = SQL("{schema}.{table}").format(schema=Identifier(datastore.schema or "public"),
                                                         table=Identifier(KEYS_TABLE))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {keys} (id uuid PRIMARY KEY, request_hash text NOT NULL, command text NOT NULL, "
            "thing text NOT NULL, thing_version bigint NOT NULL)").format(keys=self.keys_table))

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Any, *, idempotency: Any = (),
                                       **kwargs: Any) -> Any:
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if idempotency:  # in the events' transaction, after their insert
            curs.executemany(SQL("INSERT INTO {keys} VALUES (%s, %s, %s, %s, %s)").format(keys=self.keys_table),
                             [(k.id, k.request_hash, k.command, k.thing, k.thing_version) for k in idempotency])
        return positions

    def create_table(self) -> None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,), prepare=False)
            super().create_table()


POOL_FILL_SECONDS = 30.0  # how long opening the store waits for its first connections


class SerialSchemaPostgresFactory(PostgresFactory):
    """eventsourcing's PostgreSQL persistence in its default mode, safe to start in many processes.

    Opening waits for the pool's first connections (up to POOL_FILL_SECONDS): on a loaded machine
    making them takes longer than the second a request may wait for one, and a store that is
    opening should wait for its database rather than fail; a request later still fails fast."""

    application_recorder_class = SerialSchemaRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self.datastore.pool.open(wait=True, timeout=POOL_FILL_SECONDS)


def store_env(settings: Settings, data_dir: Path | None = None, name: str = "Coordination") -> dict[str, str]:
    """The eventsourcing env for the event store: SQLite under data_dir, or PostgreSQL."""
    common = {
        "AGGREGATE_CACHE_MAXSIZE": "5000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "y",
    }
    if settings.database_url:
        url = urlparse(settings.database_url)
        return {
            **common,
            "PERSISTENCE_MODULE": f"{__name__}:SerialSchemaPostgresFactory",
            "POSTGRES_DBNAME": url.path.lstrip("/") or "lianfang",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "lianfang"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_CONN_MAX_AGE": "",
            "POSTGRES_POOL_SIZE": "5",
            "POSTGRES_CONNECT_TIMEOUT": "1",  # also how long a call waits for a pooled connection
            "POSTGRES_PRE_PING": "y",
        }
    directory = Path(data_dir or settings.data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    return {
        **common,
        "PERSISTENCE_MODULE": f"{__name__}:DurableSQLiteFactory",
        "SQLITE_DBNAME": str(directory / EVENTS_FILE),
        "SQLITE_LOCK_TIMEOUT": "30",
    }


def position_of(app: Application, originator_id: UUID | str, version: int) -> int | None:
    """The global log position of one event, found by its aggregate and version."""
    recorder: Any = app.recorder
    table = recorder.events_table_name
    if isinstance(recorder.datastore, SQLiteDatastore):
        oid = originator_id.hex if isinstance(originator_id, UUID) else UUID(str(originator_id)).hex
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT rowid FROM {table} WHERE originator_id=? AND originator_version=?", (oid, version))  # noqa: S608
            row = c.fetchone()
            return row[0] if row else None
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute(
            f"SELECT notification_id FROM {recorder.datastore.schema or 'public'}.{table} "  # noqa: S608
            "WHERE originator_id=%s AND originator_version=%s",
            (str(originator_id), version),
        )
        row = curs.fetchone()
        return row["notification_id"] if row else None


def known_keys(app: Application, ids: list[UUID]) -> dict[UUID, KeyRow | None]:
    """Which of these Idempotency-Keys the store already has (one query for a whole batch): each one's row,
    or None for a key an older store recorded as an `IdempotencyRecord` aggregate (read it from the repository)."""
    if not ids:
        return {}
    recorder: Any = app.recorder
    table = recorder.events_table_name
    if isinstance(recorder.datastore, SQLiteDatastore):
        marks = ",".join("?" * len(ids))
        hexes = [i.hex for i in ids]
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT id, request_hash, command, thing, thing_version FROM {KEYS_TABLE} WHERE id IN ({marks}) "  # noqa: S608
                      f"UNION ALL SELECT originator_id, NULL, NULL, NULL, NULL FROM {table} "
                      f"WHERE originator_version=1 AND originator_id IN ({marks})", hexes + hexes)
            rows = [(UUID(r[0]), r[1:]) for r in c.fetchall()]
    else:
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(SQL(
                "SELECT id, request_hash, command, thing, thing_version FROM {keys} WHERE id = ANY(%s::uuid[]) "
                "UNION ALL SELECT originator_id, NULL, NULL, NULL, NULL FROM {schema}.{table} "
                "WHERE originator_version=1 AND originator_id = ANY(%s::uuid[])").format(
                    keys=recorder.keys_table, schema=Identifier(recorder.datastore.schema or "public"), table=Identifier(table)),
                ([str(i) for i in ids],) * 2)
            rows = [(UUID(str(r["id"])), (r["request_hash"], r["command"], r["thing"], r["thing_version"]))
                    for r in curs.fetchall()]
    found: dict[UUID, KeyRow | None] = {}
    for rid, row in rows:
        if row[0] is not None:
            found[rid] = KeyRow(rid, *row)
        else:
            found.setdefault(rid, None)
    return found


class CommitSignal:
    """Set after each commit; readers wait on it instead of sleeping.

    `committed` comes from this process's writer (with the new head); `poke` from a NOTIFY that
    another process committed (position unknown): either wakes every waiter at once.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self.head = 0
        self._generation = 0

    def committed(self, position: int) -> None:
        with self._condition:
            self.head = max(self.head, position)
            self._generation += 1
            self._condition.notify_all()

    def poke(self) -> None:
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait_beyond(self, position: int, timeout: float) -> None:
        with self._condition:
            if self.head > position:
                return
            generation = self._generation
            self._condition.wait_for(lambda: self._generation != generation, timeout)


def follow(
    app: Application, after: int, signal: CommitSignal, stop: threading.Event,
    *, batch: int = 500, poll: float = 0.05,
) -> Iterator[list[Notification]]:
    """Yield batches of notifications after `after`, live, until `stop` is set."""
    position = after
    while not stop.is_set():
        notifications = app.recorder.select_notifications(position + 1, batch)
        if notifications:
            position = notifications[-1].id
            yield list(notifications)
            continue
        signal.wait_beyond(position, poll)


def listen_for_commits(app: Application, dsn: str, signal: CommitSignal, stop: threading.Event) -> threading.Thread:
    """PostgreSQL: wake readers on the NOTIFY every insert sends, so other processes' commits show at once.

    A connection of its own, in autocommit: PostgreSQL delivers notifications between transactions.
    """
    channel = app.recorder.channel_name  # type: ignore[attr-defined]

    def listen() -> None:
        import psycopg

        while not stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
                    conn.execute(f'LISTEN "{channel}"')
                    signal.poke()  # commits made while we were not listening
                    while not stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            signal.poke()
            except Exception:  # noqa: BLE001  (the database may be restarting: listen again)
                stop.wait(1.0)

    thread = threading.Thread(target=listen, name="lianfang-listen", daemon=True)
    thread.start()
    return thread
