"""Drills: scenario files refused with their line, run into stores of their own, graded, exported and rerun.

Tests that run a drill run in both modes: in scale-out mode each drill store keeps its events in an empty
PostgreSQL database of its own (`drill_db`), and the live store is PostgreSQL + Redis (`live`).
"""
from __future__ import annotations

import json

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import cli
from api.page_config import PUBLIC_DRILL
from scenario_texts import GEOGRAPHY, SCENARIO_FILES, SMALL, write
from domain.application import Coordination
from domain.base import Meta
from domain.commands import Command
from domain.application.eventstore import store_env
from domain.application.settings import Settings
from domain.application.writer import execute
from scenarios.export import export
from scenarios.loader import ScenarioError, load
from scenarios.local import run_in_store
from scenarios.runner import InjectRefused
from scenarios.store import DrillStoreError, drill_settings, event_count

import api.cli_drills  # noqa: F401  (registers the commands)

runner = CliRunner()


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def on(database_url: str | None) -> list[str]:
    """The `drill run` arguments that put a drill store's events in its own database (none: its SQLite file)."""
    return ["--database-url", database_url] if database_url else []


def head_of(settings: Settings) -> int:
    """The last position of a store's log (0 when empty), read through the store itself in either mode."""
    app = Coordination(store_env(settings))
    try:
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def tables_of(database_url: str) -> list[str]:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as db:
        return [r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_every_scenario_runs_with_all_its_expectations_holding(path: Path, tmp_path: Path, drill_db: str | None) -> None:
    scenario = load(path)
    report, store = run_in_store(scenario, tmp_path / "drill", live=Settings(data_dir=tmp_path / "live"), database_url=drill_db)
    failures = [(o.at, c.key, c.expected, c.actual) for o in report.failed for c in o.checks if not c.held]
    assert failures == []
    assert report.injects == len(scenario.injects) >= 40
    assert len(report.outcomes) == len(scenario.expectations)
    assert (store / "expectations.json").is_file()
    assert event_count(store) > report.injects
    assert (store / "events.sqlite").exists() == (drill_db is None)  # on PostgreSQL, nothing of the log on disk


BROKEN = [
    # (what, old text, new text, the line that carries the fault, words of the message)
    ("unknown actor", "    by: health\n", "    by: nobody\n", "by: nobody", "unknown actor 'nobody'"),
    ("unknown verb", "    do: claim_task\n", "    do: grab_task\n", "do: grab_task", "unknown verb 'grab_task'"),
    ("unknown field", "title: 封控区人员管控,", "title: 封控区人员管控, colour: red,", "colour: red", "has no field 'colour'"),
    ("unknown $ref", "with: {task: $t1}", "with: {task: $t9}", "$t9", "unknown $ref $t9"),
    ("$ref of the wrong kind", "with: {task: $t1}", "with: {task: $z1}", "task: $z1", "$z1 is a zone, not a task"),
    ("unknown unit actor", "lead: health,", "lead: team-a,", "lead: team-a", "'team-a' is not a unit"),
    ("time going backwards", '  - at: "+01:10"', '  - at: "+00:20"', '"+00:20"', "goes back in time"),
    ("due before the inject", 'due: "+30:00"', 'due: "+00:10"', 'due: "+00:10"', "goes back in time"),
    ("invalid geometry", "[104.07, 30.69], [104.05, 30.69]", "[104.05, 30.69], [104.07, 30.69]", "[104.05, 30.69], [104.07, 30.69]", "invalid geometry"),
    ("missing geography", f"geography: {GEOGRAPHY}", "geography: nowhere.geojson", "geography: nowhere", "nowhere.geojson not found"),
    ("schema: unknown kind", "kind: sealed", "kind: closed", "kind: closed", "'closed' is not one of"),
    ("unknown jurisdiction", 'jurisdiction: "510199"}', 'jurisdiction: "519999"}', '"519999"', "unknown jurisdiction code 519999"),
    ("YAML syntax", "    ref: z1\n", "    ref: [z1\n", "ref: [z1", "not valid YAML"),
]


@pytest.mark.parametrize(("what", "old", "new", "needle", "words"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_scenario_is_refused_with_its_line(tmp_path: Path, what: str, old: str, new: str, needle: str, words: str) -> None:
    assert old in SMALL
    text = SMALL.replace(old, new, 1)
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as refused:
        load(path)
    assert refused.value.file == str(path)
    assert words in refused.value.message
    expected_line = line_of(text, needle) if what != "YAML syntax" else line_of(text, needle) + 1
    assert refused.value.line == expected_line, refused.value.message


def test_an_inject_the_domain_refuses_stops_the_drill_at_its_line(small: Path, tmp_path: Path, drill_db: str | None) -> None:
    # The commander cannot claim a task: only its lead unit can.
    text = SMALL.replace("    by: health\n    do: claim_task", "    by: cmd\n    do: claim_task")
    path = write(tmp_path, text)
    with pytest.raises(InjectRefused) as refused:
        run_in_store(load(path), tmp_path / "drill", live=Settings(data_dir=tmp_path / "live"), database_url=drill_db)
    assert refused.value.inject.line == line_of(text, "do: claim_task") - 2
    assert "claim_task is for unit" in str(refused.value)


def test_a_field_team_cannot_report_outside_its_units_jurisdiction(tmp_path: Path, drill_db: str | None) -> None:
    text = SMALL.replace('jurisdiction: "510199"}', 'jurisdiction: "510199003"}')  # 东山镇; the report is in 城关街道
    with pytest.raises(InjectRefused, match="outside"):
        run_in_store(load(write(tmp_path, text)), tmp_path / "drill", live=Settings(data_dir=tmp_path / "live"),
                     database_url=drill_db)


def test_a_drill_leaves_the_live_store_untouched(small: Path, live: Settings, drill_db: str | None, tmp_path: Path) -> None:
    # A live store with a unit in it (in scale-out mode: the live PostgreSQL database)
    app = Coordination(store_env(live))
    execute(app, Command("register_unit", Meta(actor="ops", role="commander"), {"name": "县卫健局", "kind": "department"}))
    app.close()
    before = head_of(live)
    assert before >= 1
    # The drill runs into ./var-like <live>/drills/<slug>-<run> (and its own database), not into the live store
    result = runner.invoke(cli, ["drill", "run", str(small), "--as-fast-as-possible", *on(drill_db)])
    assert result.exit_code == 0, result.output
    assert head_of(live) == before
    (drill_store,) = (live.data_dir / "drills").iterdir()
    assert drill_store.name.startswith("small-")
    assert event_count(drill_store) > 4
    if live.redis_url:  # nor the live Redis: a drill's deltas stay in its own process
        import redis

        assert redis.Redis.from_url(live.redis_url).xlen(live.redis_stream) == 0
    # Targeting the live store is refused, and writes nothing: in embedded mode its directory; in scale-out
    # mode the live database, under its own URL, another name of its host, or through the environment
    refused_store = ["--store", str(tmp_path / "refused")]
    if drill_db is None:
        refusals = [(["--store", str(live.data_dir)], {}, "live store")]
    else:  # as given, by another name of its host, without its password, with options, by another scheme, by variable
        url = live.database_url
        host_port, name = url.rsplit("@", 1)[1].split("/", 1)
        names = [url, url.replace("@127.0.0.1:", "@localhost:"), f"postgresql://lianfang@{host_port}/{name}",
                 url + "?connect_timeout=5", url.replace("postgresql://", "postgres://")]
        refusals = [([*refused_store, "--database-url", n], {}, "is the live database") for n in names]
        refusals.append((refused_store, {"LIANFANG_DRILL_DATABASE_URL": url}, "is the live database"))
    for args, env, words in refusals:
        refused = runner.invoke(cli, ["drill", "run", str(small), *args], env=env)
        assert refused.exit_code == 2, (args, refused.output)
        assert words in refused.output, refused.output
        assert not (tmp_path / "refused").exists()
    assert head_of(live) == before
    assert list((live.data_dir / "drills").iterdir()) == [drill_store]
    assert not (live.data_dir / "drill.json").exists()


def test_a_drill_refuses_a_store_that_is_not_empty(small: Path, tmp_path: Path, live: Settings, drill_db: str | None) -> None:
    # Another store with something in it: a directory holding events (embedded), a database holding tables (scale-out)
    foreign = Settings(data_dir=tmp_path / "foreign", database_url=drill_db, redis_url=None)
    app = Coordination(store_env(foreign))
    execute(app, Command("register_unit", Meta(actor="ops", role="commander"), {"name": "县公安局", "kind": "department"}))
    app.close()
    target = tmp_path / "foreign" if drill_db is None else tmp_path / "drill"
    def what_it_holds() -> tuple[list[str], list[str] | None]:  # (SQLite opens its -wal and -shm to read: not writing)
        files = sorted(p.name for p in (tmp_path / "foreign").glob("*") if not p.name.endswith(("-wal", "-shm")))
        return files, tables_of(drill_db) if drill_db else None

    held = what_it_holds()
    refused = runner.invoke(cli, ["drill", "run", str(small), "--store", str(target), *on(drill_db)])
    assert refused.exit_code == 2, refused.output
    assert ("not a drill store" if drill_db is None else "is not empty") in refused.output
    with pytest.raises(DrillStoreError, match="not a drill store" if drill_db is None else "is not empty"):
        run_in_store(load(small), target, live=live, database_url=drill_db)
    # Nothing written: not a file beside the other store's, not a table, not an event
    assert what_it_holds() == held
    assert head_of(foreign) == 1
    assert drill_db is None or not target.exists()
    assert not (live.data_dir / "drills").exists()


def test_the_drill_database_url_is_kept_out_of_drill_json_and_the_api(small: Path, tmp_path: Path, postgres_server: Any,
                                                                     postgres_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The URL carries a password: only the store's database.url (owner only) holds it, never what clients see."""
    from fastapi.testclient import TestClient

    from api.main import create_app

    for name in ("DATA_DIR", "DATABASE_URL", "REDIS_URL", "DRILL_DATABASE_URL"):
        monkeypatch.delenv(f"LIANFANG_{name}", raising=False)
    monkeypatch.chdir(tmp_path)
    password = postgres_server.password
    assert f":{password}@" in postgres_dsn
    helped = runner.invoke(cli, ["drill", "run", "--help"], env={"LIANFANG_DRILL_DATABASE_URL": postgres_dsn, "COLUMNS": "300"})
    assert "--database-url" in helped.output and "LIANFANG_DRILL_DATABASE_URL" in helped.output
    assert password not in helped.output
    store = tmp_path / "drill"
    ran = runner.invoke(cli, ["drill", "run", str(small), "--store", str(store)], env={"LIANFANG_DRILL_DATABASE_URL": postgres_dsn})
    assert ran.exit_code == 0, ran.output
    assert password not in ran.output
    # The events are in the drill's database; only database.url names it, readable by its owner only
    assert not (store / "events.sqlite").exists() and event_count(store) > 4
    kept = store / "database.url"
    assert kept.read_text().strip() == postgres_dsn and kept.stat().st_mode & 0o777 == 0o600
    assert [p for p in store.rglob("*") if p.is_file() and password.encode() in p.read_bytes()] == [kept]
    marker = json.loads((store / "drill.json").read_text())
    assert "postgresql" not in json.dumps(marker)
    # Served (`lianfang serve --data-dir STORE` builds this Runtime), the map is the drill's, and no answer holds the URL
    token = runner.invoke(cli, ["tokens", "create", "--role", "observer", "--data-dir", str(store)])
    assert token.exit_code == 0, token.output
    with TestClient(create_app(Settings(data_dir=store))) as client:
        headers = {"Authorization": f"Bearer {token.output.strip()}"}
        answers = [client.get(path, headers=headers) for path in ("/api/v1/config", "/api/v1/map", "/healthz", "/api/v1/ledger")]
    assert [a.status_code for a in answers] == [200] * 4
    config, situation, health, _ = (a.json() for a in answers)
    assert health["drill"] is True
    # The page's config, which anyone may read, and the map say which drill runs, not where its file is on the server.
    assert config["drill"] == situation["drill"] == {k: marker[k] for k in PUBLIC_DRILL if k in marker}
    assert situation["drill"]["status"] == "completed" and set(situation["drill"]["result"]) == {"held", "expectations"}
    assert situation["counts"]["open_incidents"] == 1 and health["store_head"] == event_count(store)
    assert not [a.request.url for a in answers if password in a.text or "postgresql://" in a.text]


def test_a_drill_store_is_served_from_its_own_store_never_the_live_one(small: Path, tmp_path: Path, live: Settings,
                                                                        drill_db: str | None) -> None:
    """`lianfang tokens create --data-dir STORE` and `lianfang serve --data-dir STORE` on a drill store open the
    drill's own store, even where the settings name the live PostgreSQL and Redis (scale-out: drills on PostgreSQL,
    and embedded ones beside it)."""
    from fastapi.testclient import TestClient

    from api.cli import settings_with
    from api.main import create_app

    before = head_of(live)
    for name, database_url in [("drill", drill_db)] + ([("embedded-drill", None)] if drill_db else []):
        ran = runner.invoke(cli, ["drill", "run", str(small), "--store", str(tmp_path / name), *on(database_url)])
        assert ran.exit_code == 0, ran.output
        store = tmp_path / name
        made = runner.invoke(cli, ["tokens", "create", "--role", "observer", "--data-dir", str(store)])
        assert made.exit_code == 0, made.output
        settings = settings_with(store)  # what `lianfang serve --data-dir STORE` builds its Runtime from
        assert (settings.database_url, settings.redis_url) == (database_url, None)
        with TestClient(create_app(settings)) as client:
            situation = client.get("/api/v1/map", headers={"Authorization": f"Bearer {made.output.strip()}"})
        assert situation.status_code == 200, situation.text
        assert situation.json()["drill"]["run"] == json.loads((store / "drill.json").read_text())["run"]
        assert situation.json()["counts"]["open_incidents"] == 1
    assert head_of(live) == before


def test_reruns_give_the_same_ids(small: Path, tmp_path: Path, new_drill_db: Any) -> None:
    live = Settings(data_dir=tmp_path / "live")
    ids = []
    for name in ("one", "two"):
        _, store = run_in_store(load(small), tmp_path / name, live=live, database_url=new_drill_db())
        app = Coordination(store_env(drill_settings(store)))
        ids.append([str(n.originator_id) for n in app.recorder.select_notifications(1, 1000)])
        app.close()
    assert ids[0] == ids[1] and len(ids[0]) > 4


def test_the_command_line_exits_0_1_or_2(small: Path, tmp_path: Path, live: Settings, new_drill_db: Any) -> None:
    held = runner.invoke(cli, ["drill", "run", str(small), "--store", str(tmp_path / "a"), *on(new_drill_db())])
    assert held.exit_code == 0, held.output
    assert "2 of 2 expectations held" in held.output
    wrong = write(tmp_path, SMALL.replace("cases: {confirmed: 3}", "cases: {confirmed: 4}"), "wrong.yaml")
    failed = runner.invoke(cli, ["drill", "run", str(wrong), "--store", str(tmp_path / "b"), *on(new_drill_db())])
    assert failed.exit_code == 1, failed.output
    assert "confirmed 4" in failed.output and "confirmed 3" in failed.output  # expected against actual
    broken = write(tmp_path, SMALL.replace("    do: claim_task", "    do: grab_task"), "broken.yaml")
    untouched = new_drill_db()
    refused = runner.invoke(cli, ["drill", "run", str(broken), "--store", str(tmp_path / "c"), *on(untouched)])
    assert refused.exit_code == 2
    assert f"broken.yaml:{line_of(SMALL, 'do: claim_task')}" in refused.output
    assert not (tmp_path / "c").exists()  # refused before anything ran
    assert untouched is None or tables_of(untouched) == []


def test_speed_paces_the_drill_against_real_time(small: Path, tmp_path: Path, new_drill_db: Any) -> None:
    # 8 simulated hours at 28 800× real time: about one second of waiting for the simulated clock, beyond the work
    # itself, which the same drill unpaced measures on this machine now (a fixed bound of 5 s failed at load 12)
    live = Settings(data_dir=tmp_path / "live")
    began = time.monotonic()
    run_in_store(load(small), tmp_path / "unpaced", live=live, database_url=new_drill_db())
    unpaced = time.monotonic() - began
    started = time.monotonic()
    report, _ = run_in_store(load(small), tmp_path / "drill", speed=28_800, live=live, database_url=new_drill_db())
    paced = time.monotonic() - started
    assert paced >= 0.9, paced  # it waited for its simulated clock
    assert paced < 2 * unpaced + 5, (paced, unpaced)  # about a second of it, not hours (1× would be 8 h)
    assert not report.failed


@pytest.mark.parametrize("path", SCENARIO_FILES[:1], ids=lambda p: p.stem)
def test_an_exported_record_replays_to_the_same_map_and_ledger(path: Path, tmp_path: Path, new_drill_db: Any) -> None:
    live = Settings(data_dir=tmp_path / "live")
    report, store = run_in_store(load(path), tmp_path / "first", live=live, database_url=new_drill_db())
    exported = export(store, tmp_path / "exported.yaml")
    again = load(exported)
    assert len(again.injects) == len(load(path).injects)
    rerun, _ = run_in_store(again, tmp_path / "second", live=live, database_url=new_drill_db())
    # The exported file carries the first run's expectations: every one holds again, with the same numbers
    assert [o.checks for o in rerun.outcomes] == [o.checks for o in report.outcomes]
    assert rerun.outcomes and not rerun.failed


def test_via_sends_every_inject_through_the_http_api(tmp_path: Path, drill_db: str | None) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.tokens import create_token
    from scenarios.store import keep_database_url
    from scenarios.via import run_via

    (tmp_path / "server").mkdir(parents=True, exist_ok=True)
    marker = {"run": "via", "scenario": "via", "status": "running"}  # a drill store: --via refuses a live one
    (tmp_path / "server" / "drill.json").write_text(json.dumps(marker))
    keep_database_url(tmp_path / "server", drill_db)  # scale-out: a drill store on PostgreSQL
    server = drill_settings(tmp_path / "server")
    commander = create_token(server, role="commander", unit=None, name="演练导调")
    # The unit exists before the drill, so that it can hold a token of its own
    app = Coordination(store_env(server))
    execute(app, Command("register_unit", Meta(actor="ops", role="commander"), {"name": "县卫健局", "kind": "department"}))
    app.close()
    health = create_token(server, role="unit", unit="县卫健局", name="卫健局值班")
    wall_clock = write(tmp_path, SMALL.split('  - at: "+08:00"')[0], "wall.yaml")  # colours at +08:00 need the simulated clock
    # The server finds its store from the data directory (database.url), as `lianfang serve --data-dir` does
    with TestClient(create_app(Settings(data_dir=tmp_path / "server", database_url=None, redis_url=None))) as client:
        assert client.app.state.runtime.settings.database_url == drill_db
        report = run_via(load(wall_clock), client, [commander, f"health={health}"])
        assert report.injects == 4 and report.outcomes and not report.failed
        events = client.get("/api/v1/events", params={"after": 0, "limit": 100}, headers={"Authorization": f"Bearer {commander}"}).json()
        # Without the unit's own token the claim is the commander's, and the server refuses it
        with pytest.raises(InjectRefused, match="HTTP 403"):
            run_via(load(wall_clock), client, [commander])
    stamped = {e["meta"].get("correlation_id") for e in events["events"] if e["meta"].get("source") == "api"}
    assert {f"drill-{report.run}-{n}" for n in range(1, 5)} <= stamped  # X-Request-Id of each inject
    assert json.loads((tmp_path / "server" / "drill.json").read_text()) == marker  # --via writes no marker of its own


def test_serve_shows_the_drill_on_the_map_while_it_runs(tmp_path: Path, drill_db: str | None) -> None:
    import socket
    import threading
    from urllib.parse import urlparse

    import httpx

    from api.drill_serving import Serve

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    later_claim = write(tmp_path, SMALL.replace('  - at: "+01:10"', '  - at: "+06:00"'), "later.yaml")
    urls: list[str] = []
    done: dict[str, object] = {}
    # The drill waits for the wall screen at its first step, and before its last until the screen has seen the map
    # move: on a busy machine a drill of 1.5 s used to end before the screen had signed in (nothing seen at all).
    looked, moved = threading.Event(), threading.Event()

    def step(progress: Any) -> None:
        if progress.done == 1:
            looked.wait(120)
        elif progress.done == progress.total - 1:
            moved.wait(120)

    serve = Serve(port=port, on_ready=urls.append, hold=False)
    drill = threading.Thread(target=lambda: done.update(result=run_in_store(
        load(later_claim), tmp_path / "drill", speed=14_400, serve=serve, live=Settings(data_dir=tmp_path / "live"),
        database_url=drill_db, on_step=step)))
    drill.start()
    deadline = time.monotonic() + 120  # a hang guard: the server says when it is ready
    while not urls and time.monotonic() < deadline:
        time.sleep(0.02)
    # A one-time sign-in link, the code in the fragment: no bearer token in a URL's query
    link = urlparse(urls[0])
    assert not link.query and link.fragment.startswith("enrol="), urls[0]
    redeemed = httpx.post(f"http://127.0.0.1:{port}/api/v1/enrolments/redeem", timeout=30,
                          json={"code": link.fragment.removeprefix("enrol="), "device": "wall-1"})
    assert redeemed.status_code == 201, redeemed.text
    token = redeemed.json()["token"]
    seen = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}) as browser:
        while drill.is_alive():
            try:
                answer = browser.get("/api/v1/map", timeout=30)
            except httpx.ConnectError:  # the drill ended and its server closed between the check and the request
                break
            if answer.status_code == 200:
                seen.append((answer.json()["position"], answer.json()["at"], answer.json()["drill"]["run"]))
                looked.set()
                if seen[-1][0] > seen[0][0]:
                    moved.set()
            time.sleep(0.05)
    drill.join()
    report, _ = done["result"]
    assert not report.failed
    positions = [p for p, _, _ in seen]
    assert len(set(positions)) > 1 and positions == sorted(positions)  # the map moved on as the drill ran
    assert all(at.startswith("2026-03-01") for _, at, _ in seen)  # on the drill's simulated clock
    assert {run for _, _, run in seen} == {report.run}


def test_a_live_record_exports_to_a_scenario_that_replays_the_same(tmp_path: Path, drill_db: str | None) -> None:
    from uuid import uuid4

    from scenarios.review import replay

    # A live store as the API leaves it: actors are token ids, times are the wall clock's. (`drill export STORE`
    # reads a store from its directory, so the live record is embedded; in scale-out mode the replay is on PostgreSQL.)
    live = Settings(data_dir=tmp_path / "live", database_url=None)
    app = Coordination(store_env(live))
    desk = Meta(actor=str(uuid4()), role="commander", actor_name="值班指挥员")
    unit = execute(app, Command("register_unit", desk, {"name": "城关街道办事处", "kind": "township", "jurisdiction": "510199001"})).id
    grid = Meta(actor=str(uuid4()), role="field", unit=str(unit), actor_name="北街社区网格员")
    office = Meta(actor=str(uuid4()), role="unit", unit=str(unit), actor_name="街道值班室")
    incident = execute(app, Command("report_incident", grid, {"kind": "cluster", "title": "发热聚集", "location": [104.058, 30.685],
                                                             "counts": {"suspected": 4}})).id
    execute(app, Command("file_report", grid, {"new": {"confirmed": 2}, "note": "首轮检测"}, target=str(incident)))
    due = (datetime.now(timezone(timedelta(hours=8))) + timedelta(hours=30)).isoformat()
    task = execute(app, Command("assign_task", desk, {"title": "入户排查", "lead": str(unit), "due": due})).id
    execute(app, Command("claim_task", office, {}, target=str(task)))
    app.close()
    # Exported, it is a valid scenario whose replay shows the same map and ledger
    result = runner.invoke(cli, ["drill", "export", str(live.data_dir), "-o", str(tmp_path / "incident.yaml")])
    assert result.exit_code == 0, result.output
    scenario = load(tmp_path / "incident.yaml")
    assert {a.role for a in scenario.actors.values()} == {"commander", "unit", "field"}
    assert [i.do for i in scenario.injects] == ["report_incident", "file_report", "assign_task", "claim_task"]
    _, store = run_in_store(scenario, tmp_path / "drill", live=live, database_url=drill_db)
    original, again = replay(live.data_dir).samples[-1], replay(store).samples[-1]
    assert again.counts == original.counts and again.colours == original.colours
    assert runner.invoke(cli, ["drill", "export", str(tmp_path / "nothing")]).exit_code == 2


@pytest.mark.embedded_only("the command as an operator runs it, on its default SQLite drill store")
def test_drill_run_serve_prints_its_result_when_the_drill_ends_and_the_banner_says_so(tmp_path: Path) -> None:
    import os
    import signal
    import socket
    import subprocess
    import sys
    import threading

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    scenario = write(tmp_path, SMALL, "small.yaml")
    env = {**os.environ, "LIANFANG_DATA_DIR": str(tmp_path / "live"), "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    command = [str(Path(sys.executable).parent / "lianfang"), "drill", "run", str(scenario), "--serve", "--port", str(port),
               "--store", str(tmp_path / "drill")]
    # Started as a script's `cmd &` starts it: with Ctrl-C (SIGINT) ignored, which Python then does not turn into
    # KeyboardInterrupt. A `kill -INT` must stop it all the same, as it stops `lianfang serve`.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))  # noqa: PLW1509
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
        reader.start()
        deadline = time.monotonic() + 60  # the summary comes while the map is still served (no Ctrl-C yet)
        while not any("expectations held" in line for line in lines) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        output = "".join(lines)
        assert "expectations held" in output and process.poll() is None, output
        held = next(line for line in lines if "expectations held" in line)
        config = httpx.get(f"http://127.0.0.1:{port}/api/v1/config", timeout=10).json()
        drill = config["drill"]
        assert drill["status"] == "completed"
        assert f"{drill['result']['held']} of {drill['result']['expectations']} expectations held" in held
        assert drill["result"]["expectations"] >= 1
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()  # never leave it serving past the test
            process.wait()
            raise AssertionError("Ctrl-C did not stop `drill run --serve`: " + "".join(lines)) from None
        finally:
            reader.join(timeout=10)
    assert process.returncode == 0, "".join(lines)
    assert sum("expectations held" in line for line in lines) == 1, "the result is printed once"
