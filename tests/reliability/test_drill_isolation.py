"""Drill isolation: no drill command reaches the live store, whatever it is called and wherever it lives.

The live store is served by a real `lianfang serve` while the drill commands run as real processes. Both modes:
in scale-out mode the live store is PostgreSQL + Redis (with its projection worker), and each drill keeps its
events in an empty PostgreSQL database of its own (`drill_db`).
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from domain.application.settings import PROJECT_ROOT, Settings
from modes import projection_worker
from reliability.served import LIANFANG, Server, World

pytestmark = pytest.mark.integration

SCENARIO = f"""\
scenario: 隔离演练
start: "2026-03-01T08:00:00+08:00"
geography: {PROJECT_ROOT / "scenarios" / "demo-county.geojson"}
actors:
  cmd:    {{role: commander, name: 县指挥部}}
  health: {{role: unit, name: 县卫健局, kind: department, jurisdiction: "510199"}}
  team-a: {{role: field, unit: health, name: 采样一组}}
injects:
  - at: "+00:05"
    by: team-a
    do: report_incident
    ref: inc1
    with: {{kind: cluster, title: 幼儿园发热聚集, location: [104.058, 30.685], counts: {{confirmed: 3}}}}
  - at: "+00:30"
    by: cmd
    do: set_level
    with: {{incident: $inc1, level: IV, reason: 演练升级}}
expect:
  - at: "+01:00"
    holds: {{open_incidents: 1, cases: {{confirmed: 3}}}}
"""


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "isolation.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


@pytest.fixture
def live(tmp_path: Path, backends: dict[str, Any]) -> Iterator[World]:
    """The live store, served (scale-out: on PostgreSQL and Redis, with its projection worker), with a little in it."""
    server = Server(tmp_path / "var", tmp_path / "serve.log", log_level="INFO", **{k: str(v) for k, v in backends.items()})
    with projection_worker(Settings(_env_file=None, data_dir=tmp_path / "var", **backends)):
        try:
            server.start()
            with httpx.Client(base_url=server.url, timeout=60) as client:
                world = World.build(server, client)
                world.incident()
                yield world
        finally:
            server.kill()


def drill(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LIANFANG, "drill", "run", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def on(database_url: str | None) -> list[str]:
    """The `drill run` arguments that put a drill store's events in its own database (none: its SQLite file)."""
    return ["--database-url", database_url] if database_url else []


def events_of(store: Path) -> list[dict[str, Any]]:
    """The metadata of every event in a drill store, read straight from its SQLite file or its own database."""
    import json

    if (store / "database.url").is_file():
        with psycopg.connect((store / "database.url").read_text().strip()) as db:
            rows = db.execute("SELECT state FROM coordination_events ORDER BY notification_id").fetchall()
    else:
        with sqlite3.connect(f"file:{store / 'events.sqlite'}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT state FROM stored_events ORDER BY rowid").fetchall()
    return [json.loads(bytes(r[0])).get("meta", {}) for r in rows]


def fingerprint(directory: Path) -> dict[str, str]:
    """What a store's files hold: each SQLite database as its SQL dump (so that a checkpoint of its
    write-ahead log, which moves bytes and changes nothing, does not count), every other file as bytes."""
    found = {}
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or path.name.endswith(("-wal", "-shm")):
            continue
        if path.suffix == ".sqlite":
            with sqlite3.connect(path) as db:
                content = "\n".join(db.iterdump()).encode()
            db.close()
        else:
            content = path.read_bytes()
        found[str(path.relative_to(directory))] = hashlib.sha256(content).hexdigest()
    return found


def assert_live_untouched(world: World, head: int) -> None:
    assert world.server.head() == head
    log = world.client.get("/api/v1/events", params={"limit": 5000},
                           headers={"Authorization": f"Bearer {world.commander.token}"}).json()["events"]
    assert not [e for e in log if e["meta"].get("source") == "drill" or e["meta"].get("drill_run")]
    assert not (world.server.data_dir / "drill.json").exists()


def test_a_drill_beside_a_running_live_server_writes_only_into_its_own_store(live: World, scenario: Path,
                                                                            drill_db: str | None) -> None:
    head = live.server.head()
    ran = drill(live.server.env, str(scenario), "--as-fast-as-possible", *on(drill_db))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert_live_untouched(live, head)
    (store,) = (live.server.data_dir / "drills").iterdir()
    assert (store / "events.sqlite").exists() == (drill_db is None)
    recorded = events_of(store)
    assert len(recorded) >= 3
    assert {m.get("source") for m in recorded} == {"drill"} and len({m.get("drill_run") for m in recorded}) == 1


