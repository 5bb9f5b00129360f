"""Shared fixtures: real PostgreSQL, Redis and Chromium (see tests/servers.py).

Session-scoped servers are started lazily, only by tests that ask for them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import sys
from pathlib import Path

import pytest

_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.append(_TESTS_DIR)  # after the project: tests/projections must not shadow the projections package
from modes import projection_worker  # noqa: E402
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
    config.addinivalue_line("markers", "embedded_only(why): runs in the embedded mode only, for the reason given")
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
    """A PostgreSQL cluster for the whole session: fsync off, synchronous_commit on, so a killed
    server still keeps every commit (only power loss would not).
    ``.dsn`` points at database ``lianfang``; prefer ``postgres_dsn`` in tests."""
    with start_postgres(tmp_path_factory.mktemp("postgres"), fsync=False) as server:
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
#
# Suites take `backends` (Settings fields naming the store) and open their stores inside
# `projection_worker(settings)`: in scale-out mode that runs the real worker beside the test, which
# keeps the durable read models in PostgreSQL and publishes deltas to the test's own Redis Stream.

STORE_MODES = ("embedded", "scaleout")
TEMPLATE_DB = "lf_template"


@pytest.fixture(params=STORE_MODES)
def store_mode(request: pytest.FixtureRequest) -> str:
    marker = request.node.get_closest_marker("embedded_only")
    if request.param == "scaleout" and marker is not None:
        pytest.skip(f"embedded store only: {marker.args[0]}")
    return request.param


@pytest.fixture(scope="session")
def scaleout_template(postgres_server: PostgresServer, redis_server: RedisServer,
                      tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database holding every table an API process and a projection worker create; each test gets a
    copy, so no test waits for (or races) CREATE TABLE."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from domain.application.settings import Settings

    dsn = postgres_server.create_database(TEMPLATE_DB)
    settings = Settings(data_dir=tmp_path_factory.mktemp("template"), database_url=dsn,
                        redis_url=redis_server.url, redis_stream="lianfang:template")
    with projection_worker(settings, tables=("coordination_events", "lf_audit", "lf_read_tracking", "lf_checkpoints_ledger")):
        with TestClient(create_app(settings)):
            pass
    with postgres_server._admin() as admin:  # noqa: SLF001  (a template must have no sessions)
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (TEMPLATE_DB,))
    return TEMPLATE_DB


@contextlib.contextmanager
def _backends_for(request: pytest.FixtureRequest, mode: str):
    if mode == "embedded":
        yield {}
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("scaleout_template")
    redis: RedisServer = request.getfixturevalue("redis_server")
    dsn = server.create_database(template=template)
    try:
        yield {"database_url": dsn, "redis_url": redis.url, "redis_stream": f"lianfang:test:{secrets.token_hex(6)}"}
    finally:
        server.drop_database(dsn.rsplit("/", 1)[1])


@pytest.fixture
def backends(request: pytest.FixtureRequest, store_mode: str):
    """Settings fields for a fresh store in this test's mode: none for the embedded default; for
    scale-out a fresh PostgreSQL database and a Redis Stream of the test's own."""
    with _backends_for(request, store_mode) as fields:
        yield fields


@pytest.fixture(scope="module", params=STORE_MODES)
def module_backends(request: pytest.FixtureRequest):
    """For stores a whole module shares: each call gives the `backends` of a fresh store in this mode."""
    with contextlib.ExitStack() as stack:
        yield lambda: stack.enter_context(_backends_for(request, request.param))


# --- drills in both modes: a drill's own store is its SQLite file, or an empty PostgreSQL database of its own --

@pytest.fixture
def new_drill_db(request: pytest.FixtureRequest, store_mode: str):
    """Each call: the `--database-url` of a new drill store in this test's mode (None: embedded SQLite; scale-out:
    a fresh, empty PostgreSQL database, dropped after the test)."""
    made: list[str] = []

    def make() -> str | None:
        if store_mode == "embedded":
            return None
        dsn = request.getfixturevalue("postgres_server").create_database()
        made.append(dsn)
        return dsn

    yield make
    for dsn in made:
        request.getfixturevalue("postgres_server").drop_database(dsn.rsplit("/", 1)[1])


@pytest.fixture
def drill_db(new_drill_db) -> str | None:
    """The `--database-url` of one drill store in this test's mode (None in embedded mode)."""
    return new_drill_db()
