"""The real-server helpers work: PostgreSQL, Redis, and their failure modes."""

from __future__ import annotations

import os

import psycopg
import pytest
import redis

from servers import chromium_path, find_free_port, start_redis

pytestmark = pytest.mark.integration


def test_postgres_accepts_connection_and_round_trips(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("lianfang",)
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, body text)")
        conn.execute("INSERT INTO t VALUES (1, %s)", ("联防 测试",))
        conn.commit()
    with psycopg.connect(postgres_dsn) as conn:
        assert conn.execute("SELECT body FROM t WHERE id = 1").fetchone() == ("联防 测试",)
        assert conn.execute("SHOW synchronous_commit").fetchone() == ("on",)  # a killed server keeps every commit


def test_postgres_requires_password(postgres_server) -> None:
    bad = postgres_server.dsn.replace(postgres_server.password, "wrong")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(bad, connect_timeout=5)


# The two "isolation" tests write the same table name; each gets its own database.
@pytest.mark.parametrize("value", ["first", "second"])
def test_postgres_fresh_database_per_test(postgres_dsn: str, value: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
        assert tables == (0,)
        conn.execute("CREATE TABLE shared_name (v text)")
        conn.execute("INSERT INTO shared_name VALUES (%s)", (value,))


def test_postgres_dsn_database_is_dropped(postgres_server) -> None:
    dsn = postgres_server.create_database()
    name = dsn.rsplit("/", 1)[1]
    with psycopg.connect(dsn):  # a lingering connection must not block the drop
        postgres_server.drop_database(name)
    with psycopg.connect(postgres_server.admin_dsn) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None


def test_redis_ping_xadd_xread(redis_server) -> None:
    r = redis.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        assert r.ping() is True
        stream = f"test-stream-{os.getpid()}"
        first = r.xadd(stream, {"kind": "case-reported", "town": "城关镇"})
        r.xadd(stream, {"kind": "case-confirmed", "town": "城关镇"})
        [(name, entries)] = r.xread({stream: "0-0"}, count=10, block=1000)
        assert name == stream
        assert [e[0] for e in entries][0] == first
        assert [e[1]["kind"] for e in entries] == ["case-reported", "case-confirmed"]
        assert entries[0][1]["town"] == "城关镇"
        r.delete(stream)
    finally:
        r.close()


def test_redis_kill_then_restart(tmp_path) -> None:
    # Our own server: killing the session one would break other tests.
    with start_redis(tmp_path) as server:
        port = server.port
        r = redis.Redis.from_url(server.url, socket_connect_timeout=1, socket_timeout=2)
        r.set("k", "v")
        server.kill()
        assert not server.running
        with pytest.raises(redis.ConnectionError):
            r.ping()
        server.restart()
        assert server.port == port and server.running
        assert r.ping() is True  # redis-py reconnects
        assert r.get("k") is None  # no persistence: a restart starts empty
        r.close()
    assert not server.running


def test_find_free_port_is_bindable() -> None:
    import socket

    port = find_free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_chromium_present(chromium_executable: str) -> None:
    assert chromium_executable == chromium_path()
    assert os.access(chromium_executable, os.X_OK)
