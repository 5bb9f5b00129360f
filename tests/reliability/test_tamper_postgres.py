"""Tamper evidence in PostgreSQL: edited, deleted, inserted or reordered events are found, by position.

A real scale-out deployment: PostgreSQL, Redis, `lianfang serve` and the projection worker
`lianfang projections run` (which writes the hash chain into `lf_audit`). Each case changes the
`coordination_events` table behind the application's back, checks that both
`lianfang audit verify` and GET /api/v1/audit/verify name the position, and puts the row back.
"""
from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from reliability.served import IN_DONGSHAN, LIANFANG, Process, Server, World, clean_env
from servers import start_redis

pytestmark = pytest.mark.integration
EVENTS = "coordination_events"


class Deployment:
    def __init__(self, server: Server, worker: Process, dsn: str, world: World) -> None:
        self.server, self.worker, self.dsn, self.world = server, worker, dsn, world

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.dsn, autocommit=True) as db:
            cursor = db.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def head(self) -> int:
        return self.sql(f"SELECT max(notification_id) FROM {EVENTS}")[0][0]

    def audited(self, timeout: float = 30) -> int:
        """Wait until the worker has chained every stored event; the head."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.sql("SELECT notification_id FROM lf_read_tracking WHERE application_name='audit'")
            if rows and rows[0][0] == self.head():
                return rows[0][0]
            assert time.monotonic() < deadline, f"the worker did not catch up: {rows} vs {self.head()}"
            time.sleep(0.1)

    def count(self) -> int:
        return self.sql(f"SELECT count(*) FROM {EVENTS}")[0][0]

    def verdicts(self, own_process: bool = False) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
        """GET /api/v1/audit/verify, and `lianfang audit verify` (in a process of its own, or in this one)."""
        api = self.world.commander.get("/audit/verify").json()
        if own_process:
            return api, subprocess.run([LIANFANG, "audit", "verify"], env=self.server.env, capture_output=True, text=True,
                                       timeout=120)
        from typer.testing import CliRunner

        from api.cli import cli

        settings = {k: v for k, v in self.server.env.items() if k.startswith("LIANFANG_")}
        ran = CliRunner().invoke(cli, ["audit", "verify"], env=settings)
        return api, subprocess.CompletedProcess(["lianfang", "audit", "verify"], ran.exit_code, ran.stdout, ran.stderr)

    def row(self, position: int) -> tuple[Any, ...]:
        return self.sql(f"SELECT notification_id, originator_id, originator_version, topic, state FROM {EVENTS} "
                        "WHERE notification_id=%s", (position,))[0]

    def rows_from(self, position: int) -> list[tuple[Any, ...]]:
        return self.sql(f"SELECT notification_id, originator_id, originator_version, topic, state FROM {EVENTS} "
                        "WHERE notification_id >= %s ORDER BY notification_id", (position,))

    def put_back(self, row: tuple[Any, ...]) -> None:
        self.sql(f"DELETE FROM {EVENTS} WHERE notification_id=%s", (row[0],))
        self.sql(f"INSERT INTO {EVENTS} (notification_id, originator_id, originator_version, topic, state) "
                 "VALUES (%s, %s, %s, %s, %s)", row)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, postgres_server: Any) -> Iterator[Deployment]:
    directory = tmp_path_factory.mktemp("tamper")
    dsn = postgres_server.create_database()
    with start_redis(directory / "redis") as redis:
        settings = {"database_url": dsn, "redis_url": redis.url}
        worker = Process(["projections", "run"], clean_env(data_dir=str(directory / "var"), **settings), directory / "worker.log")
        worker.spawn()
        server = Server(directory / "var", directory / "serve.log", **settings).start()
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                world = World.build(server, client)
                for n in range(4):
                    incident = world.incident()["id"]
                    for _ in range(4):
                        world.commander.created(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}, "note": f"第{n}轮"})
                deployment = Deployment(server, worker, dsn, world)
                deployment.audited()
                yield deployment
        finally:
            server.kill()
            worker.kill()
    postgres_server.drop_database(dsn.rsplit("/", 1)[1])


@pytest.fixture
def intact(deployment: Deployment) -> Iterator[Deployment]:
    """The chain verifies before the case, and again after the case put everything back."""
    deployment.audited()
    verdict = deployment.world.commander.get("/audit/verify").json()
    assert verdict["ok"] and verdict["checked"] == deployment.count(), verdict
    yield deployment
    verdict = deployment.world.commander.get("/audit/verify").json()
    assert verdict["ok"] and verdict["checked"] == deployment.count(), verdict


def test_the_untouched_log_verifies_by_the_cli_and_the_api(intact: Deployment) -> None:
    api, cli = intact.verdicts(own_process=True)
    assert api["ok"] and api["checked"] == intact.count() and api["broken_at"] is None, api
    assert cli.returncode == 0 and f"ok: {api['checked']} events verified" in cli.stdout, cli.stdout + cli.stderr


def test_verify_names_the_head_of_the_trail(intact: Deployment) -> None:
    verdict = intact.world.commander.get("/audit/verify").json()
    assert verdict["head"] == intact.head(), verdict


def forged(state: bytes) -> bytes:
    """The same event's data with one case more (or, if it has no count, one byte more)."""
    state = bytes(state)
    return state.replace(b'"confirmed":1', b'"confirmed":9', 1) if b'"confirmed":1' in state else state + b" "


