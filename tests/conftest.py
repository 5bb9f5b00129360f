"""Shared fixtures: real PostgreSQL, Redis and Chromium (see tests/servers.py).

Session-scoped servers are started lazily, only by tests that ask for them.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)
from servers import (  # noqa: E402
    PostgresServer,
    RedisServer,
    chromium_path,
    start_postgres,
    start_redis,
)

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

SOAK_ENABLED = os.environ.get("LIANFANG_SOAK") == "1"


def _sigterm_as_interrupt(signum, frame):
    raise KeyboardInterrupt("SIGTERM")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "soak: very long run; skipped unless LIANFANG_SOAK=1 (make soak)")
    # `timeout`, CI cancellation: SIGTERM would end Python without teardown or
    # atexit (servers would still die, by pdeathsig, but leave their files).
    # As an interrupt, pytest tears the session fixtures down.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _sigterm_as_interrupt)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SOAK_ENABLED:
        return
    skip = pytest.mark.skip(reason="soak test: set LIANFANG_SOAK=1 (make soak)")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> PostgresServer:
    """A PostgreSQL cluster for the whole session (fsync on).
    ``.dsn`` points at database ``lianfang``; prefer ``postgres_dsn`` in tests."""
    with start_postgres(tmp_path_factory.mktemp("postgres")) as server:
        yield server


@pytest.fixture
def postgres_dsn(postgres_server: PostgresServer) -> str:
    """DSN of a fresh, empty database (random name) dropped after the test."""
    dsn = postgres_server.create_database()
    yield dsn
    postgres_server.drop_database(dsn.rsplit("/", 1)[1])


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> RedisServer:
    """A redis-server for the whole session (``.url``).  Tests that kill it
    must ``restart()`` it, or better start their own with ``start_redis``."""
    with start_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Path of the system Chromium, for Playwright's ``executable_path``."""
    path = chromium_path()
    if path is None:
        pytest.fail("Chromium not found at /usr/bin/chromium; run .ci/system-deps (Debian package: chromium)")
    return path


# --- both modes: the embedded store, and PostgreSQL + Redis + a projection worker ---------------

STORE_MODES = ("embedded", "scaleout")


@pytest.fixture(params=STORE_MODES)
def store_mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def lianfang_settings(request: pytest.FixtureRequest, tmp_path: Path, store_mode: str):
    """Settings for a fresh store in either mode. In scale-out mode a real projection worker runs
    beside the test (in a thread), writing the read models to PostgreSQL and deltas to Redis."""
    import threading

    from domain.settings import Settings

    if store_mode == "embedded":
        yield Settings(data_dir=tmp_path / "var")
        return
    from projections.worker import run_workers

    dsn = request.getfixturevalue("postgres_dsn")
    with start_redis(tmp_path / "redis") as redis:
        settings = Settings(data_dir=tmp_path / "var", database_url=dsn, redis_url=redis.url)
        stop = threading.Event()
        worker = threading.Thread(target=run_workers, args=(settings, stop), daemon=True)
        worker.start()
        _wait_for_tables(dsn, ("coordination_events", "lf_audit_head", "lf_checkpoints_ledger"))
        try:
            yield settings
        finally:
            stop.set()
            worker.join(timeout=15)


def _wait_for_tables(dsn: str, tables: tuple[str, ...], timeout: float = 30) -> None:
    """Let the worker create its tables before the app does (concurrent CREATE TABLE IF NOT EXISTS races)."""
    import time

    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as db:
        while time.monotonic() < deadline:
            if all(db.execute("SELECT to_regclass(%s)", (t,)).fetchone()[0] for t in tables):
                return
            time.sleep(0.05)
    raise RuntimeError(f"the projection worker did not create {tables} in {timeout}s")
