"""The two modes a suite runs in: the embedded store, and scale-out (PostgreSQL + Redis + a worker)."""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import psycopg

from domain.application.settings import Settings


@contextlib.contextmanager
def projection_worker(settings: Settings, tables: tuple[str, ...] = ()) -> Iterator[Settings]:
    """Scale-out mode: the projection worker (`lianfang projections run`) in a thread for the block.
    Embedded mode: nothing, the API process projects for itself."""
    if not settings.database_url:
        yield settings
        return
    from wiring.worker import run_workers

    stop = threading.Event()
    worker = threading.Thread(target=run_workers, args=(settings, stop), name="projection-worker", daemon=True)
    worker.start()
    if tables:
        _wait_for_tables(settings.database_url, tables)
    try:
        yield settings
    finally:
        stop.set()
        worker.join(timeout=15)


def _wait_for_tables(dsn: str, tables: tuple[str, ...], timeout: float = 30) -> None:
    """Until the worker has created `tables` (the template database is built this way once)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as db:
        while time.monotonic() < deadline:
            if all(db.execute("SELECT to_regclass(%s)", (t,)).fetchone()[0] for t in tables):
                return
            time.sleep(0.05)
    raise RuntimeError(f"the projection worker did not create {tables} in {timeout}s")


def stored_bytes(settings: Settings) -> bytes:
    """Everything the store holds on disk (embedded: every file under data_dir; scale-out: every row of
    every table in PostgreSQL), for tests that look for what must never be stored."""
    local = b"".join(path.read_bytes() for path in settings.data_dir.rglob("*") if path.is_file())
    if not settings.database_url:
        return local
    chunks = [local]
    with psycopg.connect(settings.database_url, autocommit=True) as db:
        tables = [row[0] for row in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):  # noqa: S608  (names from the catalogue)
                chunks += [value if isinstance(value, bytes) else str(value).encode() for value in row]
    return b"".join(chunks)