def test_the_live_store_is_refused_under_any_of_its_names(live: World, scenario: Path, tmp_path: Path, store_mode: str) -> None:
    data_dir = live.server.data_dir
    env = live.server.env
    if store_mode == "embedded":  # the live store's directory, and its SQLite file
        (tmp_path / "alias").symlink_to(data_dir, target_is_directory=True)
        borrowed = tmp_path / "borrowed"
        borrowed.mkdir()
        (borrowed / "events.sqlite").symlink_to(data_dir / "events.sqlite")
        names = [str(data_dir), f"{data_dir}/", str(data_dir / ".." / data_dir.name), str(tmp_path / "alias"),
                 os.path.relpath(data_dir, tmp_path), str(borrowed)]
        attempts = [(["--store", name], env) for name in names]
        words = ("live store", "not a drill store")
    else:  # the live database, as given, and by another name of its host through the variable (more names: test_drills)
        url = env["LIANFANG_DATABASE_URL"]
        attempts = [(["--database-url", url], env),
                    ([], {**env, "LIANFANG_DRILL_DATABASE_URL": url.replace("@127.0.0.1:", "@localhost:")})]
        words = ("is the live database",)
    head = live.server.head()
    for args, with_env in attempts:
        ran = drill(with_env, str(scenario), *args, cwd=tmp_path)
        assert ran.returncode == 2, (args, ran.stdout, ran.stderr)
        assert any(w in ran.stderr + ran.stdout for w in words), (args, ran.stderr)
        assert_live_untouched(live, head)
    assert not (data_dir / "drills").exists()


def test_a_drill_beside_a_postgresql_live_store_never_writes_to_postgresql(postgres_server: Any, scenario: Path,
                                                                           tmp_path: Path) -> None:
    dsn = postgres_server.create_database()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIANFANG_")}
        env.update(LIANFANG_DATABASE_URL=dsn, LIANFANG_DATA_DIR=str(tmp_path / "var"))
        made = subprocess.run([LIANFANG, "tokens", "create", "--role", "commander"], env=env, capture_output=True, text=True)
        assert made.returncode == 0, made.stderr

        def count() -> int:
            with psycopg.connect(dsn) as db:
                return db.execute("SELECT count(*) FROM coordination_events").fetchone()[0]

        before = count()
        for store in ([], ["--store", str(tmp_path / "drill")]):
            ran = drill(env, str(scenario), "--as-fast-as-possible", *store)
            assert ran.returncode == 0, ran.stdout + ran.stderr
        assert count() == before == 1
        assert len(events_of(tmp_path / "drill")) >= 3
        (default,) = (tmp_path / "var" / "drills").iterdir()
        assert len(events_of(default)) >= 3
    finally:
        postgres_server.drop_database(dsn.rsplit("/", 1)[1])


def rows_of(database_url: str | None) -> dict[str, list[str]]:
    """Scale-out: every row of every table of the live database, sorted (empty in embedded mode)."""
    if not database_url:
        return {}
    with psycopg.connect(database_url, autocommit=True) as db:
        tables = [row[0] for row in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return {table: sorted(map(repr, db.execute(f'SELECT * FROM "{table}"'))) for table in tables}  # noqa: S608


def settled_rows(database_url: str | None) -> dict[str, list[str]]:
    """The rows once the projection worker has checkpointed what it caught up with (it keeps running)."""
    rows = rows_of(database_url)
    for _ in range(30):
        time.sleep(1.5)  # the worker checkpoints within a second of catching up
        if (again := rows_of(database_url)) == rows:
            return rows
        rows = again
    raise AssertionError("the live database kept changing with no one writing to it")


def test_reviewing_or_exporting_the_live_store_changes_none_of_its_files(live: World, tmp_path: Path) -> None:
    live.server.stop()
    data_dir = live.server.data_dir
    database_url = live.server.env.get("LIANFANG_DATABASE_URL")
    before = fingerprint(data_dir), settled_rows(database_url)
    assert before[1] or not database_url
    for command in (["review", str(data_dir)], ["review", str(data_dir), "--html", str(tmp_path / "review.html")],
                    ["drill", "export", str(data_dir), "-o", str(tmp_path / "exported.yaml")]):
        ran = subprocess.run([LIANFANG, *command], env=live.server.env, capture_output=True, text=True, timeout=300)
        assert ran.returncode == 0, (command, ran.stdout, ran.stderr)
        assert (fingerprint(data_dir), rows_of(database_url)) == before, command
    assert "cluster" in (tmp_path / "exported.yaml").read_text(encoding="utf-8")


def test_a_drill_sent_over_http_to_the_live_server_is_refused(live: World, scenario: Path) -> None:
    head = live.server.head()
    ran = drill(live.server.env, str(scenario), "--via", live.server.url, "--token", live.commander.token)
    assert_live_untouched(live, head)
    assert ran.returncode == 2, ran.stdout + ran.stderr
