"""Hostile input: a store is data, never code (issue 15, item 5). `lianfang review` of a store from elsewhere imports
no module its events name, refuses malformed state with exit status 2 and no traceback, and connects to no database
that is neither this machine nor the live database's host unless told to."""
from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from reliability.hostile.served import lianfang

pytestmark = pytest.mark.integration

SCENARIO = Path(__file__).resolve().parents[3] / "scenarios" / "kindergarten-fever-cluster.yaml"
PROBE = '''import pathlib\npathlib.Path(__file__).with_name("IMPORTED").write_text("a store's topic ran this")\nclass Thing: pass\n'''


@pytest.fixture(scope="module")
def drill_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("stores") / "drill"
    ran = lianfang("drill", "run", str(SCENARIO), "--store", str(store))
    assert ran.status == 0, ran.out[-2000:]
    return store


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    """A module on the path that leaves a file when it is imported."""
    directory = tmp_path / "probe"
    directory.mkdir()
    (directory / "lianfang_probe.py").write_text(PROBE)
    return directory


def copy_of(drill_store: Path, tmp_path: Path) -> Path:
    store = tmp_path / "hostile"
    shutil.copytree(drill_store, store, ignore=shutil.ignore_patterns("projections"))
    return store


def sql(store: Path, statement: str, *args: object) -> None:
    with sqlite3.connect(store / "events.sqlite") as db:
        db.execute(statement, args)
    db.close()


def test_a_topic_naming_any_module_is_refused_and_never_imported(drill_store: Path, tmp_path: Path, probe: Path,
                                                                 new_drill_db: Callable[[], str | None]) -> None:
    dsn = new_drill_db()
    if dsn is None:
        store = copy_of(drill_store, tmp_path)
        sql(store, "UPDATE stored_events SET topic = 'lianfang_probe:Thing' WHERE rowid = 5")
    else:  # the same drill, its events in a PostgreSQL database of its own
        store = tmp_path / "on-postgres"
        assert lianfang("drill", "run", str(SCENARIO), "--store", str(store), "--database-url", dsn).status == 0
        with psycopg.connect(dsn, autocommit=True) as db:
            db.execute("UPDATE coordination_events SET topic = 'lianfang_probe:Thing' WHERE notification_id = "
                       "(SELECT notification_id FROM coordination_events ORDER BY notification_id OFFSET 4 LIMIT 1)")
    for command in (["review", str(store)], ["drill", "export", str(store)]):
        ran = lianfang(*command, env={"PYTHONPATH": str(probe)})
        assert ran.status == 2, ran.out[-2000:]
        assert "lianfang_probe:Thing" in ran.out and "not an event of Lianfang" in ran.out and "Traceback" not in ran.out
        assert not (probe / "IMPORTED").exists()


def damage(store: Path, how: str) -> None:
    if how == "drill.json-not-json":
        (store / "drill.json").write_text("{not json")
    elif how == "drill.json-start":
        (store / "drill.json").write_text('{"start": "yesterday", "run": "x"}')
    elif how == "expectations-not-json":
        (store / "expectations.json").write_text("[1, 2")
    elif how == "expectations-shape":
        (store / "expectations.json").write_text('{"outcomes": [{"nothing": 1}]}')
    elif how == "events-not-sqlite":
        (store / "events.sqlite").write_bytes(b"\x00garbage" * 600)
    elif how == "state-not-json":
        sql(store, "UPDATE stored_events SET state = ? WHERE rowid = 3", b"{no")
    elif how == "state-missing-fields":
        sql(store, "UPDATE stored_events SET state = ? WHERE rowid = (SELECT MIN(rowid) FROM stored_events "
                   "WHERE topic LIKE '%IncidentReported')", b'{"title": 5}')
    elif how == "geography-not-json":
        (store / "geography.geojson").write_text("xx")


@pytest.mark.parametrize("how", ["drill.json-not-json", "drill.json-start", "expectations-not-json", "expectations-shape",
                                 "events-not-sqlite", "state-not-json", "state-missing-fields", "geography-not-json"])
def test_malformed_state_is_a_clean_refusal(drill_store: Path, tmp_path: Path, how: str) -> None:
    store = copy_of(drill_store, tmp_path)
    damage(store, how)
    ran = lianfang("review", str(store))
    assert ran.status == 2 and "Traceback" not in ran.out and ran.out.strip(), ran.out[-3000:]


@pytest.mark.parametrize("url", ["postgresql://u:secret@203.0.113.9:5432/drill", "postgresql:///drill?host=evil.example.com",
                                 "postgresql://localhost,203.0.113.9/drill", "postgresql:///drill?service=theirs"])
def test_a_store_naming_a_foreign_database_is_refused_unless_allowed(drill_store: Path, tmp_path: Path, url: str) -> None:
    store = copy_of(drill_store, tmp_path)
    (store / "database.url").write_text(url + "\n")
    commands = ("review", "drill export", "serve --port 9 --data-dir") if "secret" in url else ("review",)
    for command in commands:
        ran = lianfang(*command.split(), str(store), timeout=300)  # a hang guard only (the CLI starts slowly on a busy machine)
        assert ran.status == 2 and "--allow-remote-store" in ran.out and "secret" not in ran.out, ran.out[-2000:]
        # refused before any connection is tried: no word of a connection attempt (203.0.113.9 answers nothing, so one
        # would end in a timeout, not in this refusal); it was a wall-clock bound, which a loaded machine broke
        assert not any(word in ran.out.lower() for word in ("timeout", "timed out", "could not connect", "connection")), ran.out[-2000:]


def test_the_live_databases_host_and_allow_remote_store_are_taken(drill_store: Path, tmp_path: Path) -> None:
    store = copy_of(drill_store, tmp_path)
    (store / "database.url").write_text("postgresql://u@db.lianfang-test.invalid:5432/drill\n")
    live = {"LIANFANG_DATABASE_URL": "postgresql://lf@db.lianfang-test.invalid:5432/lianfang",
            "LIANFANG_DATA_DIR": str(tmp_path / "var")}
    for ran in (lianfang("review", str(store), env=live, timeout=60),
                lianfang("review", str(store), "--allow-remote-store", timeout=60),
                lianfang("drill", "export", str(store), "--allow-remote-store", timeout=60)):
        # let through to the connection, which fails: that host does not exist
        assert ran.status == 2 and "cannot reach" in ran.out and "--allow-remote-store" not in ran.out, ran.out[-2000:]