def edit(d: Deployment, k: int) -> Callable[[], None]:
    row = d.row(k)
    d.sql(f"UPDATE {EVENTS} SET state=%s WHERE notification_id=%s", (forged(row[4]), k))
    return lambda: d.put_back(row)


def move_to_another_thing(d: Deployment, k: int) -> Callable[[], None]:
    """The event now belongs to another aggregate (a report moved to another incident): data untouched."""
    row = d.row(k)
    other = d.sql(f"SELECT originator_id FROM {EVENTS} WHERE originator_id <> %s AND topic LIKE %s LIMIT 1",
                  (row[1], "%IncidentReported"))[0][0]
    d.sql(f"UPDATE {EVENTS} SET originator_id=%s, originator_version=1000 WHERE notification_id=%s", (other, k))
    return lambda: d.put_back(row)


def renumber_version(d: Deployment, k: int) -> Callable[[], None]:
    """The event's version within its aggregate changed: data untouched."""
    row = d.row(k)
    d.sql(f"UPDATE {EVENTS} SET originator_version=1000 WHERE notification_id=%s", (k,))
    return lambda: d.put_back(row)


def edit_topic(d: Deployment, k: int) -> Callable[[], None]:
    row = d.row(k)
    d.sql(f"UPDATE {EVENTS} SET topic = topic || 'x' WHERE notification_id=%s", (k,))
    return lambda: d.put_back(row)


def delete(d: Deployment, k: int) -> Callable[[], None]:
    row = d.row(k)
    d.sql(f"DELETE FROM {EVENTS} WHERE notification_id=%s", (k,))
    return lambda: d.put_back(row)


def delete_tail(d: Deployment, k: int) -> Callable[[], None]:
    rows = d.rows_from(k)
    d.sql(f"DELETE FROM {EVENTS} WHERE notification_id >= %s", (k,))

    def restore() -> None:
        for row in rows:
            d.put_back(row)
    return restore


def swap(d: Deployment, k: int) -> Callable[[], None]:
    """Reorder: two events exchange their places in the log."""
    a, b = d.row(k), d.row(k + 3)
    d.sql(f"DELETE FROM {EVENTS} WHERE notification_id IN (%s, %s)", (k, k + 3))
    d.put_back((k, *b[1:]))
    d.put_back((k + 3, *a[1:]))

    def restore() -> None:
        d.sql(f"DELETE FROM {EVENTS} WHERE notification_id IN (%s, %s)", (k, k + 3))
        d.put_back(a)
        d.put_back(b)
    return restore


def insert_into_gap(d: Deployment, k: int) -> Callable[[], None]:
    """A forged event slipped into a gap of the sequence, as PostgreSQL leaves after a rolled-back insert."""
    copied = d.row(k)
    gap = d.sql(f"SELECT notification_id + 1 FROM {EVENTS} e WHERE notification_id < %s AND NOT EXISTS "
                f"(SELECT 1 FROM {EVENTS} WHERE notification_id = e.notification_id + 1) ORDER BY 1 LIMIT 1", (d.head(),))
    assert gap, "the log has a gap (made by the fixture)"
    position = gap[0][0]
    d.sql(f"INSERT INTO {EVENTS} (notification_id, originator_id, originator_version, topic, state) "
          "VALUES (%s, %s, %s, %s, %s)", (position, copied[1], 999, copied[3], forged(copied[4])))
    return lambda: d.sql(f"DELETE FROM {EVENTS} WHERE notification_id=%s", (position,))


def insert_shifting(d: Deployment, k: int) -> Callable[[], None]:
    """A forged event inserted at k, the events from k on moved one place later (the last one dropped,
    so the log does not grow and the worker has nothing new to chain)."""
    rows = d.rows_from(k)
    d.sql(f"DELETE FROM {EVENTS} WHERE notification_id >= %s", (k,))
    for row, later in zip(rows, rows[1:]):
        d.put_back((later[0], *row[1:]))
    d.put_back((k, rows[0][1], 999, rows[0][3], forged(rows[0][4])))

    def restore() -> None:
        d.sql(f"DELETE FROM {EVENTS} WHERE notification_id >= %s", (k,))
        for row in rows:
            d.put_back(row)
    return restore


def edit_the_trail(d: Deployment, k: int) -> Callable[[], None]:
    """The chain itself changed: a recorded hash no longer follows from the events."""
    old = d.sql("SELECT hash FROM lf_audit WHERE position=%s", (k,))[0][0]
    d.sql("UPDATE lf_audit SET hash=%s WHERE position=%s", ("0" * 64, k))
    return lambda: d.sql("UPDATE lf_audit SET hash=%s WHERE position=%s", (old, k))


CASES = [  # (what, how, where in the log)
    ("an edited event", edit, "first"),
    ("an edited event", edit, "middle"),
    ("an edited event", edit, "last"),
    ("an event given another type", edit_topic, "middle"),
    ("a deleted event", delete, "first"),
    ("a deleted event", delete, "middle"),
    ("a deleted last event", delete, "last"),
    ("a deleted tail", delete_tail, "middle"),
    ("two events swapped", swap, "first"),
    ("two events swapped", swap, "middle"),
    ("an event inserted into a gap", insert_into_gap, "gap"),
    ("an event inserted, the rest moved on", insert_shifting, "middle"),
    ("an edited hash in the trail", edit_the_trail, "middle"),
    pytest.param("an event moved to another thing", move_to_another_thing, "middle"),
    pytest.param("an event renumbered in its thing", renumber_version, "middle"),
]


def _case_id(case: Any) -> str:
    name, _, at = case.values if hasattr(case, "values") else case
    return f"{name} ({at})"


@pytest.mark.parametrize(("name", "tamper", "at"), CASES, ids=[_case_id(c) for c in CASES])
def test_tampering_is_found_at_its_position_by_the_cli_and_the_api(intact: Deployment, name: str, tamper: Any, at: str) -> None:
    d = intact
    head = d.head()
    if at == "gap":
        _make_a_gap(d)
        head = d.head()
    k = {"first": 1, "middle": head // 2, "last": head, "gap": head}[at]
    if tamper is swap:
        k = min(k, head - 3)
    restore = tamper(d, k)
    try:
        expected = _forged_position(d) if at == "gap" else k
        api, cli = d.verdicts(own_process=(name, at) == ("an edited event", "middle"))
        assert api["ok"] is False, (name, api)
        assert api["broken_at"] == expected, (name, k, api)
        assert api["problem"] and str(expected) in api["problem"]
        assert cli.returncode == 1, (name, cli.stdout, cli.stderr)
        assert f"BROKEN at position {expected}" in cli.stderr + cli.stdout, (name, cli.stderr)
    finally:
        restore()


def _make_a_gap(d: Deployment) -> None:
    """A rolled-back insert uses up a sequence value: the next event leaves a hole before it."""
    if d.sql(f"SELECT 1 FROM {EVENTS} e WHERE notification_id < (SELECT max(notification_id) FROM {EVENTS}) AND NOT EXISTS "
             f"(SELECT 1 FROM {EVENTS} WHERE notification_id = e.notification_id + 1)"):
        return
    d.sql(f"SELECT nextval(pg_get_serial_sequence('{EVENTS}', 'notification_id'))")
    d.world.commander.created("/incidents", {"kind": "cluster", "title": "缺口之后", "location": IN_DONGSHAN})
    d.audited()


def _forged_position(d: Deployment) -> int:
    return d.sql(f"SELECT notification_id FROM {EVENTS} WHERE originator_version = 999")[0][0]


def test_the_secret_of_a_token_is_nowhere_in_postgresql(deployment: Deployment) -> None:
    secret = deployment.world.commander.token
    found = deployment.sql(f"SELECT count(*) FROM {EVENTS} WHERE position(%s::bytea in state) > 0", (secret.encode(),))
    assert found == [(0,)]
    dumped = deployment.sql("SELECT string_agg(t::text, '') FROM lf_audit t")[0][0]
    assert secret not in (dumped or "")
    assert secret not in deployment.server.output() + deployment.worker.output()


def test_a_revoked_token_fails_at_once_on_every_api_process(deployment: Deployment, tmp_path: Path) -> None:
    from domain.access import token_hash, token_id

    d = deployment
    second = Server(d.server.data_dir, tmp_path / "serve-2.log", database_url=d.dsn,
                    redis_url=d.server.env["LIANFANG_REDIS_URL"]).start()
    try:
        secret = d.server.token("observer")
        for port in (d.server.port, second.port):
            assert httpx.get(f"http://127.0.0.1:{port}/api/v1/map", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        done = subprocess.run([LIANFANG, "tokens", "revoke", str(token_id(token_hash(secret)))], env=d.server.env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        for port in (d.server.port, second.port):
            assert httpx.get(f"http://127.0.0.1:{port}/api/v1/map", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    finally:
        second.kill()
